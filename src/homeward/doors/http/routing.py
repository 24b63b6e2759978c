"""Route matching that skips a whole router when no route of it can match the path.

FastAPI (0.16x) matches an included router by walking every one of its routes, each with some
bookkeeping of its own, and tries the included routers in order: a call to the Returns API used
to walk the forty-odd web pages first, a sizeable share of a one-query GET. A route path is
literal up to its first `{`, so a set lookup and a `str.startswith` tell which routers to skip.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope


@dataclass
class _GatedRouter(_IncludedRouter):
    gate: PathGate = field(default_factory=lambda: PathGate(()))

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.gate.may_match(get_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)


class PathGate:
    """Whether a path may match one of some route paths: a path without parameters only itself
    (give or take a trailing slash, which the router redirects), one with parameters only paths
    starting with its literal start (the part before its first `{`)."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.exact = frozenset(path.rstrip("/") for path in paths if "{" not in path)
        kept: list[str] = []
        for literal in sorted({path.split("{", 1)[0] for path in paths if "{" in path}, key=len):
            if not literal.startswith(tuple(kept)):  # "/a/" already covers "/a/b/"
                kept.append(literal)
        self.prefixes = tuple(kept)

    def may_match(self, path: str) -> bool:
        return path.rstrip("/") in self.exact or path.startswith(self.prefixes)


def gate_included_routers(app: FastAPI) -> None:
    """Give each router included in `app` a prefix gate. Call once every router is included."""
    routes = app.router.routes
    for index, route in enumerate(routes):
        if type(route) is not _IncludedRouter or route.include_context.prefix:
            continue  # a prefixed include would need its prefix joined in; we use none
        paths = [getattr(child, "path", "") for child in route.original_router.routes]
        if not all(paths) or any(type(child) is _IncludedRouter for child in route.original_router.routes):
            continue  # something whose paths we cannot read: left to match as before
        routes[index] = _GatedRouter(
            original_router=route.original_router,
            include_context=route.include_context,
            gate=PathGate(paths),
        )

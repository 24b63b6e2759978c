"""Route matching that skips a whole router when no route of it can match the path, and the
routes of a router that cannot.

FastAPI (0.16x) matches an included router by walking every one of its routes, each with some
bookkeeping of its own, and tries the included routers in order: a call to the Returns API used
to walk the forty-odd web pages first, a sizeable share of a one-query GET. Inside the router it
walks them twice (once to match the router, once to pick the route), so the eighth route of a
router costs sixteen tries. A route path is literal up to its first `{`, so a set lookup and a
`str.startswith` tell which routers and which routes to skip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from fastapi import FastAPI
from fastapi.routing import _IncludedRouter
from starlette._utils import get_route_path
from starlette.routing import Match
from starlette.types import Scope

# The path being matched while a _GatedRouter picks among its routes (FastAPI asks the router for
# its candidates without saying for which path).
_MATCHING: ContextVar[str | None] = ContextVar("homeward_matching_path", default=None)


@dataclass
class _GatedRouter(_IncludedRouter):
    gate: PathGate = field(default_factory=lambda: PathGate(()))
    # FastAPI's candidates (the list itself) and a cached pick among them by path; rebuilt when
    # FastAPI rebuilds its list.
    _picker: tuple[list[Any], Callable[[str], list[Any]]] | None = None

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if not self.gate.may_match(get_route_path(scope)):
            return Match.NONE, {}
        return super().matches(scope)

    def _match(self, scope: Scope) -> Any:
        token = _MATCHING.set(get_route_path(scope))
        try:
            return super()._match(scope)
        finally:
            _MATCHING.reset(token)

    def effective_candidates(self) -> Any:
        everything = super().effective_candidates()
        path = _MATCHING.get()
        if path is None:  # not matching a request: the OpenAPI schema, say, wants them all
            return everything
        return self._candidates_for(everything)(path)

    def _candidates_for(self, everything: list[Any]) -> Callable[[str], list[Any]]:
        """The candidates (in order) whose path may match a path; cached per path, so the usual
        request costs one lookup."""
        if self._picker is None or self._picker[0] is not everything:
            gates = [PathGate((candidate.path,)) for candidate in everything]

            @lru_cache(maxsize=2048)
            def pick(path: str) -> list[Any]:
                return [c for c, gate in zip(everything, gates, strict=True) if gate.may_match(path)]

            self._picker = (everything, pick)
        return self._picker[1]


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

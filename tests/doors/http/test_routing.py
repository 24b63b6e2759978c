"""Every route is reached by its own paths, whichever router it sits in and wherever in it
(doors/http/routing.py skips routers and routes whose paths cannot match)."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from homeward.doors.http.routing import _GatedRouter


def _every_route(client: TestClient) -> list[tuple[str, str]]:
    """(method, path template) of every APIRoute the app serves, routers included."""
    found = []
    for route in client.app.router.routes:  # type: ignore[attr-defined]
        children = route.effective_candidates() if isinstance(route, _GatedRouter) else [route]
        for child in children:
            original = getattr(child, "original_route", child)
            if isinstance(original, APIRoute):
                found += [(method, original.path) for method in sorted(original.methods - {"HEAD"})]
    return found


def _a_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "7", template)


def test_every_route_is_reached_by_its_paths(client: TestClient) -> None:
    routes = _every_route(client)
    assert len(routes) > 80  # the web pages and every API door
    for method, template in routes:
        response = client.request(method, _a_path(template), follow_redirects=False)
        missing = response.status_code == 404 and "No route" in response.text
        assert not missing and response.status_code != 405, (method, template, response.status_code)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/2025-07/fulfillment-center", "GET"),  # the last route of its router
        ("PATCH", "/2025-07/return/7", "GET, PUT"),  # two routes share the path
        ("GET", "/2025-07/return/7:cancel", "POST"),
        ("DELETE", "/returns/7/cancel", "GET, POST"),  # a web page's form and its answer
    ],
)
def test_a_path_with_other_methods_says_which(
    client: TestClient, method: str, path: str, allowed: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405 and response.headers["allow"] == allowed


def test_a_trailing_slash_is_redirected_to_the_route(client: TestClient) -> None:
    response = client.get("/2025-07/fulfillment-center/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].endswith("/2025-07/fulfillment-center")

"""Signing a TestClient in and reading the CSRF token of a page: what HTTP-level page tests share."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, login: dict[str, str]) -> None:
    """Sign in as a demo web user ({"email", "password"}), dropping any earlier session."""
    client.cookies.clear()
    token = csrf_of(client.get("/login").text)
    answer = client.post(
        "/login",
        data={"csrftoken": token, "email": login["email"], "password": login["password"], "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def post_form(client: TestClient, path: str, data: dict[str, Any], *, page: str | None = None) -> Any:
    """POST a form as the browser would: with the CSRF token of the page it sits on."""
    token = csrf_of(client.get(page or path).text)
    return client.post(path, data={"csrftoken": token, **data}, follow_redirects=False)

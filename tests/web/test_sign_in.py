"""Sign-in, sessions and CSRF over HTTP (no browser needed for these rules)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def _token(client: TestClient, path: str = "/login") -> str:
    found = CSRF.search(client.get(path).text)
    assert found, f"no CSRF field on {path}"
    return found.group(1)


def _sign_in(client: TestClient, email: str, password: str, next_path: str = "/") -> Any:
    return client.post(
        "/login",
        data={"csrftoken": _token(client), "email": email, "password": password, "next": next_path},
        follow_redirects=False,
    )


def test_merchant_signs_in_and_lands_on_returns(client: TestClient, demo: dict[str, Any]) -> None:
    login = demo["web_users"]["merchant"]
    answer = _sign_in(client, login["email"].upper(), login["password"])
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "homeward_session=" in cookie and "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http: a Secure cookie would never come back
    assert client.get("/", follow_redirects=False).headers["location"] == "/returns"


def test_warehouse_user_lands_on_receive(client: TestClient, demo: dict[str, Any]) -> None:
    login = demo["web_users"]["warehouse"]["1"]
    assert _sign_in(client, login["email"], login["password"]).status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"] == "/receive"


def test_wrong_password_says_so_and_signs_nobody_in(client: TestClient, demo: dict[str, Any]) -> None:
    answer = _sign_in(client, demo["web_users"]["merchant"]["email"], "not the password")
    assert answer.status_code == 401
    assert "The email or password is wrong." in answer.text
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_unknown_email_gets_the_same_answer(client: TestClient, demo: dict[str, Any]) -> None:
    answer = _sign_in(client, "nobody@example.com", "whatever-password")
    assert answer.status_code == 401 and "The email or password is wrong." in answer.text


def test_repeated_failures_are_rate_limited_even_with_the_right_password(
    client: TestClient, demo: dict[str, Any]
) -> None:
    login = demo["web_users"]["merchant"]
    for _ in range(5):
        assert _sign_in(client, login["email"], "wrong password!").status_code == 401
    answer = _sign_in(client, login["email"], login["password"])
    assert answer.status_code == 429
    assert "Too many failed sign-ins" in answer.text


def test_form_without_csrf_token_is_refused(client: TestClient, demo: dict[str, Any]) -> None:
    login = demo["web_users"]["merchant"]
    client.get("/login")  # the browser holds the CSRF cookie, as a real one would
    answer = client.post(
        "/login", data={"email": login["email"], "password": login["password"]}, follow_redirects=False
    )
    assert answer.status_code == 403
    assert "This form has expired" in answer.text
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_sign_out_ends_the_session(client: TestClient, demo: dict[str, Any]) -> None:
    login = demo["web_users"]["merchant"]
    _sign_in(client, login["email"], login["password"])
    token = client.cookies["homeward_csrf"]  # double submit: the form echoes the cookie's token
    answer = client.post("/logout", data={"csrftoken": token}, follow_redirects=False)
    assert answer.status_code == 303
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_open_redirects_are_not_followed(client: TestClient, demo: dict[str, Any]) -> None:
    login = demo["web_users"]["merchant"]
    answer = _sign_in(client, login["email"], login["password"], next_path="//evil.example/")
    assert answer.headers["location"] == "/"


def test_api_requests_get_no_web_cookies(client: TestClient, demo: dict[str, Any]) -> None:
    answer = client.get("/2025-07/return", headers={"Authorization": f"Bearer {demo['token']}"})
    assert answer.status_code == 200
    assert "set-cookie" not in answer.headers


def test_over_https_the_cookies_are_secure(database_url: str, demo: dict[str, Any]) -> None:
    from homeward.app import create_app

    client = TestClient(create_app(database_url), base_url="https://testserver")
    login = demo["web_users"]["merchant"]
    answer = _sign_in(client, login["email"], login["password"])
    assert answer.status_code == 303
    assert "secure" in answer.headers["set-cookie"].lower()


def test_sessions_are_stored_by_hash_only(
    client: TestClient, demo: dict[str, Any], database_url: str
) -> None:
    import hashlib

    from sqlalchemy import create_engine, text

    login = demo["web_users"]["merchant"]
    _sign_in(client, login["email"], login["password"])
    session_id = client.cookies["homeward_session"]
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as conn:
        ids = set(conn.execute(text("SELECT id FROM web_sessions")).scalars())
        hashes = list(conn.execute(text("SELECT password_hash FROM web_users")).scalars())
    engine.dispose()
    assert hashlib.sha256(session_id.encode()).hexdigest() in ids
    assert session_id not in ids
    assert all(h.startswith("$argon2id$") for h in hashes) and login["password"] not in "".join(hashes)


def test_a_session_id_made_up_by_the_browser_signs_nobody_in(
    client: TestClient, demo: dict[str, Any]
) -> None:
    client.cookies.set("homeward_session", "made-up-session-id")
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_reading_pages_does_not_rewrite_the_session(
    client: TestClient, demo: dict[str, Any], database_url: str
) -> None:
    from sqlalchemy import create_engine, text

    login = demo["web_users"]["merchant"]
    _sign_in(client, login["email"], login["password"])
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://", 1))

    def stored() -> list[tuple[Any, ...]]:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text("SELECT id, data, expires_at FROM web_sessions"))]

    after_sign_in = stored()
    for _ in range(3):
        assert client.get("/returns").status_code == 200
    assert stored() == after_sign_in  # same content, expiry pushed minutes ago: nothing written
    client.post("/logout", data={"csrftoken": client.cookies["homeward_csrf"]}, follow_redirects=False)
    assert stored() != after_sign_in  # a change is always written
    engine.dispose()

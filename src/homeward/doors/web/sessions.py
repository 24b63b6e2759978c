"""Server-side sessions (starsessions) kept in the database, and CSRF (asgi-csrf) for every form.

The browser holds a random session id in an HttpOnly, SameSite=Lax cookie (Secure over https)
and a signed CSRF token that every form posts back; the session's data stays on the server.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from asgi_csrf import asgi_csrf
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send
from starsessions import SessionMiddleware, SessionStore

from homeward.db import Database
from homeward.doors.web.paths import is_web_path
from homeward.users import service as users

SESSION_COOKIE = "homeward_session"
CSRF_COOKIE = "homeward_csrf"
CSRF_FIELD = "csrftoken"  # the hidden input every form sends first
CSRF_HEADER = "x-csrftoken"  # what htmx requests send instead
SESSION_LIFETIME = timedelta(hours=12)


# A session whose content did not change is written back (to push its expiry) at most this often.
REFRESH_EVERY = timedelta(minutes=10)
_SEEN_LIMIT = 10_000


def _content(data: bytes) -> Any:
    """What the session holds, without starsessions' metadata (its last-access time always moves)."""
    try:
        loaded = json.loads(data or b"{}")
    except ValueError:
        return None
    if isinstance(loaded, dict):
        loaded.pop("__metadata__", None)
    return loaded


class DatabaseSessionStore(SessionStore):
    """starsessions' storage interface over the web_sessions table (ids stored hashed).

    starsessions saves a loaded session on every response; a page view that changed nothing in it
    is not written again unless its expiry was last pushed REFRESH_EVERY ago, so reading a page costs
    one indexed read, not a write transaction.
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._seen: dict[str, tuple[Any, float]] = {}  # id -> (content read, seconds it had left)

    async def read(self, session_id: str, lifetime: int) -> bytes:
        found = await run_in_threadpool(users.read_session, self.db, session_id)
        if not found:
            return b""
        data, remaining = found
        if len(self._seen) >= _SEEN_LIMIT:
            self._seen.clear()
        self._seen[session_id] = (_content(data), remaining)
        return data

    async def write(self, session_id: str, data: bytes, lifetime: int, ttl: int) -> str:
        seen = self._seen.pop(session_id, None)
        unchanged = seen is not None and seen[0] == _content(data)
        if unchanged and seen is not None and seen[1] > lifetime - REFRESH_EVERY.total_seconds():
            return session_id
        await run_in_threadpool(users.write_session, self.db, session_id, data, ttl or lifetime)
        return session_id

    async def remove(self, session_id: str) -> None:
        await run_in_threadpool(users.remove_session, self.db, session_id)


class WebOnly:
    """Runs page requests through sessions and CSRF; API requests go straight to the app.

    Two session middlewares share one store: the cookie gets `Secure` when the request came
    over https (directly or through a proxy that uvicorn trusts), not otherwise, so the demo
    works on http://127.0.0.1 and production cookies never travel in clear.
    """

    def __init__(self, app: ASGIApp, db: Database, on_csrf_failure: Any) -> None:
        self.app, self.db, self.on_csrf_failure = app, db, on_csrf_failure
        self.stacks: tuple[ASGIApp, ASGIApp] | None = None

    def _build(self, csrf_secret: str) -> tuple[ASGIApp, ASGIApp]:
        store = DatabaseSessionStore(self.db)
        lifetime = int(SESSION_LIFETIME.total_seconds())
        app = self.app

        def stack(secure: bool) -> ASGIApp:
            sessions = SessionMiddleware(
                app,
                store=store,
                lifetime=lifetime,
                rolling=True,
                cookie_name=SESSION_COOKIE,
                cookie_same_site="lax",
                cookie_https_only=secure,
                cookie_path="/",
            )
            return asgi_csrf(  # type: ignore[no-any-return]
                sessions,
                cookie_name=CSRF_COOKIE,
                http_header=CSRF_HEADER,
                signing_secret=csrf_secret,
                cookie_secure=secure,
                cookie_samesite="Lax",
                # Sign-in and sign-out are checked even for a browser without cookies yet: no one
                # may sign a visitor in to (or out of) an account from another site.
                always_protect={"/login", "/logout"},
                send_csrf_failed=self.on_csrf_failure,
            )

        return stack(secure=False), stack(secure=True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_web_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        if self.stacks is None:
            # The CSRF signing secret lives in the database, shared by every worker; read at the
            # first page request (the schema is migrated by then), not when the app is built.
            secret = await run_in_threadpool(users.app_secret, self.db, "csrf")
            self.stacks = self._build(secret)
        plain, secure = self.stacks
        await (secure if scope.get("scheme") == "https" else plain)(scope, receive, send)

"""FastAPI dependencies shared by every HTTP door: the database, the caller, common headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from homeward.auth.domain import Principal, Scope
from homeward.auth.service import authenticate
from homeward.db import Database
from homeward.kit.errors import FieldError, InvalidInput

bearer = HTTPBearer(auto_error=False, description="Personal access token: `Authorization: Bearer <token>`")

INT32_MAX = 2**31 - 1


# Dependencies that do no I/O are `async def` so FastAPI runs them inline, not via the thread pool.


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


# Authentication runs on the event loop, not in the thread pool: it is one indexed read that
# never waits on a lock (SQLite WAL readers never block; PostgreSQL reads in autocommit), so a
# thread hop (two context switches and a future) would cost more than the query. The handler
# that follows then makes at most one hop for its own use case.


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    return _authenticate(request, credentials)


def _authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    db: Database = request.app.state.db
    with db.connect() as connection:
        return authenticate(connection, credentials.credentials if credentials else None)


def requires(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and insists on one scope (403 without it)."""

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal:
        principal = _authenticate(request, credentials)
        principal.require(scope)
        return principal

    return dependency


async def channel_id_header(
    shipbob_channel_id: str | None = Header(
        None,
        alias="shipbob_channel_id",
        convert_underscores=False,
        description="Channel id for the operation (required on writes)",
    ),
) -> int | None:
    if shipbob_channel_id is None or shipbob_channel_id.strip() == "":
        return None
    text = shipbob_channel_id.strip()
    if not text.isdigit() or int(text) > INT32_MAX:
        raise InvalidInput(
            "shipbob_channel_id header is not valid",
            [
                FieldError(
                    "shipbob_channel_id", f"must be a channel id (a positive integer), got {text[:40]!r}"
                )
            ],
        )
    return int(text)

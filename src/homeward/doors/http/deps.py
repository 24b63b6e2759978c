"""FastAPI dependencies shared by every HTTP door: the database, the caller, common headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import TypeVar

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from homeward.auth.domain import Principal, Scope
from homeward.auth.service import authenticate
from homeward.db import Database, NotNow
from homeward.doors.http.together import Together
from homeward.kit.errors import FieldError, InvalidInput, Unauthenticated

bearer = HTTPBearer(auto_error=False, description="Personal access token: `Authorization: Bearer <token>`")

INT32_MAX = 2**31 - 1
T = TypeVar("T")
I = TypeVar("I")  # noqa: E741  # an item of a batch


# Dependencies that do no I/O are `async def` so FastAPI runs them inline, not via the thread pool.


async def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


# Where blocking database work runs: reads and authentication on the event loop, on both
# databases. A read never waits on a lock (SQLite's WAL readers, PostgreSQL's snapshots), so all
# it waits for is the query itself; a hop to a thread and back costs more than that (two
# wake-ups: measured at ~0.25 ms of CPU on our 2-core VMs, where a one-row query costs ~0.15).
# A write goes to a thread (on PostgreSQL the server works on it a while; a thread lets others
# run meanwhile), except on SQLite when the writer's turn is free (Database.write_now). A caller's
# creates that arrive while the caller's last ones are being written go together, in one
# transaction on one thread hop (write_together, doors/http/together.py).


def _authenticate(db: Database, credentials: HTTPAuthorizationCredentials | None, scope: Scope) -> Principal:
    with db.connect() as connection:
        principal = authenticate(connection, credentials.credentials if credentials else None)
    principal.require(scope)
    return principal


async def current_principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Principal:
    db: Database = request.app.state.db
    with db.connect() as connection:
        return authenticate(connection, credentials.credentials if credentials else None)


def requires(scope: Scope) -> Callable[..., Awaitable[Principal]]:
    """A dependency that authenticates the caller and insists on one scope (403 without it)."""

    async def dependency(
        request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
    ) -> Principal:
        return _authenticate(request.app.state.db, credentials, scope)

    return dependency


class Access:
    """A caller and the database: `read`/`write` run a use case with the caller's Principal,
    authentication included, in one go (inline or on one thread)."""

    def __init__(
        self,
        db: Database,
        credentials: HTTPAuthorizationCredentials | None,
        scope: Scope,
        together: Together,
        principal: Principal | None = None,
    ) -> None:
        self.db, self.credentials, self.scope, self.principal = db, credentials, scope, principal
        self.together = together

    def _principal(self) -> Principal:
        if self.principal is None:
            self.principal = _authenticate(self.db, self.credentials, self.scope)
        return self.principal

    def _run(self, use_case: Callable[[Principal], T]) -> T:
        return use_case(self._principal())

    def _read(self, use_case: Callable[[Principal], T]) -> T:
        with self.db.one_connection():  # the token and the use case's short reads: one checkout
            return self._run(use_case)

    async def read(self, use_case: Callable[[Principal], T]) -> T:
        return self._read(use_case)

    async def write(self, use_case: Callable[[Principal], T]) -> T:
        done = self.db.write_now(lambda: self._run(use_case))  # SQLite, when nobody else writes
        if isinstance(done, NotNow):
            return await run_in_threadpool(self._run, use_case)
        return done

    async def write_together(
        self, key: Hashable, item: I, use_case: Callable[[Principal, list[I]], Sequence[T | Exception]]
    ) -> T:
        """write() for a use case that takes many items and answers each: this caller's writes
        with the same key that arrive meanwhile go with this one, in one call (together.py)."""
        token = self.credentials.credentials if self.credentials else None
        result: T | Exception = await self.together.write(
            (token, self.scope, key),
            item,
            lambda items: self.write(lambda principal: use_case(principal, items)),
        )
        if isinstance(result, Exception):
            raise result
        return result

    async def check(self) -> None:
        """Authenticate now (401/403 if the token may not), unless that was done already."""
        if self.principal is None:
            self._principal()


class _AccessDependency(HTTPBearer):
    """An HTTPBearer that hands the handler an Access: a dependency of its own, not one that
    depends on `bearer`, since FastAPI solves every level of dependencies anew on each request
    (~80 calls a request), while being an HTTPBearer still documents the token in OpenAPI."""

    def __init__(self, scope: Scope, before_body: bool) -> None:
        super().__init__(auto_error=False, scheme_name="HTTPBearer", description=bearer.model.description)
        self.scope, self.before_body = scope, before_body

    async def __call__(self, request: Request) -> Access:  # type: ignore[override]  # an Access, not credentials
        credentials = await super().__call__(request)
        if credentials is None or not credentials.credentials:
            raise Unauthenticated("Authorization header with a Bearer token is required")
        caller = Access(request.app.state.db, credentials, self.scope, request.app.state.together)
        if self.before_body:
            request.state.check_caller = caller.check
        return caller


def access(scope: Scope, *, before_body: bool = False) -> Callable[..., Awaitable[Access]]:
    """A dependency handing the handler an Access for this scope.

    `before_body`: a caller without the right hears 401/403 before anything about what it sent
    (a 400 on the body, a header or the path). The check is left with the request for the error
    handlers (doors/http/errors.py), which run it before answering 400: a good request is
    authenticated once, on the same thread hop as its use case, not on one of its own first."""
    return _AccessDependency(scope, before_body)


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

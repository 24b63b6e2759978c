"""`Idempotency-Key` on every POST: a repeat within 24 hours gets the first answer again.

Plain ASGI middleware. A request without the header costs one scan of its header list and
nothing else: no body buffering, no database. With the header, the key is claimed in its own
transaction before the request runs (see homeward.idempotency.service):
- same key, same request (method, path, query, body), finished: the stored status, headers and
  body, with `Idempotent-Replayed: true`; nothing runs again;
- same key, another request: 422 naming `Idempotency-Key`;
- same key while the first is still running: 409 with `Retry-After: 1`.
Keys belong to the credentials that sent them (a SHA-256 of the Authorization header): two tokens
never share keys. A 5xx answer is not kept, so the client can retry with the same key.
"""

from __future__ import annotations

import hashlib
import tempfile
from typing import Any

from anyio import to_thread
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from homeward.db import Database
from homeward.doors.http.errors import render
from homeward.idempotency import service
from homeward.idempotency.service import Stored, Verdict
from homeward.kit.errors import FieldError, HomewardError, InvalidInput, RuleViolation

HEADER = b"idempotency-key"
KEY_MAX = 255
CHUNK = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024
# Headers of the first answer worth replaying (the rest describe that one exchange).
_NOT_REPLAYED = {"x-request-id", "content-length", "date", "server"}


# How the OpenAPI document names the header on every POST that takes credentials.
OPENAPI_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Any unique string (a UUID, say). Sent again with the same request within 24 "
    "hours, the first answer (status and body) comes back with `Idempotent-Replayed: true` and "
    "nothing is done twice; the same key with another request is 422; while the first request "
    "with it is still running, 409 with `Retry-After`. Keys belong to the credentials that send them.",
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": r"^[!-~]([ -~]*[!-~])?$"},
}
OPENAPI_RESPONSES: dict[str, dict[str, Any]] = {
    "400": {"description": "Malformed request (or an Idempotency-Key that is not 1 to 255 printable ASCII)"},
    "409": {"description": "The first request with this Idempotency-Key is still running; see `Retry-After`"},
    "422": {"description": "A rule was broken (or the Idempotency-Key was used with another request)"},
}


# FastAPI documents a 422 of this shape on every route with parameters; the app never answers
# it (errors.py renders request validation per dialect), so an answer of ours takes its place.
_HTTP_VALIDATION_ERROR = "#/components/schemas/HTTPValidationError"


def document(app: FastAPI) -> None:
    """Add the header (and the answers it may bring) to the app's OpenAPI document, on the POSTs
    the middleware applies to: those that take credentials."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operations in schema.get("paths", {}).values():
                operation = operations.get("post")
                if operation is None or not operation.get("security"):
                    continue
                operation.setdefault("parameters", []).append(OPENAPI_PARAMETER)
                responses = operation.setdefault("responses", {})
                for status, response in OPENAPI_RESPONSES.items():
                    if status not in responses or _HTTP_VALIDATION_ERROR in str(responses[status]):
                        responses[status] = response
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class Conflict(HomewardError):
    """The same key's first request is still running."""


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        key = authorization = None
        for name, value in scope["headers"]:
            if name == HEADER:
                key = value
            elif name == b"authorization":
                authorization = value
        if key is None or authorization is None:  # no key; or no caller (401 anyway)
            await self.app(scope, receive, send)
            return
        await self._idempotent(scope, receive, send, key, authorization)

    async def _idempotent(
        self, scope: Scope, receive: Receive, send: Send, raw_key: bytes, auth: bytes
    ) -> None:
        path = scope["path"]
        key = raw_key.decode("latin-1").strip()
        if not key or len(key) > KEY_MAX or not key.isprintable() or not key.isascii():
            invalid = InvalidInput(
                "The Idempotency-Key header is not valid",
                [FieldError("Idempotency-Key", f"must be 1 to {KEY_MAX} printable ASCII characters")],
            )
            await render(path, 400, invalid)(scope, receive, send)
            return
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 - closed below
        try:
            digest = hashlib.sha256()
            digest.update(
                scope["method"].encode() + b" " + path.encode() + b"?" + scope.get("query_string", b"")
            )
            digest.update(b"\n")
            more = True
            while more:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return
                chunk = message.get("body", b"")
                digest.update(chunk)
                body.write(chunk)
                more = message.get("more_body", False)
            db: Database = scope["app"].state.db
            caller = hashlib.sha256(auth).hexdigest()
            claim = await to_thread.run_sync(service.claim, db, caller, key, digest.hexdigest())
            if claim.verdict is Verdict.REPLAY:
                assert claim.stored is not None
                await _replay(claim.stored, send)
            elif claim.verdict is Verdict.MISMATCH:
                mismatch = RuleViolation(
                    "This Idempotency-Key was used with another request",
                    [
                        FieldError(
                            "Idempotency-Key", "already used with a different request in the last 24 hours"
                        )
                    ],
                )
                await render(path, 422, mismatch)(scope, receive, send)
            elif claim.verdict is Verdict.BUSY:
                busy = Conflict("A request with this Idempotency-Key is still running; retry shortly")
                await render(path, 409, busy, {"Retry-After": "1"})(scope, receive, send)
            else:
                assert claim.row_id is not None
                body.seek(0)
                await self._run(scope, receive, send, body, db, claim.row_id)
        finally:
            body.close()

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, body: Any, db: Database, row_id: int
    ) -> None:
        started: dict[str, Any] = {}
        chunks: list[bytes] = []
        finished = replayed = False
        last: Message | None = None

        async def replay_body() -> Message:
            nonlocal replayed
            if replayed:  # the body was handed over: what comes next is the client's (disconnect)
                return await receive()
            chunk = body.read(CHUNK)
            replayed = len(chunk) < CHUNK
            return {"type": "http.request", "body": chunk, "more_body": not replayed}

        async def keep(message: Message) -> None:
            nonlocal finished, last
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                finished = not message.get("more_body", False)
                if finished:
                    # Held back until the answer is stored: a client that got it and retries at
                    # once must find it replayable, not still running (a 409).
                    last = message
                    return
            await send(message)

        try:
            await self.app(scope, replay_body, keep)
        finally:
            try:
                status = int(started.get("status", 500))
                if finished and status < 500:
                    headers = [
                        (n.decode("latin-1"), v.decode("latin-1"))
                        for n, v in started.get("headers", [])
                        if n.decode("latin-1").lower() not in _NOT_REPLAYED
                    ]
                    stored = Stored(status, headers, b"".join(chunks))
                    await to_thread.run_sync(service.store, db, row_id, stored)
                else:
                    await to_thread.run_sync(service.release, db, row_id)
            finally:
                if last is not None:
                    await send(last)


async def _replay(stored: Stored, send: Send) -> None:
    headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in stored.headers]
    headers.append((b"content-length", str(len(stored.body)).encode()))
    headers.append((b"idempotent-replayed", b"true"))
    await send({"type": "http.response.start", "status": stored.status, "headers": headers})
    await send({"type": "http.response.body", "body": stored.body})

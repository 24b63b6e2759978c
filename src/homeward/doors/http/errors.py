"""Turns domain errors into HTTP answers in the dialect of the path that was called.

Each door registers a renderer for its path prefix; the same RuleViolation becomes a ShipBob
ApiError, a 1.0 ValidationProblemDetails or (later) an OMS error list.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute, _IncludedRouter
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from homeward.kit.errors import (
    FieldError,
    Forbidden,
    HomewardError,
    InsufficientStorage,
    InvalidInput,
    NotFound,
    RuleViolation,
    TooManyAttempts,
    Unauthenticated,
    Unavailable,
)

Renderer = Callable[[int, HomewardError], dict[str, Any]]

STATUS_OF: dict[type[HomewardError], int] = {
    InvalidInput: 400,
    Unauthenticated: 401,
    Forbidden: 403,
    NotFound: 404,
    RuleViolation: 422,
    TooManyAttempts: 429,
    Unavailable: 503,
    InsufficientStorage: 507,
}

TITLES = {
    400: "One or more validation errors occurred.",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Content Too Large",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    503: "Service Unavailable",
    507: "Insufficient Storage",
}


def problem_details(status: int, error: HomewardError) -> dict[str, Any]:
    """RFC 9457 problem details with ASP.NET-style `errors` {field: [messages]} (ShipBob's shape)."""
    body: dict[str, Any] = {
        "type": f"https://httpstatuses.io/{status}",
        "title": TITLES.get(status, error.message),
        "status": status,
        "detail": error.message,
        "instance": None,
    }
    if error.errors:
        grouped: dict[str, list[str]] = {}
        for item in error.errors:
            grouped.setdefault(item.field or "$", []).append(item.message)
        body["errors"] = grouped
    return body


_renderers: list[tuple[str, Renderer]] = []

# The web app's pages answer errors as HTML pages (or a redirect to sign in), not JSON.
PageRenderer = Callable[[Request, int, HomewardError, "dict[str, str] | None"], Response]
_pages: list[tuple[Callable[[str], bool], PageRenderer]] = []


def register_pages(is_page: Callable[[str], bool], renderer: PageRenderer) -> None:
    _pages.append((is_page, renderer))


def respond(
    request: Request, status: int, error: HomewardError, headers: dict[str, str] | None = None
) -> Response:
    for is_page, page_renderer in _pages:
        if is_page(request.url.path):
            return page_renderer(request, status, error, headers)
    return render(request.url.path, status, error, headers)


def register_dialect(prefix: str, renderer: Renderer) -> None:
    _renderers.append((prefix, renderer))
    _renderers.sort(key=lambda pair: -len(pair[0]))  # longest prefix wins


def render(
    path: str, status: int, error: HomewardError, headers: dict[str, str] | None = None
) -> JSONResponse:
    renderer: Renderer = problem_details
    for prefix, candidate in _renderers:
        if path.startswith(prefix):
            renderer = candidate
            break
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": "Bearer"}
    return JSONResponse(renderer(status, error), status_code=status, headers=headers)


def field_path(loc: Sequence[int | str]) -> str:
    """('body', 'inventory', 0, 'id') -> 'inventory[0].id'; query/header names stay as sent."""
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "header", "path") else list(loc)
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "body"


def validation_to_error(exc: RequestValidationError) -> InvalidInput:
    errors = []
    for err in exc.errors():
        message, where = str(err.get("msg", "is not valid")), field_path(err.get("loc", ()))
        if err.get("type") == "json_invalid":
            message = f"is not valid JSON ({err.get('ctx', {}).get('error', 'parse error')})"
            where = "body"
        errors.append(FieldError(where, message))
    return InvalidInput("The request is not valid", errors)


RETRY_SOON = {"Retry-After": "1"}


def _unavailable_status(exc: DBAPIError) -> int | None:
    """503 when the database is away or busy (try again soon), 507 when its disk is full, else None."""
    if exc.connection_invalidated:
        return 503
    if not isinstance(exc, OperationalError):
        return None
    message = str(exc.orig).lower()
    if "disk is full" in message:
        return 507
    if type(exc.orig).__module__.startswith("psycopg"):
        return 503  # connection refused or lost, server shutting down or starting, lock timeout
    return 503 if "locked" in message or "busy" in message else None


def install(app: FastAPI) -> None:
    @app.exception_handler(HomewardError)
    async def _domain(request: Request, exc: HomewardError) -> Response:
        status = STATUS_OF.get(type(exc), 400)
        if status == 400 and (refused := await _caller_refused(request)) is not None:
            return refused
        return respond(request, status, exc, RETRY_SOON if status in (503, 507) else None)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        status = _unavailable_status(exc)
        if status is None:
            raise exc  # any other database error is a bug: let it be a logged 500
        # The database is away (restarting, or refusing connections), cut the connection mid-request,
        # or is busy with another writer (SQLite). A write that was cut off was rolled back, and one
        # cut off while committing is safe to resend (reference ids are unique).
        error: HomewardError = Unavailable("The database is not available just now; please retry")
        if status == 507:
            error = InsufficientStorage("The database's disk is full; nothing was recorded")
        return respond(request, status, error, RETRY_SOON)

    @app.exception_handler(SQLAlchemyTimeoutError)
    async def _pool_exhausted(request: Request, exc: SQLAlchemyTimeoutError) -> Response:
        error = Unavailable("Every database connection is busy; please retry")
        return respond(request, 503, error, RETRY_SOON)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        if (refused := await _caller_refused(request)) is not None:
            return refused
        return respond(request, 400, validation_to_error(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route for {request.method} {request.url.path}"
        if exc.status_code == 405:
            # Starlette names only the first route that matched the path; list every method it has.
            allowed = _methods_for(app, request.url.path)
            headers["Allow"] = ", ".join(allowed)
            detail = f"{request.method} is not allowed here; use {', '.join(allowed)}"
        return respond(request, exc.status_code, HomewardError(detail), headers)


async def _caller_refused(request: Request) -> Response | None:
    """The 401/403 owed to a caller before a 400, on routes that ask for it (doors.http.deps.access
    with before_body leaves `check_caller` on the request); None when the caller may go on."""
    check: Callable[[], Awaitable[None]] | None = getattr(request.state, "check_caller", None)
    if check is None:
        return None
    try:
        await check()
    except (Unauthenticated, Forbidden) as refusal:
        return respond(request, STATUS_OF[type(refusal)], refusal)
    return None


def _methods_for(app: FastAPI, path: str) -> list[str]:
    """Methods the app's routes take at a concrete path (what Allow must say on a 405): pages too,
    which the OpenAPI document leaves out. HEAD goes without saying (every GET takes it)."""
    index: list[tuple[re.Pattern[str], set[str]]] | None = getattr(app.state, "allow_index", None)
    if index is None:
        index = [(route.path_regex, route.methods or set()) for route in _routes(app.router.routes)]
        app.state.allow_index = index
    return sorted({method for regex, methods in index if regex.match(path) for method in methods} - {"HEAD"})


def _routes(routes: Sequence[Any]) -> list[APIRoute]:
    """The APIRoutes among `routes`, those of included routers too (we include them unprefixed)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif isinstance(route, _IncludedRouter):
            found += _routes(route.original_router.routes)
    return found

"""Turns domain errors into HTTP answers in the dialect of the path that was called.

Each door registers a renderer for its path prefix; the same RuleViolation becomes a ShipBob
ApiError, a 1.0 ValidationProblemDetails or (later) an OMS error list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from homeward.kit.errors import (
    FieldError,
    Forbidden,
    HomewardError,
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
}

TITLES = {
    400: "One or more validation errors occurred.",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    503: "Service Unavailable",
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


def install(app: FastAPI) -> None:
    @app.exception_handler(HomewardError)
    async def _domain(request: Request, exc: HomewardError) -> Response:
        return respond(request, STATUS_OF.get(type(exc), 400), exc)

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> Response:
        if not exc.connection_invalidated:
            raise exc  # any other database error is a bug: let it be a logged 500
        # The database dropped the connection mid-request (it restarted). The pool has already been
        # emptied, so a retry gets a fresh connection; a write that was cut off was rolled back,
        # and one cut off while committing is safe to resend (reference ids are unique).
        error = Unavailable("The connection to the database was lost during the request; please retry")
        return respond(request, 503, error, {"Retry-After": "1"})

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
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


def _methods_for(app: FastAPI, path: str) -> list[str]:
    """Methods the OpenAPI document lists for a concrete path (what Allow must say on a 405)."""
    index: list[tuple[re.Pattern[str], str]] | None = getattr(app.state, "allow_index", None)
    if index is None:
        index = [
            (_path_regex(template, operation), method.upper())
            for template, operations in app.openapi().get("paths", {}).items()
            for method, operation in operations.items()
        ]
        app.state.allow_index = index
    return sorted({method for regex, method in index if regex.match(path)})


def _path_regex(template: str, operation: dict[str, Any]) -> re.Pattern[str]:
    """`/return/{id}:cancel` -> a regex; integer path parameters match digits only, as routing does."""
    integers = {
        p["name"]
        for p in operation.get("parameters", [])
        if p.get("in") == "path" and p.get("schema", {}).get("type") == "integer"
    }
    pattern, last = "^", 0
    for found in re.finditer(r"\{([^}:]+)(?::[^}]*)?\}", template):
        pattern += re.escape(template[last : found.start()])
        pattern += "[0-9]+" if found.group(1) in integers else "[^/]+"
        last = found.end()
    return re.compile(pattern + re.escape(template[last:]) + "$")

"""Errors on pages: a page (or a redirect to sign in) in place of the APIs' JSON bodies."""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import Scope, Send

from homeward.doors.web.templating import page, templates
from homeward.kit.errors import HomewardError

HEADLINES = {
    400: "That request was not understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed here",
    422: "That could not be done",
    429: "Too many attempts",
    503: "Temporarily unavailable",
}


def render_error(
    request: Request, status: int, error: HomewardError, headers: dict[str, str] | None
) -> Response:
    if status == 401:
        target = "/login?next=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else "")
        )
        if request.headers.get("hx-request"):
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    if status == 404 and error.message.startswith("No route for"):
        error = HomewardError("There is no page at this address.")
    response = page(
        request,
        "error.html",
        status_code=status,
        headline=HEADLINES.get(status, "Something went wrong"),
        error=error,
    )
    response.headers.update(headers or {})  # Allow on a 405, Retry-After on a 503
    return response


async def csrf_refused(scope: Scope, send: Send, _reason: object) -> None:
    """asgi-csrf's answer to a form without its token (or with a stale one): a page that says why."""
    html = templates.get_template("csrf.html").render().encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"cache-control", b"no-store")],
        }
    )
    await send({"type": "http.response.body", "body": html})

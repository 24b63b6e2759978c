"""JSON bodies over a size are refused before they are read (413 in the caller's dialect).

A return of 500 items fits in a tenth of the limit; a larger declared body is answered at once,
so a 1 GB POST costs the server nothing. Bodies sent chunked (no Content-Length) meet the same
limit on the routes themselves (`max_body_size`), answered by FastAPI as a plain 413.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from homeward.doors.http.errors import render
from homeward.kit.errors import FieldError, InvalidInput

MAX_JSON_BODY = 1024 * 1024
# Where bodies are JSON documents of a return (not files, photos or imports).
JSON_PREFIXES = ("/2025-07/return", "/1.0/return", "/oms/v1/returns")


class JsonBodyLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            path: str = scope["path"]
            if path.startswith(JSON_PREFIXES):
                declared = dict(scope.get("headers") or []).get(b"content-length", b"")
                if declared.isdigit() and int(declared) > MAX_JSON_BODY:
                    error = InvalidInput(
                        "The request body is too large",
                        [
                            FieldError(
                                "body",
                                f"must be at most {MAX_JSON_BODY // 1024} KB, got {int(declared):,} bytes",
                            )
                        ],
                    )
                    await render(path, 413, error, {"Connection": "close"})(scope, receive, send)
                    return
        await self.app(scope, receive, send)

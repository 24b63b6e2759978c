"""`/refunds/v1`: send a refund file over HTTP and get its ack; read refunds by order or return.

POST answers with the very ack the FTP doors would write (text/csv), whatever its rows say; an
HTTP error means the request itself was wrong (no `name`, no token, a body too large).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.doors.http.deps import get_db, requires
from homeward.doors.http.errors import STATUS_OF
from homeward.doors.refunds_api import schemas
from homeward.doors.shipbob.schemas import ProblemDetails
from homeward.kit.errors import FieldError, HomewardError, InvalidInput
from homeward.kit.text import INT32_MAX
from homeward.refunds import reading, service
from homeward.refunds.acks import AckFolder
from homeward.refunds.records import FileRecord, Inbound, Source

router = APIRouter(prefix="/refunds/v1", tags=["Refunds"])

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
_SAFE_NAME = re.compile(r"^[^/\\\x00-\x1f]{1,255}$")
_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": ProblemDetails, "description": "The request is malformed (the field is named)"},
    401: {"model": ProblemDetails, "description": "Authorization missing or invalid"},
    403: {"model": ProblemDetails, "description": "Token lacks the scope"},
    404: {"model": ProblemDetails, "description": "Not found for this merchant"},
}
CSV = "text/csv; charset=utf-8"
NO_NUL = r"^[^\x00]*$"  # PostgreSQL text cannot hold NUL


class PayloadTooLarge(HomewardError):
    """The body is larger than this door accepts (HTTP 413)."""


STATUS_OF[PayloadTooLarge] = 413


@router.post(
    "/files",
    summary="Process a refund file (Jet-style CSV); answers with its ack",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The ack: every row with Status and ErrorMessage"},
        **_ERRORS,
        413: {"model": ProblemDetails, "description": "The file is larger than 200 MB"},
    },
    # Any bytes are a file to answer (one that cannot be read gets a one-row ack): no schema.
    openapi_extra={"requestBody": {"required": True, "content": {"text/csv": {"schema": {}}}}},
)
async def post_file(
    request: Request,
    name: str = Query(description="The file name, e.g. JET_REFUND_072316143000.csv"),
    principal: Principal = Depends(requires(Scope.REFUNDS_WRITE)),
    db: Database = Depends(get_db),
) -> FileResponse:
    if not _SAFE_NAME.match(name) or name in (".", ".."):
        raise InvalidInput(
            "The file name is not valid",
            [FieldError("name", "must be a plain file name (1-255 characters, no '/' or '\\')")],
        )
    scratch = Path(tempfile.mkdtemp(prefix="homeward-refunds-"))
    try:
        upload = scratch / "upload.csv"
        await _save_body(request, upload)
        inbound = Inbound(principal.merchant_id, name, upload, Source.API, f"token {principal.token_id}")
        outcome = await run_in_threadpool(service.handle, db, inbound, AckFolder(scratch / "ack"))
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return FileResponse(
        outcome.ack_location,
        media_type=CSV,
        filename=outcome.file.ack_name,
        headers=_summary_headers(outcome.file),
        background=BackgroundTask(shutil.rmtree, scratch, ignore_errors=True),
    )


async def _save_body(request: Request, target: Path) -> None:
    """Stream the body to disk: a large file never sits in memory."""
    size = 0
    with target.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_UPLOAD_BYTES:
                raise PayloadTooLarge(
                    "The refund file is too large",
                    [FieldError("body", f"must be at most {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")],
                )
            out.write(chunk)


@router.get(
    "/files", response_model=list[schemas.RefundFileOut], responses=_ERRORS, summary="List refund files"
)
def list_files(
    name: str | None = Query(None, max_length=255, pattern=NO_NUL, description="Only files with this name"),
    before_id: int | None = Query(None, ge=1, le=INT32_MAX, description="Only files older than this id"),
    limit: int = Query(50, ge=1, le=250),
    principal: Principal = Depends(requires(Scope.REFUNDS_WRITE)),
    db: Database = Depends(get_db),
) -> list[schemas.RefundFileOut]:
    files = reading.list_files(db, principal, name=name, before_id=before_id, limit=limit)
    return [schemas.file_out(f) for f in files]


@router.get(
    "/files/{file_id}", response_model=schemas.RefundFileOut, responses=_ERRORS, summary="A refund file"
)
def get_file(
    file_id: int = PathParam(ge=0, le=INT32_MAX),
    principal: Principal = Depends(requires(Scope.REFUNDS_WRITE)),
    db: Database = Depends(get_db),
) -> schemas.RefundFileOut:
    return schemas.file_out(reading.get_file(db, principal, file_id))


@router.get(
    "/files/{file_id}/ack",
    summary="The ack of a refund file (an unfinished file is finished first)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "The ack"}, **_ERRORS},
)
def get_ack(
    file_id: int = PathParam(ge=0, le=INT32_MAX),
    principal: Principal = Depends(requires(Scope.REFUNDS_WRITE)),
    db: Database = Depends(get_db),
) -> StreamingResponse:
    record, chunks = reading.file_ack(db, principal, file_id)
    headers = {**_summary_headers(record), "Content-Disposition": _attachment(record.ack_name)}
    return StreamingResponse(chunks, media_type=CSV, headers=headers)


@router.get(
    "/orders/{merchant_order_id}",
    response_model=schemas.MarketplaceOrderOut,
    responses=_ERRORS,
    summary="A marketplace order: charged, refunded so far, and its refunds",
)
def get_order(
    merchant_order_id: str = PathParam(max_length=100, pattern=NO_NUL),
    principal: Principal = Depends(requires(Scope.RETURNS_READ)),
    db: Database = Depends(get_db),
) -> schemas.MarketplaceOrderOut:
    return schemas.order_out(reading.marketplace_order(db, principal, merchant_order_id))


@router.get(
    "/returns/{return_id}",
    response_model=schemas.ReturnRefundsOut,
    responses=_ERRORS,
    summary="Marketplace refunds linked to a Homeward return",
)
def get_return_refunds(
    return_id: int = PathParam(ge=0, le=INT32_MAX),
    principal: Principal = Depends(requires(Scope.RETURNS_READ)),
    db: Database = Depends(get_db),
) -> schemas.ReturnRefundsOut:
    return schemas.return_refunds_out(reading.return_refunds(db, principal, return_id))


def _attachment(name: str) -> str:
    """Content-Disposition for any file name (headers are latin-1: others go percent-encoded)."""
    quoted = quote(name)
    return f'attachment; filename="{name}"' if quoted == name else f"attachment; filename*=utf-8''{quoted}"


def _summary_headers(record: FileRecord) -> dict[str, str]:
    return {
        "X-Refund-File-Id": str(record.id),
        "X-Rows-Ok": str(record.rows_ok),
        "X-Rows-Failed": str(record.rows_failed),
    }

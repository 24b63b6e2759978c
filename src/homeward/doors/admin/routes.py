"""Homeward's own REST door for merchant data: the `homeward import` format over HTTP."""

import contextlib
import json

from fastapi import APIRouter, Body, Depends
from pydantic import BaseModel

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.doors.http.deps import get_db, requires
from homeward.doors.shipbob.schemas import ProblemDetails, SimpleError
from homeward.importing.service import import_lines

router = APIRouter(tags=["Import"])


class ImportResult(BaseModel):
    imported: dict[str, int]


@router.post(
    "/homeward/v1/import",
    response_model=ImportResult,
    summary="Import products and orders (JSON lines, or a JSON array of records)",
    responses={
        400: {"model": ProblemDetails, "description": "A line is not valid; nothing was imported"},
        401: {"model": SimpleError, "description": "Authorization missing or invalid"},
        403: {"model": SimpleError, "description": "Token lacks catalog_write, or an operator-only record"},
        422: {"model": ProblemDetails, "description": "A record breaks a rule; nothing was imported"},
    },
)
def import_records(
    body: str = Body(media_type="application/x-ndjson", description="One JSON record per line"),
    principal: Principal = Depends(requires(Scope.CATALOG_WRITE)),
    db: Database = Depends(get_db),
) -> ImportResult:
    text = body.strip()
    if text.startswith("["):  # a JSON array is accepted too, one record per element
        with contextlib.suppress(json.JSONDecodeError, TypeError):  # else parse() reports bad JSON
            text = "\n".join(json.dumps(record) for record in json.loads(text))
    summary = import_lines(db, text, tenant=principal.merchant_id)
    return ImportResult(imported=summary.counts)

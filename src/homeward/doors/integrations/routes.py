"""Inbound webhooks from returns platforms (/integrations/...), and the record of them that the
merchant reads (GET /2025-07/integration-events). Errors are problem details naming the field."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.doors.http.deps import get_db, requires
from homeward.doors.http.errors import render
from homeward.doors.shipbob import schemas as shipbob_schemas
from homeward.integrations import service
from homeward.integrations.domain import SIGNATURE_HEADERS, Outcome, Platform
from homeward.kit.errors import FieldError, InvalidInput
from homeward.kit.text import INT32_MAX

router = APIRouter(tags=["Integrations"])

BODY_MAX = 1024 * 1024
MerchantKey = Path(
    min_length=8,
    max_length=64,
    pattern=r"^[A-Za-z0-9_-]+$",
    description="The key `homeward integration set` printed",
)
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": shipbob_schemas.ProblemDetails,
        "description": "Not a return this platform sends (fields named)",
    },
    401: {"model": shipbob_schemas.ProblemDetails, "description": "Signature missing or wrong"},
    404: {"model": shipbob_schemas.ProblemDetails, "description": "No integration with this key"},
    413: {"model": shipbob_schemas.ProblemDetails, "description": "Body over 1 MB"},
    422: {
        "model": shipbob_schemas.ProblemDetails,
        "description": "Unknown order or item, or a return rule broken",
    },
}


class ReceivedOut(BaseModel):
    outcome: str
    return_id: int | None
    reference_id: str | None


async def _receive(request: Request, db: Database, platform: Platform, merchant_key: str) -> JSONResponse:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > BODY_MAX:
            error = InvalidInput("The webhook body is too large", [FieldError("body", "at most 1 MB")])
            return render(request.url.path, 413, error)
    signature = request.headers.get(SIGNATURE_HEADERS[platform])
    received = await to_thread.run_sync(service.receive, db, platform, merchant_key, body, signature)
    status = 201 if received.outcome is Outcome.CREATED else 200
    return JSONResponse(
        {
            "outcome": received.outcome.value,
            "return_id": received.return_id,
            "reference_id": received.reference_id,
        },
        status_code=status,
    )


@router.post(
    "/integrations/{platform}/{merchant_key}",
    status_code=201,
    response_model=ReceivedOut,
    responses={**ERRORS, 200: {"model": ReceivedOut, "description": "Already stored, or not a new return"}},
    summary="A returns platform's webhook: AfterShip Returns (return.created) or Loop (return topic, "
    "return.created trigger)",
)
async def platform_webhook(
    request: Request,
    platform: Platform,
    merchant_key: str = MerchantKey,
    db: Database = Depends(get_db),
) -> JSONResponse:
    return await _receive(request, db, platform, merchant_key)


@router.get(
    "/2025-07/integration-events",
    response_model=list[service.EventRecord],
    responses={
        400: ERRORS[400],
        401: {"model": shipbob_schemas.SimpleError, "description": "Authorization missing or invalid"},
        403: {"model": shipbob_schemas.SimpleError, "description": "Token lacks the scope"},
    },
    summary="Webhooks received from returns platforms, newest first (refusals with the reason)",
)
def integration_events(
    limit: int = Query(50, alias="Limit", ge=1, le=service.LOG_LIMIT_MAX),
    before: int | None = Query(None, alias="Before", ge=0, le=INT32_MAX),
    principal: Principal = Depends(requires(Scope.RETURNS_READ)),
    db: Database = Depends(get_db),
) -> list[service.EventRecord]:
    return service.events(db, principal, limit, before)

"""The OMS "Create Return" dialect (seed 004): thin handlers over oms.service / returns.service."""

from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Response

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.doors.http.body_limit import MAX_JSON_BODY
from homeward.doors.http.deps import get_db, requires
from homeward.doors.http.errors import register_dialect
from homeward.doors.oms import mapping, schemas
from homeward.kit.text import INT32_MAX
from homeward.oms import service

register_dialect("/oms/", mapping.error_body)

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.OmsError, "description": "Bad input or a broken rule; nothing was stored"},
    401: {"model": schemas.OmsError, "description": "Authorization missing or invalid"},
    403: {"model": schemas.OmsError, "description": "The token lacks the scope"},
    404: {"model": schemas.OmsError, "description": "No such return for this merchant"},
    422: {
        "model": schemas.OmsError,
        "description": "Not sent by this dialect: every bad input, rule breaks included, is a 400",
    },
}

router = APIRouter(tags=["OMS returns"])


def _json(model: schemas.ReturnOut, status: int = 200) -> Response:
    return Response(content=model.model_dump_json(), status_code=status, media_type="application/json")


@router.post(
    "/oms/v1/returns",
    status_code=201,
    response_model=schemas.ReturnOut,
    responses=ERRORS,
    summary="Create Return",
    max_body_size=MAX_JSON_BODY,  # chunked bodies too (see doors/http/body_limit.py)
)
def create_return(
    body: schemas.CreateReturnIn = Body(),
    principal: Principal = Depends(requires(Scope.RETURNS_WRITE)),
    db: Database = Depends(get_db),
) -> Response:
    request, details = mapping.to_request(body)
    with mapping.oms_errors(shipment_given=body.shipmentID is not None):
        record = service.create_return(db, principal, request, details)
    return _json(mapping.to_body(record), 201)


@router.get(
    "/oms/v1/returns/{returnID:int}",
    response_model=schemas.ReturnOut,
    responses=ERRORS,
    summary="Get Return",
)
def get_return(
    returnID: int = Path(ge=1, le=INT32_MAX, description="Homeward's return id"),
    principal: Principal = Depends(requires(Scope.RETURNS_READ)),
    db: Database = Depends(get_db),
) -> Response:
    return _json(mapping.to_body(service.get_return(db, principal, returnID)))

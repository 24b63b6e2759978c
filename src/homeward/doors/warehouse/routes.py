"""The warehouse door, /warehouse/v1: thin handlers over receiving and inventory services.

Warehouse tokens act in their own fulfillment center across merchants; merchant tokens may read
their own items' balances. Errors are RFC 9457 problem details naming the field.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, ValidationError
from starlette.datastructures import UploadFile

from homeward.auth.domain import Caller, Scope, WarehousePrincipal
from homeward.auth.service import authenticate_caller
from homeward.catalog.domain import ReturnAction
from homeward.db import Database
from homeward.doors.http.deps import bearer, get_db
from homeward.doors.http.errors import problem_details, register_dialect, validation_to_error
from homeward.doors.shipbob.schemas import ProblemDetails
from homeward.doors.warehouse import mapping, schemas
from homeward.inventory import service as inventory
from homeward.kit.errors import FieldError, Forbidden, InvalidInput, NotFound
from homeward.kit.text import INT32_MAX
from homeward.photos.store import (
    CONTENT_TYPES,
    KEY_PATTERN,
    MAX_PHOTO_BYTES,
    Photo,
    PhotoStore,
    photo_from_upload,
)
from homeward.receiving import service as receiving

PREFIX = "/warehouse/v1"
register_dialect(f"{PREFIX}/", problem_details)

router = APIRouter(tags=["Warehouse"])
ReturnId = Path(ge=0, le=INT32_MAX, description="Id of the return order")
MAX_PHOTOS = 20

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ProblemDetails, "description": "Malformed request; `errors` names each field"},
    401: {"model": ProblemDetails, "description": "Authorization missing or invalid"},
    403: {"model": ProblemDetails, "description": "Not a warehouse token, or another fulfillment center"},
    404: {"model": ProblemDetails, "description": "Nothing of that id in this fulfillment center"},
    422: {"model": ProblemDetails, "description": "A receiving rule was broken; nothing was recorded"},
    503: {"model": ProblemDetails, "description": "The photo store is not available; try again"},
    507: {"model": ProblemDetails, "description": "The photo store's disk is full; nothing was recorded"},
}


async def caller(
    db: Database = Depends(get_db), credentials: HTTPAuthorizationCredentials | None = Depends(bearer)
) -> Caller:
    # Like doors.http.deps.requires: a read, on the event loop.
    with db.connect() as connection:
        return authenticate_caller(connection, credentials.credentials if credentials else None)


async def staff(who: Caller = Depends(caller)) -> WarehousePrincipal:
    if not isinstance(who, WarehousePrincipal):
        raise Forbidden("This needs a warehouse token (homeward token create --warehouse FC_ID)")
    who.require(Scope.WAREHOUSE)
    return who


def photo_store(request: Request) -> PhotoStore:
    store: PhotoStore = request.app.state.photos
    return store


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status_code=status, media_type="application/json")


@router.post(
    f"{PREFIX}/arrivals",
    response_model=schemas.WarehouseReturnOut,
    responses=ERRORS,
    summary="Receive a package by its barcode (idempotent)",
)
def arrive(
    body: schemas.ArrivalIn, who: WarehousePrincipal = Depends(staff), db: Database = Depends(get_db)
) -> Response:
    return _json(mapping.return_out(receiving.arrive(db, who, body.barcode, rts=body.rts)))


@router.get(
    f"{PREFIX}/returns/{{id:int}}",
    response_model=schemas.WarehouseReturnOut,
    responses=ERRORS,
    summary="A return as the warehouse sees it: expected, processed, remaining",
)
def get_return(
    id: int = ReturnId, who: WarehousePrincipal = Depends(staff), db: Database = Depends(get_db)
) -> Response:
    return _json(mapping.return_out(receiving.get_return(db, who, id)))


_MULTIPART = {
    "type": "object",
    "required": ["inspection"],
    "properties": {"inspection": {"type": "string", "description": "The JSON body, as text"}},
    "additionalProperties": {"type": "string", "format": "binary", "description": "A photo, by part name"},
}


@router.post(
    f"{PREFIX}/returns/{{id:int}}/inspections",
    response_model=schemas.WarehouseReturnOut,
    responses=ERRORS,
    summary="Record inspected units (JSON, or multipart with photos)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": schemas.inline_schema(schemas.InspectionIn)},
                "multipart/form-data": {"schema": _MULTIPART},
            },
        }
    },
)
async def inspect(
    request: Request,
    id: int = ReturnId,
    who: WarehousePrincipal = Depends(staff),
    db: Database = Depends(get_db),
    photos: PhotoStore = Depends(photo_store),
) -> Response:
    body, uploads = await _inspection_input(request)
    record = await run_in_threadpool(
        receiving.inspect, db, photos, who, id, mapping.observations(body), uploads
    )
    return _json(mapping.return_out(record))


async def _inspection_input(request: Request) -> tuple[schemas.InspectionIn, dict[str, Photo]]:
    """JSON alone, or multipart: an `inspection` part with the JSON and one file part per photo."""
    uploads: dict[str, Photo] = {}
    raw: str | bytes
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=MAX_PHOTOS, max_fields=MAX_PHOTOS + 1)
        text = form.get("inspection")
        if not isinstance(text, str):
            raise InvalidInput(
                "The multipart body needs an `inspection` part with the JSON",
                [FieldError("inspection", "is required (a text part holding the JSON body)")],
            )
        for name, value in form.multi_items():
            if name == "inspection":
                continue
            if not isinstance(value, UploadFile):
                raise InvalidInput(
                    "A photo part is not a file", [FieldError(f"photos.{name}", "must be a file")]
                )
            uploads[name] = photo_from_upload(name, await value.read(MAX_PHOTO_BYTES + 1))
        raw = text
    else:
        raw = await request.body()
    try:
        return schemas.InspectionIn.model_validate_json(raw), uploads
    except ValidationError as exc:
        raise validation_to_error(RequestValidationError(exc.errors(include_url=False))) from None


@router.post(
    f"{PREFIX}/returns/{{id:int}}/close",
    response_model=schemas.WarehouseReturnOut,
    responses=ERRORS,
    summary="Complete a return whose package held fewer units: the rest are recorded short",
)
def close(
    body: schemas.CloseIn | None = None,
    id: int = ReturnId,
    who: WarehousePrincipal = Depends(staff),
    db: Database = Depends(get_db),
) -> Response:
    return _json(mapping.return_out(receiving.close(db, who, id, body.reason if body else None)))


@router.post(
    f"{PREFIX}/quarantine/releases",
    response_model=schemas.ReleaseOut,
    responses=ERRORS,
    summary="Release quarantined units of a return to Restock or Dispose",
)
def release(
    body: schemas.ReleaseIn, who: WarehousePrincipal = Depends(staff), db: Database = Depends(get_db)
) -> Response:
    record = inventory.release(
        db, who, body.return_id, body.inventory_id, body.quantity, ReturnAction(body.action), body.reason
    )
    return _json(mapping.release_out(record))


@router.get(
    f"{PREFIX}/inventory",
    response_model=schemas.BalanceOut,
    responses=ERRORS,
    summary="Units of an item in a fulfillment center, per bucket, summed from the ledger",
)
def balance(
    inventory_id: int = Query(ge=0, le=INT32_MAX),
    fulfillment_center_id: int | None = Query(
        None, ge=0, le=INT32_MAX, description="Defaults to a warehouse token's own center"
    ),
    who: Caller = Depends(caller),
    db: Database = Depends(get_db),
) -> Response:
    return _json(mapping.balance_out(inventory.balance(db, who, inventory_id, fulfillment_center_id)))


@router.get(
    f"{PREFIX}/photos/{{key}}",
    response_class=Response,
    responses={
        200: {"content": {t: {} for t in sorted(set(CONTENT_TYPES.values()))}, "description": "The photo"},
        404: ERRORS[404],
    },
    summary="An inspection photo (its unguessable URL is the permission)",
)
def photo(key: str, photos: PhotoStore = Depends(photo_store)) -> Response:
    data = photos.get(key) if KEY_PATTERN.match(key) else None
    if data is None:
        raise NotFound(f"Photo {key} was not found")
    extension = key.rsplit(".", 1)[1]
    return Response(
        data, media_type=CONTENT_TYPES[extension], headers={"Cache-Control": "private, max-age=86400"}
    )

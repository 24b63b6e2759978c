"""2025-07 label operations (Homeward additions, seed 000): buy a label for an existing return, and
download a label as the PDF to print. Thin handlers over labels.service."""

from __future__ import annotations

from fastapi import APIRouter, Body, Depends, Path, Response

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.doors.http.deps import channel_id_header, get_db, requires
from homeward.doors.shipbob import mapping, schemas
from homeward.kit.text import INT32_MAX
from homeward.labels import service as labels

router = APIRouter(tags=["Return labels 2025-07"])

ReturnId = Path(ge=0, le=INT32_MAX, description="Id of the return order")
_ERRORS: dict[int | str, dict[str, object]] = {
    400: {"model": schemas.ProblemDetails, "description": "Malformed request or schema error"},
    401: {"model": schemas.SimpleError, "description": "Authorization missing or invalid"},
    403: {"model": schemas.SimpleError, "description": "Token lacks the scope, or channel not yours"},
    404: {"model": schemas.ProblemDetails, "description": "No such return, or no purchased label"},
    422: {"model": schemas.ApiError, "description": "A label rule was broken; nothing was bought"},
}


class PdfResponse(Response):
    media_type = "application/pdf"


@router.post(
    "/2025-07/return/{id:int}/label",
    status_code=201,
    response_model=schemas.PublicReturnV1Dto,
    responses={
        **_ERRORS,
        200: {
            "model": schemas.PublicReturnV1Dto,
            "description": "The return already had a purchased label (nothing bought), or the purchase "
            "fell back to Prepaid (label.fallback_reason says why)",
        },
        201: {"model": schemas.PublicReturnV1Dto, "description": "A label was bought just now"},
    },
    summary="Buy a label for a return (only while Awaiting Arrival)",
)
def buy_label(
    body: schemas.LabelRequestDto = Body(),
    id: int = ReturnId,
    principal: Principal = Depends(requires(Scope.RETURNS_WRITE)),
    channel_id: int | None = Depends(channel_id_header),
    db: Database = Depends(get_db),
) -> Response:
    request = mapping.to_label_request(body)
    assert request is not None  # the body is required
    result, bought = labels.request_label(db, principal, channel_id, id, request)
    dto = mapping.to_2025(result.record, result.label)
    return Response(dto.model_dump_json(), status_code=201 if bought else 200, media_type="application/json")


@router.get(
    "/2025-07/return/{id:int}/label",
    response_class=Response,
    responses={
        **_ERRORS,
        200: {
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            "description": "The 4 x 6 in label to print and stick on the package",
        },
    },
    summary="Download a return's label (PDF); a Prepaid return has none (404)",
)
def label_file(
    id: int = ReturnId,
    principal: Principal = Depends(requires(Scope.RETURNS_READ)),
    channel_id: int | None = Depends(channel_id_header),
    db: Database = Depends(get_db),
) -> Response:
    found = labels.label_pdf(db, principal, channel_id, id)
    return PdfResponse(
        found.content, headers={"Content-Disposition": f'inline; filename="{_ascii(found.filename)}"'}
    )


def _ascii(name: str) -> str:
    """Header-safe file name (reference ids on labels are printable ASCII; quotes are not)."""
    return "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name)

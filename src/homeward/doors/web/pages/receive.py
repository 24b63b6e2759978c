"""Pages: receiving at the warehouse. One scan field; the answer says what arrived or why nothing did.

Barcode scanners type the code and press Enter, so the form submits itself; with htmx only the scan
area is swapped and the field takes the focus again, ready for the next package.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from homeward.auth.domain import WarehousePrincipal
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.http.errors import STATUS_OF
from homeward.doors.web import forms
from homeward.doors.web.deps import staff
from homeward.doors.web.templating import page
from homeward.kit.clock import utcnow
from homeward.kit.errors import InvalidInput, NotFound, RuleViolation
from homeward.receiving import service as receiving
from homeward.receiving.records import WarehouseReturnRecord

router = APIRouter()

SCANS_KEY = "warehouse_scans"  # this browser's latest scans, newest first
MAX_SCANS = 8
MAX_BARCODE = 500  # the longest barcode the warehouse API accepts


@router.get("/receive")
async def receive_form(request: Request, who: WarehousePrincipal = Depends(staff)) -> Response:
    return _answer(request, barcode="", rts=False)


@router.post("/receive")
async def receive(
    request: Request, who: WarehousePrincipal = Depends(staff), db: Database = Depends(get_db)
) -> Response:
    form = await request.form()
    barcode = forms.text(form, "barcode", MAX_BARCODE + 1)
    rts = bool(form.get("rts"))
    if len(barcode) > MAX_BARCODE:
        error = InvalidInput(f"A barcode has at most {MAX_BARCODE} characters; this is not one")
        return _answer(request, barcode=barcode[:MAX_BARCODE], rts=rts, error=error, status=400)
    try:
        found = await run_in_threadpool(receiving.arrive, db, who, barcode, rts=rts)
    except (InvalidInput, NotFound, RuleViolation) as exc:
        _remember(request, barcode, None, exc.message)
        return _answer(request, barcode=barcode, rts=rts, error=exc, status=STATUS_OF[type(exc)])
    _remember(request, barcode, found, None)
    return _answer(request, barcode="", rts=rts, found=found, scanned=barcode)


def _answer(request: Request, status: int = 200, **context: Any) -> Response:
    """The whole page, or only the scan area when htmx asks (it swaps it in place)."""
    template = "warehouse/_scan.html" if request.headers.get("hx-request") else "warehouse/receive.html"
    scans = request.session.get(SCANS_KEY, []) if "session" in request.scope else []
    return page(request, template, status_code=status, scans=scans, **context)


def _remember(request: Request, barcode: str, found: WarehouseReturnRecord | None, error: str | None) -> None:
    scan: dict[str, Any] = {"barcode": barcode[:60], "at": _clock(utcnow())}
    if found is not None:
        scan.update(return_id=found.id, reference_id=found.reference_id, status=found.status.value)
    else:
        scan.update(error=error)
    request.session[SCANS_KEY] = [scan, *request.session.get(SCANS_KEY, [])][:MAX_SCANS]


def _clock(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S UTC")

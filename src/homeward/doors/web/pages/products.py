"""Pages: the merchant's products and their return preferences (seed 001), one by one or by CSV.

Every rule is catalog.domain's (checked by catalog.service); these handlers translate forms and
files to its inputs and its errors back to the fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from homeward.auth.domain import Principal
from homeward.catalog import domain
from homeward.catalog import service as catalog
from homeward.catalog.domain import MAX_INSPECTION_STEPS, ReturnAction
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.web import forms
from homeward.doors.web.deps import merchant
from homeward.doors.web.templating import flash, page
from homeward.kit.errors import HomewardError

router = APIRouter()

PAGE_SIZE = 50
MAX_UPLOAD = 2 * 1024 * 1024  # bytes: ten thousand product lines fit many times over
ACTIONS = [(a.value, a.value) for a in ReturnAction]
COLUMN_HELP = (
    ("inventory_id", "The product's inventory id (or leave it out and name the product by sku)."),
    ("sku", "The product's SKU; checked against inventory_id when both are given."),
    ("name", "Ignored on upload; there so the file reads well."),
    ("return_action", "Restock, Quarantine or Dispose: what happens to customer returns."),
    ("rts_action", "Restock, Quarantine or Dispose: what happens to returns to sender (failed deliveries)."),
    ("backup_action", "Quarantine or Dispose: for units that fail inspection or are too close to expiry."),
    ("instructions", f"Instructions for the warehouse, at most {domain.MAX_INSTRUCTIONS_LENGTH} characters."),
    (
        "inspection_step_1, _2, _3",
        f"Up to {MAX_INSPECTION_STEPS} checks the warehouse answers for every unit, e.g. 'seal intact' "
        f"(at most {domain.MAX_STEP_LENGTH} characters each).",
    ),
    (
        "min_shelf_life_days",
        f"0 to {domain.MAX_SHELF_LIFE_DAYS}: lot units expiring sooner are not restocked.",
    ),
)


def _list_context(db: Database, principal: Principal, request: Request) -> dict[str, Any]:
    query = request.query_params
    search = query.get("q", "").replace("\x00", "").strip()[:100]
    only_unset = query.get("unset") == "1"
    page_number = int(query["page"]) if query.get("page", "").isdigit() and len(query["page"]) < 6 else 1
    listing = catalog.list_products(
        db,
        principal,
        search=search,
        only_unset=only_unset,
        offset=(max(page_number, 1) - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    return {
        "listing": listing,
        "search": search,
        "only_unset": only_unset,
        "page_number": max(page_number, 1),
        "pages": max((listing.total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        "columns": COLUMN_HELP,
        "max_upload_mb": MAX_UPLOAD // (1024 * 1024),
    }


@router.get("/products")
async def products(
    request: Request, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> Response:
    context = await run_in_threadpool(_list_context, db, principal, request)
    return page(request, "products/list.html", **context)


@router.get("/products/export.csv")
async def export(principal: Principal = Depends(merchant), db: Database = Depends(get_db)) -> Response:
    text = await run_in_threadpool(catalog.export_preferences, db, principal)
    return Response(
        content=text.encode("utf-8-sig"),  # the BOM tells spreadsheet programs it is UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="products.csv"', "Cache-Control": "no-store"},
    )


@router.post("/products/upload")
async def upload(
    request: Request, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> Response:
    form = await request.form()
    name, text, problem = await _csv_text(form)
    errors: forms.FormErrors | None = None
    if problem:
        errors = forms.FormErrors("The file was not applied; nothing was changed")
        errors.add("file", problem)
    else:
        try:
            changed = await run_in_threadpool(catalog.bulk_update_preferences, db, principal, text)
        except HomewardError as exc:
            errors = forms.FormErrors(exc.message)
            for item in exc.errors:
                errors.add("lines", str(item))
        else:
            what = "1 product" if len(changed) == 1 else f"{len(changed)} products"
            flash(request, f"{what} updated from {name or 'the file'}.")
            return RedirectResponse("/products#main", status_code=303)  # not the form's #bulk
    context = await run_in_threadpool(_list_context, db, principal, request)
    return page(
        request, "products/list.html", status_code=422, upload_errors=errors, upload_name=name, **context
    )


@router.get("/products/upload")
async def upload_again(_: Principal = Depends(merchant)) -> Response:
    """Reloading the page an upload answered: back to the list (nothing is sent again)."""
    return RedirectResponse("/products#bulk", status_code=303)


async def _csv_text(form: FormData) -> tuple[str, str, str | None]:
    """(file name, its text, why it cannot be read)."""
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "", "", "choose a CSV file to upload"
    name = upload.filename[:200]
    data = await upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        return name, "", f"is larger than {MAX_UPLOAD // (1024 * 1024)} MB; split it into smaller files"
    if not data.strip():
        return name, "", "is empty"
    try:
        return name, data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return name, "", "is not UTF-8 text; save it from your spreadsheet as 'CSV UTF-8'"


@router.get("/products/{product_id:int}")
async def product(
    request: Request,
    product_id: int,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    record = await run_in_threadpool(catalog.get_product, db, principal, product_id)
    prefs = record.preferences
    values = {
        "return_action": prefs.return_action.value,
        "rts_action": prefs.rts_action.value,
        "backup_action": prefs.backup_action.value,
        "instructions": prefs.instructions or "",
        "inspection_steps": [
            *prefs.inspection_steps,
            *[""] * (MAX_INSPECTION_STEPS - len(prefs.inspection_steps)),
        ],
        "min_shelf_life_days": str(prefs.min_shelf_life_days),
    }
    return _edit_page(request, record, values, None)


@router.post("/products/{product_id:int}")
async def save(
    request: Request,
    product_id: int,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    form = await request.form()
    raw = domain.PreferencesInput(
        return_action=forms.text(form, "return_action", 40),
        rts_action=forms.text(form, "rts_action", 40),
        backup_action=forms.text(form, "backup_action", 40),
        instructions=forms.text(form, "instructions", domain.MAX_INSTRUCTIONS_LENGTH + 1000),
        inspection_steps=tuple(
            forms.text(form, f"inspection_steps[{i}]", domain.MAX_STEP_LENGTH + 100)
            for i in range(MAX_INSPECTION_STEPS)
        ),
        min_shelf_life_days=forms.text(form, "min_shelf_life_days", 40),
    )
    try:
        record = await run_in_threadpool(catalog.update_preferences, db, principal, product_id, raw)
    except HomewardError as exc:
        if not exc.errors:
            raise  # not found, forbidden: the error page
        current = await run_in_threadpool(catalog.get_product, db, principal, product_id)
        values = {**raw.__dict__, "inspection_steps": list(raw.inspection_steps)}
        return _edit_page(request, current, values, forms.FormErrors.of(exc), status_code=422)
    flash(request, f"Return preferences of {record.sku} saved.")
    return RedirectResponse(f"/products/{record.id}", status_code=303)


def _edit_page(
    request: Request,
    record: catalog.ProductRecord,
    values: Mapping[str, object],
    errors: forms.FormErrors | None,
    status_code: int = 200,
) -> Response:
    backup = [(a.value, a.value) for a in domain.BACKUP_ACTIONS]
    if values["backup_action"] not in {a.value for a in domain.BACKUP_ACTIONS} and values["backup_action"]:
        backup.append((str(values["backup_action"]), str(values["backup_action"])))  # as stored or typed
    return page(
        request,
        "products/edit.html",
        status_code=status_code,
        product=record,
        values=values,
        errors=errors,
        actions=ACTIONS,
        backup_actions=backup,
        max_steps=MAX_INSPECTION_STEPS,
        max_instructions=domain.MAX_INSTRUCTIONS_LENGTH,
        max_step=domain.MAX_STEP_LENGTH,
        max_days=domain.MAX_SHELF_LIFE_DAYS,
    )

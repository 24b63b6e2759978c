"""Pages: inspecting returned units, closing a return as short, releasing units from quarantine.

The page holds no rule: `receiving.service.preview` says what the rules would do with the units
as typed (shown before saving, and live with htmx), `inspect` records them, `close` records the
missing units short, and `inventory.service.release` moves units out of quarantine.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.responses import RedirectResponse, Response

from homeward.auth.domain import WarehousePrincipal
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.http.errors import STATUS_OF
from homeward.doors.warehouse.routes import photo_store
from homeward.doors.web import forms
from homeward.doors.web.deps import staff
from homeward.doors.web.forms import FormErrors
from homeward.doors.web.templating import flash, page
from homeward.inventory import service as inventory
from homeward.inventory.domain import RELEASE_ACTIONS
from homeward.kit.errors import HomewardError, InvalidInput, RuleViolation
from homeward.kit.text import INT32_MAX
from homeward.photos.store import MAX_PHOTO_BYTES, Photo, PhotoStore, photo_from_upload
from homeward.receiving import service as receiving
from homeward.receiving.domain import Observation
from homeward.receiving.records import ItemProgress, PreviewLine, WarehouseReturnRecord
from homeward.returns.domain import ReturnStatus

router = APIRouter()

ReturnId = Path(ge=0, le=INT32_MAX)
MAX_UNITS = 100  # units one page shows and one save records; the rest follow on the next page
FIELDS_PER_UNIT = 10
WAITING_SHOWN = 100
INSPECTABLE = (ReturnStatus.ARRIVED, ReturnStatus.PROCESSING)
LIMITS = {"lot_number": 100, "reason": 500}  # the warehouse API's limits for the same fields
LABELS = {
    "lot_number": "Lot number",
    "expiration_date": "Expiry date",
    "photo": "Photo",
    "quantity": "Units",
    "inventory_id": "Item",
    "action": "Action",
    "reason": "Note",
}


@dataclass
class Unit:
    """One unit of the return as the inspector filled it in (form index = `items[index]`)."""

    index: int
    item: ItemProgress
    number: int  # 1, 2, ... within its item
    of: int = 1  # units of the item on the page
    record: bool = True
    damaged: bool = False
    passed: set[str] = field(default_factory=set)
    lot_number: str = ""
    expiration_date: str = ""  # as typed
    expiry: date | None = None  # as read
    reason: str = ""
    photo: Photo | None = None
    had_photo: bool = False  # a file was chosen; after a re-render it must be chosen again
    outcome: PreviewLine | None = None
    problems: list[str] = field(default_factory=list)  # the rules it breaks, for the outcome box

    @property
    def prefix(self) -> str:
        return f"items[{self.index}]"

    def observation(self) -> Observation:
        return Observation(
            inventory_id=self.item.inventory_id,
            quantity=1,
            reason=self.reason or None,
            damaged=self.damaged,
            lot_number=(self.lot_number or None) if self.item.lot_tracked else None,
            expiration_date=self.expiry if self.item.lot_tracked else None,
            steps={step: step in self.passed for step in self.item.inspection_steps},
            photo=f"u{self.index}" if self.photo else None,
        )


# --- the list ------------------------------------------------------------------------------------


@router.get("/inspect")
async def waiting(
    request: Request, who: WarehousePrincipal = Depends(staff), db: Database = Depends(get_db)
) -> Response:
    returns = await run_in_threadpool(receiving.waiting_for_inspection, db, who, WAITING_SHOWN)
    return page(request, "warehouse/waiting.html", returns=returns, shown=WAITING_SHOWN)


# --- one return ----------------------------------------------------------------------------------


@router.get("/inspect/{return_id:int}")
async def inspect_form(
    request: Request,
    return_id: int = ReturnId,
    who: WarehousePrincipal = Depends(staff),
    db: Database = Depends(get_db),
) -> Response:
    errors = FormErrors()
    record, units = await _sheet(db, who, return_id, _blank_units, errors)
    return _inspect_page(request, record, units, errors)


@router.post("/inspect/{return_id:int}/preview")
async def preview(
    request: Request,
    return_id: int = ReturnId,
    who: WarehousePrincipal = Depends(staff),
    db: Database = Depends(get_db),
) -> Response:
    """What the rules would do with the units as typed. htmx gets the outcome boxes only."""
    form = await _form(request)
    errors = FormErrors()
    record, units = await _sheet(db, who, return_id, lambda r: _read_units(form, r, errors), errors)
    if request.headers.get("hx-request"):
        return page(request, "warehouse/_outcomes.html", units=units, errors=errors, tally=_tally(units))
    return _inspect_page(request, record, units, errors, previewed=True)


@router.post("/inspect/{return_id:int}")
async def save(
    request: Request,
    return_id: int = ReturnId,
    who: WarehousePrincipal = Depends(staff),
    db: Database = Depends(get_db),
    photos: PhotoStore = Depends(photo_store),
) -> Response:
    record = await run_in_threadpool(receiving.get_return, db, who, return_id)
    form = await _form(request)
    errors = FormErrors()
    units = _read_units(form, record, errors)
    await _read_photos(form, units, errors)
    chosen = [u for u in units if u.record]
    if not chosen and not errors:
        errors.message = "Tick “In the package” for at least one unit to record it"
    if errors:
        record, units = await _sheet(db, who, return_id, lambda _: units, errors)
        return _inspect_page(request, record, units, errors, status=400)
    uploads = {f"u{u.index}": u.photo for u in chosen if u.photo}
    try:
        saved = await run_in_threadpool(
            receiving.inspect, db, photos, who, return_id, [u.observation() for u in chosen], uploads
        )
    except (InvalidInput, RuleViolation) as exc:
        refused = _renumbered(exc, chosen)
        record, units = await _sheet(db, who, return_id, lambda _: units, refused)
        return _inspect_page(request, record, units, refused, status=STATUS_OF[type(exc)])
    before = {line.id for line in record.inspections}
    added = Counter(line.action for line in saved.inspections if line.id not in before)
    done = ", ".join(f"{count} {action}" for action, count in sorted(added.items()))
    flash(
        request,
        f"Recorded {len(chosen)} unit(s) of RMA {saved.reference_id}: {done}. "
        f"The return is {saved.status.value}.",
    )
    return RedirectResponse(f"/inspect/{return_id}", status_code=303)


# --- close as short --------------------------------------------------------------------------------


@router.get("/inspect/{return_id:int}/close")
async def close_confirm(
    request: Request,
    return_id: int = ReturnId,
    who: WarehousePrincipal = Depends(staff),
    db: Database = Depends(get_db),
) -> Response:
    record = await run_in_threadpool(receiving.get_return, db, who, return_id)
    return page(request, "warehouse/close.html", ret=record, reason="", errors=FormErrors())


@router.post("/inspect/{return_id:int}/close")
async def close(
    request: Request,
    return_id: int = ReturnId,
    who: WarehousePrincipal = Depends(staff),
    db: Database = Depends(get_db),
) -> Response:
    form = await request.form()
    errors = FormErrors()
    reason = _bounded(form, "reason", errors)
    if not errors:
        try:
            closed = await run_in_threadpool(receiving.close, db, who, return_id, reason or None)
        except (InvalidInput, RuleViolation) as exc:
            errors = FormErrors.of(exc)
        else:
            short = sum(i.short for i in closed.items)
            flash(request, f"RMA {closed.reference_id} is closed: {short} unit(s) recorded short.")
            return RedirectResponse(f"/inspect/{return_id}", status_code=303)
    record = await run_in_threadpool(receiving.get_return, db, who, return_id)
    status = 400 if errors.fields.get("reason") else 422
    return page(request, "warehouse/close.html", status_code=status, ret=record, reason=reason, errors=errors)


# --- quarantine ------------------------------------------------------------------------------------


@router.get("/quarantine")
async def quarantine(
    request: Request, who: WarehousePrincipal = Depends(staff), db: Database = Depends(get_db)
) -> Response:
    return await _quarantine_page(request, who, db)


@router.post("/quarantine/release")
async def release(
    request: Request, who: WarehousePrincipal = Depends(staff), db: Database = Depends(get_db)
) -> Response:
    form = await request.form()
    errors = FormErrors()
    return_id = forms.integer(form, "return_id", errors, label="the return")
    inventory_id = forms.integer(form, "inventory_id", errors, label="the item")
    quantity = forms.integer(form, "quantity", errors, label="the number of units")
    if quantity is None and not errors.get("quantity"):
        errors.add("quantity", "how many units? Type a whole number")
    action = next((a for a in RELEASE_ACTIONS if a.value == forms.text(form, "action", 20)), None)
    if action is None:
        errors.add("action", "choose Restock or Dispose")
    reason = _bounded(form, "reason", errors)
    typed = {
        "return_id": return_id,
        "inventory_id": inventory_id,
        "quantity": forms.text(form, "quantity", 20),
        "action": action.value if action else "",
        "reason": reason,
    }
    if return_id is None or inventory_id is None:
        errors.message = "The release form was damaged; reload the page and try again"
    if errors:
        return await _quarantine_page(request, who, db, typed=typed, errors=errors, status=400)
    assert return_id is not None and inventory_id is not None and quantity is not None and action
    try:
        done = await run_in_threadpool(
            inventory.release, db, who, return_id, inventory_id, quantity, action, reason or None
        )
    except (InvalidInput, RuleViolation) as exc:
        refused = FormErrors.of(exc)
        return await _quarantine_page(
            request, who, db, typed=typed, errors=refused, status=STATUS_OF[type(exc)]
        )
    fee = f" Storage fee charged: ${done.storage_fee:,.2f}." if done.storage_fee else ""
    flash(
        request,
        f"Released {done.quantity} unit(s) of item #{inventory_id} from return #{return_id} "
        f"to {done.action.value}.{fee}",
    )
    return RedirectResponse("/quarantine", status_code=303)


async def _quarantine_page(
    request: Request,
    who: WarehousePrincipal,
    db: Database,
    *,
    typed: dict[str, Any] | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Response:
    rows = await run_in_threadpool(inventory.quarantined, db, who)
    return page(
        request,
        "warehouse/quarantine.html",
        status_code=status,
        rows=rows,
        typed=typed or {},
        errors=errors or FormErrors(),
    )


# --- reading the inspection form -------------------------------------------------------------------


async def _form(request: Request) -> FormData:
    return await request.form(max_files=MAX_UNITS, max_fields=MAX_UNITS * FIELDS_PER_UNIT + 10)


def _blank_units(record: WarehouseReturnRecord) -> list[Unit]:
    units: list[Unit] = []
    for item in record.items:
        for number in range(1, max(item.remaining, 0) + 1):
            if len(units) < MAX_UNITS:
                units.append(Unit(index=len(units), item=item, number=number))
    return _counted(units)


def _counted(units: list[Unit]) -> list[Unit]:
    per_item = Counter(u.item.inventory_id for u in units)
    for unit in units:
        unit.of = per_item[unit.item.inventory_id]
    return units


def _read_units(form: FormData, record: WarehouseReturnRecord, errors: FormErrors) -> list[Unit]:
    """The units as posted (a unit names its item; numbers are recounted per item)."""
    items = {i.inventory_id: i for i in record.items}
    units: list[Unit] = []
    numbers: Counter[int] = Counter()
    for index in range(MAX_UNITS):
        prefix = f"items[{index}]"
        raw_id = forms.text(form, f"{prefix}.inventory_id", 20)
        if not raw_id:
            break
        item = items.get(int(raw_id)) if raw_id.isascii() and raw_id.isdigit() else None
        if item is None:
            errors.add("", f"Unit {index + 1} names an item that is not on this return; reload the page")
            continue
        numbers[item.inventory_id] += 1
        unit = Unit(index=index, item=item, number=numbers[item.inventory_id])
        unit.record = bool(form.get(f"{prefix}.record"))
        unit.damaged = bool(form.get(f"{prefix}.damaged"))
        unit.passed = {s for s in item.inspection_steps if form.get(f"{prefix}.steps.{s}")}
        unit.reason = _bounded(form, f"{prefix}.reason", errors, "reason")
        if item.lot_tracked:
            unit.lot_number = _bounded(form, f"{prefix}.lot_number", errors, "lot_number")
            unit.expiration_date = forms.text(form, f"{prefix}.expiration_date", 40)
            if unit.expiration_date:
                try:
                    unit.expiry = date.fromisoformat(unit.expiration_date)
                except ValueError:
                    errors.add(f"{prefix}.expiration_date", "must be a date, like 2027-06-30")
        upload = form.get(f"{prefix}.photo")
        unit.had_photo = isinstance(upload, UploadFile) and bool(upload.filename)
        units.append(unit)
    return _counted(units)


async def _read_photos(form: FormData, units: list[Unit], errors: FormErrors) -> None:
    for unit in units:
        upload = form.get(f"{unit.prefix}.photo")
        if not unit.record or not isinstance(upload, UploadFile) or not upload.filename:
            continue  # browsers send an empty part for a file input left empty
        data = await upload.read(MAX_PHOTO_BYTES + 1)
        try:
            unit.photo = photo_from_upload(f"u{unit.index}", data)
        except InvalidInput as exc:
            for error in exc.errors:
                errors.add(f"{unit.prefix}.photo", error.message)


def _bounded(form: FormData, name: str, errors: FormErrors, kind: str = "reason") -> str:
    limit = LIMITS[kind]
    value = forms.text(form, name, limit + 1)
    if len(value) > limit:
        errors.add(name, f"must be at most {limit} characters")
        return value[:limit]
    return value


async def _sheet(
    db: Database,
    who: WarehousePrincipal,
    return_id: int,
    units_of: Callable[[WarehouseReturnRecord], list[Unit]],
    errors: FormErrors,
) -> tuple[WarehouseReturnRecord, list[Unit]]:
    """The return and its units (read from it by `units_of`), each with what the rules decide."""
    shown: list[Unit] = []

    def observations(record: WarehouseReturnRecord) -> list[Observation]:
        shown.extend(units_of(record))
        return [u.observation() for u in shown if u.record]

    view = await run_in_threadpool(receiving.preview, db, who, return_id, observations)
    chosen = [u for u in shown if u.record]
    if view.refusal is not None:  # it cannot be inspected (any more): say why where units are shown
        if chosen:
            errors.message = errors.message or view.refusal
        for unit in chosen:
            unit.problems = [view.refusal]
        return view.record, shown
    for unit, outcome in zip(chosen, view.lines, strict=True):
        unit.outcome = outcome
        mine = [(n, ms) for n, ms in errors.fields.items() if n.startswith(unit.prefix + ".")]
        typed = [(_suffix(n), m) for n, ms in mine for m in ms]
        ruled = [(_suffix(e.field), e.message) for e in outcome.errors]
        mistyped = {suffix for suffix, _ in typed}
        problems = [p for p in ruled if p[0] not in mistyped] + typed
        unit.problems = [f"{_label(suffix)}: {m}" for suffix, m in dict.fromkeys(problems)]
    return view.record, shown


def _suffix(name: str) -> str:
    return name.split("]", 1)[-1].lstrip(".")


def _label(name: str) -> str:
    suffix = _suffix(name)
    if suffix.startswith("steps."):
        return f"Step “{suffix.removeprefix('steps.')}”"
    return LABELS.get(suffix, suffix or "Unit")


@dataclass(frozen=True)
class Tally:
    decided: list[tuple[str, int]]  # (action, units) the rules decided
    blocked: int  # units to record that break a rule
    skipped: int  # units not recorded now


def _tally(units: list[Unit]) -> Tally:
    chosen = [u for u in units if u.record]
    decided = Counter(
        u.outcome.action.value for u in chosen if u.outcome and u.outcome.action and not u.problems
    )
    return Tally(sorted(decided.items()), len(chosen) - decided.total(), len(units) - len(chosen))


_LINE = re.compile(r"^items\[(\d+)\]")


def _renumbered(exc: HomewardError, chosen: list[Unit]) -> FormErrors:
    """The service numbers the lines it was given; the form numbers every unit shown."""
    errors = FormErrors(message=exc.message)
    for error in exc.errors:
        name = error.field or ""
        found = _LINE.match(name)
        if found and int(found.group(1)) < len(chosen):
            name = chosen[int(found.group(1))].prefix + name[found.end() :]
        elif name.startswith("photos.u") and name[8:].isdigit():
            name = f"items[{name[8:]}].photo"
        errors.add(name, error.message)
    return errors


def _inspect_page(
    request: Request,
    record: WarehouseReturnRecord,
    units: list[Unit],
    errors: FormErrors,
    *,
    status: int = 200,
    previewed: bool = False,
) -> Response:
    by_item: dict[int, list[Unit]] = {}
    for unit in units:
        by_item.setdefault(unit.item.inventory_id, []).append(unit)
    return page(
        request,
        "warehouse/inspect.html",
        status_code=status,
        ret=record,
        units=units,
        by_item=by_item,
        errors=errors,
        previewed=previewed,
        tally=_tally(units),
        inspectable=record.status in INSPECTABLE,
        more=sum(max(i.remaining, 0) for i in record.items) - len(_blank_units(record)),
    )

"""Pages: the merchant's returns — the list (tabs, filters, search, keyset pages) and one return
(timeline, items and what was done, photos, fees, label; edit and cancel while Awaiting Arrival).

Every read and change goes through the services the 2025-07 API calls; this module only
translates query strings and forms into their arguments and their answers into pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlencode

import pydantic
from fastapi import APIRouter, Depends, Path, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, QueryParams
from starlette.responses import RedirectResponse, Response

from homeward.auth.domain import Principal
from homeward.catalog.service import list_fulfillment_centers
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.http.errors import field_path
from homeward.doors.shipbob import mapping, schemas
from homeward.doors.web import forms
from homeward.doors.web.deps import merchant
from homeward.doors.web.forms import FormErrors
from homeward.doors.web.templating import flash, page
from homeward.kit.errors import FieldError, HomewardError, InvalidInput, NotFound, RuleViolation
from homeward.kit.pagination import FIRST, Cursor
from homeward.kit.text import INT32_MAX
from homeward.labels import service as labels
from homeward.labels.records import LabelledReturn
from homeward.photos.store import CONTENT_TYPES, KEY_PATTERN, PhotoStore
from homeward.returns import service as returns
from homeward.returns.domain import RequestedAction, ReturnStatus, ReturnType
from homeward.returns.listing import ReturnFilter
from homeward.returns.records import ReturnRecord

router = APIRouter()

PAGE_SIZE = 50
# Tab counts stop here ("1,000+"): each costs at most this many index entries, at any size.
COUNT_CAP = 1000
ReturnId = Path(ge=0, le=INT32_MAX)


# --- the list ------------------------------------------------------------------------------------


@dataclass
class ListQuery:
    """The list's query string as typed (to refill the form) and as understood (the filter)."""

    values: dict[str, str]
    filters: ReturnFilter
    cursor: Cursor
    errors: FormErrors = field(default_factory=FormErrors)

    def link(self, **changes: str | None) -> str:
        """This list with some parameters changed (None drops one); the position is always reset
        unless a cursor is given."""
        params = {k: v for k, v in self.values.items() if v and k != "cursor"}
        for name, value in changes.items():
            if value:
                params[name] = value
            else:
                params.pop(name, None)
        return "/returns" + (f"?{urlencode(params)}" if params else "")


def _status_param(status: ReturnStatus) -> str:
    return status.value.replace(" ", "")


def _day(name: str, raw: str, errors: FormErrors) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.add(name, "must be a date such as 2026-12-31")
        return None


def _choice(name: str, raw: str, parse: Any, errors: FormErrors) -> Any:
    if not raw:
        return None
    try:
        return parse(raw)
    except ValueError as exc:
        errors.add(name, str(exc))
        return None


def parse_list_query(query: QueryParams) -> ListQuery:
    """Read the list's parameters; every value that cannot be understood is a message on its field."""
    values = {
        name: query.get(name, "").replace("\x00", "").strip()[:200]
        for name in ("q", "status", "fc", "type", "from", "to", "cursor")
    }
    errors = FormErrors()
    status = _choice("status", values["status"], ReturnStatus.parse, errors)
    return_type = _choice("type", values["type"], ReturnType.parse, errors)
    fc: int | None = None
    if values["fc"]:
        if values["fc"].isdigit() and int(values["fc"]) <= INT32_MAX:
            fc = int(values["fc"])
        else:
            errors.add("fc", "must be a fulfillment center from the list")
    start, end = _day("from", values["from"], errors), _day("to", values["to"], errors)
    if start and end and end < start:
        errors.add("to", "must not be before the start date")
    cursor = FIRST
    try:
        cursor = Cursor.decode(values["cursor"] or None)
    except InvalidInput:
        errors.add("cursor", "this page link is not valid; start again from the first page")
    filters = ReturnFilter(
        statuses=(status,) if status else (),
        fulfillment_center_ids=(fc,) if fc is not None else (),
        return_types=(return_type,) if return_type else (),
        start_date=datetime.combine(start, time.min, UTC) if start else None,
        end_date=datetime.combine(end, time.max, UTC) if end else None,
        search=values["q"] or None,
    )
    if errors:
        errors.message = "Some filters could not be understood"
    return ListQuery(values, filters, cursor, errors)


@dataclass(frozen=True)
class Tab:
    label: str
    href: str
    current: bool
    count: str  # "" when not counted


def _tabs(query: ListQuery, counts: dict[ReturnStatus, int] | None) -> list[Tab]:
    current = query.filters.statuses[0] if query.filters.statuses else None

    def shown(n: int) -> str:
        return f"{COUNT_CAP:,}+" if n >= COUNT_CAP else f"{n:,}"

    tabs = [
        Tab(
            "All",
            query.link(status=None),
            current is None,
            shown(min(sum(counts.values()), COUNT_CAP)) if counts else "",
        )
    ]
    for status in ReturnStatus:
        count = shown(counts[status]) if counts else ""
        tabs.append(Tab(status.value, query.link(status=_status_param(status)), current is status, count))
    return tabs


@router.get("/returns")
def returns_list(
    request: Request, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> Response:
    # A plain def: FastAPI runs it in one worker thread, so its three reads cost no extra hops.
    query = parse_list_query(request.query_params)
    centers = list_fulfillment_centers(db)
    context: dict[str, Any] = {
        "query": query,
        "values": query.values,
        "errors": query.errors,
        "centers": [("", "All fulfillment centers")] + [(str(c.id), c.name) for c in centers],
        "types": [("", "All types"), ("Regular", "Regular"), ("ReturnToSender", "Return to sender")],
        "clear": query.link(q=None, fc=None, type=None, **{"from": None, "to": None}),
        "filtered": any(query.values[k] for k in ("q", "fc", "type", "from", "to")),
    }
    if query.errors:
        context |= {"tabs": _tabs(query, None), "rows": [], "next": None, "prev": None}
        return page(request, "returns/list.html", status_code=400, **context)
    found = labels.list_returns(db, principal, None, query.filters, query.cursor, PAGE_SIZE)
    counts = returns.status_counts(db, principal, query.filters, COUNT_CAP)
    context |= {
        "tabs": _tabs(query, counts),
        "rows": found.items,
        "next": query.link(cursor=found.next.encode()) if found.next else None,
        "prev": query.link(cursor=found.prev.encode()) if found.prev else None,
    }
    return page(request, "returns/list.html", **context)


def _words(name: str) -> str:
    """`ReturnProcessingFee` -> `Return processing fee`: stored type names, readable."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return spaced[:1] + spaced[1:].lower()


# --- one return ----------------------------------------------------------------------------------


async def merchant_return(
    return_id: int = ReturnId, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> LabelledReturn:
    """The return the path names, if it is the signed-in merchant's (NotFound otherwise: a 404 page)."""
    found: LabelledReturn = await run_in_threadpool(labels.get_return, db, principal, None, return_id)
    return found


@router.get("/returns/{return_id}")
def return_detail(
    request: Request,
    return_id: int = ReturnId,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    found = labels.get_return(db, principal, None, return_id)
    history = returns.status_history(db, principal, None, return_id)
    context: dict[str, Any] = {"r": found.record, "label": found.label, "history": history, "words": _words}
    return page(request, "returns/detail.html", **context)


@router.get("/returns/{return_id}/label.pdf")
async def return_label(
    return_id: int = ReturnId, principal: Principal = Depends(merchant), db: Database = Depends(get_db)
) -> Response:
    label = await run_in_threadpool(labels.label_pdf, db, principal, None, return_id)
    return Response(
        label.content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{label.filename}"', "Cache-Control": "no-store"},
    )


@router.get("/returns/{return_id}/photos/{key}")
def return_photo(
    request: Request,
    key: str,
    return_id: int = ReturnId,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    if not KEY_PATTERN.match(key):
        raise NotFound("There is no such photo")
    returns.ensure_photo_of_return(db, principal, return_id, key)
    store: PhotoStore = request.app.state.photos
    data = store.get(key)
    if data is None:
        raise NotFound("The photo is no longer in the photo store")
    return Response(
        data,
        media_type=CONTENT_TYPES[key.rsplit(".", 1)[1]],
        headers={"Cache-Control": "private, max-age=86400"},
    )


# --- edit ----------------------------------------------------------------------------------------


@dataclass
class EditForm:
    """What the edit form shows: per item its typed quantity and whether it is to be removed."""

    tracking_number: str
    quantities: list[str]
    removed: list[bool]

    @classmethod
    def of(cls, r: ReturnRecord) -> EditForm:
        return cls(r.tracking_number or "", [str(i.quantity) for i in r.items], [False for _ in r.items])

    @classmethod
    def read(cls, form: FormData, r: ReturnRecord) -> EditForm:
        return cls(
            forms.text(form, "tracking_number", 600),
            [forms.text(form, f"inventory[{n}].quantity", 20) for n in range(len(r.items))],
            [form.get(f"inventory[{n}].remove") == "1" for n in range(len(r.items))],
        )


_INVENTORY_INDEX = re.compile(r"^inventory\[(\d+)\]")


def _modify_body(r: ReturnRecord, edit: EditForm, quantities: dict[int, int]) -> dict[str, Any]:
    """The PUT /2025-07/return body this edit amounts to: the return as it is, with the tracking
    number typed and the kept items (form rows `quantities` names, in order) at their quantities."""
    inventory = [
        {
            "id": r.items[n].inventory_id,
            "quantity": quantity,
            "requested_action": r.items[n].action
            if r.items[n].action_source == "Override"
            else RequestedAction.DEFAULT.value,
            "lot_number": r.items[n].lot_number,
            "lot_date": r.items[n].lot_date,
        }
        for n, quantity in quantities.items()
    ]
    return {
        "reference_id": r.reference_id,
        "fulfillment_center": {"id": r.fulfillment_center_id},
        "original_shipment_id": r.original_shipment_id,
        "tracking_number": edit.tracking_number or None,
        "inventory": inventory,
    }


def _to_form_fields(error: HomewardError, kept: list[int]) -> FormErrors:
    """A service's errors with `inventory[k]` (k-th item sent) renamed to the form row it came from."""

    def rename(name: str) -> str:
        found = _INVENTORY_INDEX.match(name)
        if found and int(found.group(1)) < len(kept):
            return f"inventory[{kept[int(found.group(1))]}]" + name[found.end() :]
        return name

    return FormErrors.of(
        type(error)(error.message, [FieldError(rename(e.field), e.message) for e in error.errors])
    )


def _validated(body: dict[str, Any]) -> schemas.CreateReturnRequest:
    """The body checked by the API's own schema (lengths, ranges, NUL), errors named as the API does."""
    try:
        return schemas.CreateReturnRequest.model_validate(body)
    except pydantic.ValidationError as exc:
        raise InvalidInput(
            "Some fields are not valid",
            [FieldError(field_path(e["loc"]), str(e["msg"])) for e in exc.errors()],
        ) from exc


@router.get("/returns/{return_id}/edit")
async def edit_form(request: Request, found: LabelledReturn = Depends(merchant_return)) -> Response:
    context: dict[str, Any] = {"r": found.record, "label": found.label, "form": EditForm.of(found.record)}
    return page(request, "returns/edit.html", errors=None, **context)


@router.post("/returns/{return_id}/edit")
async def edit(
    request: Request,
    found: LabelledReturn = Depends(merchant_return),
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    form = await request.form()
    r, edit = found.record, EditForm.read(form, found.record)

    def refused(errors: FormErrors, status: int) -> Response:
        errors.message = errors.message or "The return was not changed"
        context = {"r": r, "label": found.label, "form": edit, "errors": errors}
        return page(request, "returns/edit.html", status_code=status, **context)

    errors = FormErrors()
    quantities: dict[int, int] = {}
    for n, removed in enumerate(edit.removed):
        name = f"inventory[{n}].quantity"
        quantity = None if removed else forms.integer(form, name, errors, label="the quantity")
        if quantity is not None:
            quantities[n] = quantity
        elif not removed and not errors.get(name):
            errors.add(name, "enter a quantity, or tick Remove")
    if errors:
        return refused(errors, 400)
    kept = list(quantities)
    try:
        change = mapping.to_request(_validated(_modify_body(r, edit, quantities)))
        await run_in_threadpool(labels.modify_return, db, principal, r.channel_id, r.id, change)
    except (InvalidInput, RuleViolation) as exc:
        return refused(_to_form_fields(exc, kept), 400 if isinstance(exc, InvalidInput) else 422)
    flash(request, f"Return {r.reference_id} was updated.")
    return RedirectResponse(f"/returns/{r.id}", status_code=303)


# --- cancel --------------------------------------------------------------------------------------


@router.get("/returns/{return_id}/cancel")
async def cancel_form(request: Request, found: LabelledReturn = Depends(merchant_return)) -> Response:
    return page(request, "returns/cancel.html", r=found.record, label=found.label, errors=None)


@router.post("/returns/{return_id}/cancel")
async def cancel(
    request: Request,
    found: LabelledReturn = Depends(merchant_return),
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    r = found.record
    try:
        await run_in_threadpool(labels.cancel_return, db, principal, r.channel_id, r.id)
    except RuleViolation as exc:
        context = {"r": r, "label": found.label, "errors": FormErrors.of(exc)}
        return page(request, "returns/cancel.html", status_code=422, **context)
    flash(request, f"Return {r.reference_id} was cancelled.")
    return RedirectResponse(f"/returns/{r.id}", status_code=303)

"""Pages: the create-return wizard (seed 000's dashboard steps), started from a shipped shipment.

The draft lives in the server-side session (plain JSON), one per shipment. Every step is judged by
the services the API uses (returns.drafts.check = the dashboard's RMA rule + the API's rules,
labels.service.judge_label), and Submit creates the return through labels.service.create_return,
as POST /2025-07/return does. This module only translates forms to requests and errors to fields.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from homeward.auth.domain import Principal
from homeward.catalog import service as catalog
from homeward.db import Database
from homeward.doors.http.deps import get_db
from homeward.doors.web import forms
from homeward.doors.web.deps import merchant
from homeward.doors.web.forms import FormErrors
from homeward.doors.web.templating import flash, page
from homeward.kit.errors import FieldError, RuleViolation
from homeward.kit.text import INT32_MAX
from homeward.labels import service as labels
from homeward.labels.domain import LabelRequest, LabelType
from homeward.labels.service import LabelOptions, LabelVerdict
from homeward.returns import drafts
from homeward.returns.domain import RequestedAction, ReturnRequest
from homeward.returns.drafts import DraftProduct, ReturnSource

router = APIRouter()

STEPS = ("items", "destination", "reference", "label")
TITLES = {
    "items": "Items",
    "destination": "Destination",
    "reference": "Reference (RMA)",
    "label": "Label",
    "review": "Review",
}
DRAFTS = "return_drafts"  # session key: {shipment id: draft}
MAX_DRAFTS = 5  # drafts kept per session (oldest dropped)
MAX_LINES = 200
ShipmentId = Path(ge=0, le=INT32_MAX)


@dataclass
class Line:
    inventory_id: int
    quantity: str  # as typed: the form shows it back even when it is not a number
    action: str = RequestedAction.DEFAULT.value


@dataclass
class Draft:
    lines: list[Line]
    fulfillment_center_id: int | None
    reference_id: str = ""
    label_type: str = ""
    carrier_service: str = ""  # "carrier|service" for a carrier specific label
    done: list[str] = field(default_factory=list)
    problems: dict[str, list[list[str]]] = field(default_factory=dict)  # step -> [field, message]

    @classmethod
    def of(cls, data: Any) -> Draft | None:
        try:
            lines = [
                Line(int(x["inventory_id"]), str(x["quantity"]), str(x["action"])) for x in data["lines"]
            ]
            fc = data["fulfillment_center_id"]
            return cls(
                lines=lines,
                fulfillment_center_id=int(fc) if fc is not None else None,
                reference_id=str(data["reference_id"]),
                label_type=str(data["label_type"]),
                carrier_service=str(data["carrier_service"]),
                done=[s for s in data["done"] if s in STEPS],
                problems=dict(data.get("problems") or {}),
            )
        except (KeyError, TypeError, ValueError):
            return None

    def complete(self, step: str) -> None:
        if step not in self.done:
            self.done.append(step)

    def first_open(self, before: str = "review") -> str | None:
        """The first step before `before` that is not done yet (None: all are)."""
        limit = STEPS.index(before) if before in STEPS else len(STEPS)
        return next((s for s in STEPS[:limit] if s not in self.done), None)

    def next_step(self) -> str:
        """Where Done leads: the first step not done yet, else the review."""
        return self.first_open() or "review"

    def quantities(self, errors: FormErrors) -> list[tuple[int, int, RequestedAction]]:
        """The lines as numbers, with a message beside each field that is not one. A line keeps its
        place (1 unit, Default, in place of what could not be read) so the rules can still judge
        the rest and name fields by the same index."""
        parsed = []
        for i, line in enumerate(self.lines):
            name = f"inventory[{i}]"
            quantity = _whole(line.quantity, f"{name}.quantity", errors)
            try:
                action = RequestedAction(line.action)
            except ValueError:
                errors.add(f"{name}.requested_action", "choose Default, Restock, Quarantine or Dispose")
                action = RequestedAction.DEFAULT
            parsed.append((line.inventory_id, 1 if quantity is None else quantity, action))
        return parsed

    def request(self, source: ReturnSource) -> ReturnRequest | None:
        """The drafted return as the API would receive it; None while a quantity is not a number."""
        errors = FormErrors()
        lines = self.quantities(errors)
        if errors:
            return None
        return source.request(
            lines, fulfillment_center_id=self.fulfillment_center_id, reference_id=self.reference_id
        )

    def label(self) -> LabelRequest | None:
        try:
            kind = LabelType(self.label_type)
        except ValueError:
            return None
        carrier, _, service = self.carrier_service.partition("|")
        if kind is LabelType.CARRIER_SPECIFIC:
            return LabelRequest(kind, carrier or None, service or None)
        return LabelRequest(kind)


def _whole(raw: str, name: str, errors: FormErrors) -> int | None:
    text = raw.strip()
    if not text:
        errors.add(name, "enter how many units come back")
        return None
    try:
        value = int(text)
    except ValueError:
        errors.add(name, "must be a whole number")
        return None
    if not -INT32_MAX <= value <= INT32_MAX:
        errors.add(name, "is too large")
        return None
    return value


# --- the draft in the session -------------------------------------------------------------------


def _load(request: Request, shipment_id: int) -> Draft | None:
    stored = request.session.get(DRAFTS)
    return Draft.of(stored.get(str(shipment_id))) if isinstance(stored, dict) else None


def _save(request: Request, shipment_id: int, draft: Draft) -> None:
    stored = request.session.get(DRAFTS)
    stored = dict(stored) if isinstance(stored, dict) else {}
    stored.pop(str(shipment_id), None)
    stored[str(shipment_id)] = asdict(draft)
    while len(stored) > MAX_DRAFTS:
        stored.pop(next(iter(stored)))
    request.session[DRAFTS] = stored


def _drop(request: Request, shipment_id: int) -> None:
    stored = request.session.get(DRAFTS)
    if isinstance(stored, dict):
        request.session[DRAFTS] = {k: v for k, v in stored.items() if k != str(shipment_id)}


def _step_url(shipment_id: int, step: str) -> str:
    return f"/returns/new/{shipment_id}/{step}"


def _go(shipment_id: int, step: str) -> RedirectResponse:
    return RedirectResponse(_step_url(shipment_id, step), status_code=303)


@dataclass(frozen=True)
class Visit:
    """A request to one step of one shipment's draft, by a merchant user."""

    request: Request
    db: Database
    principal: Principal
    shipment_id: int


async def visit(
    request: Request,
    shipment_id: int = ShipmentId,
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Visit:
    return Visit(request, db, principal, shipment_id)


async def _source(db: Database, principal: Principal, shipment_id: int) -> ReturnSource:
    """The merchant's shipment (another merchant's: 404), refused while it cannot be returned."""
    source = await run_in_threadpool(drafts.source, db, principal, shipment_id)
    if source.return_refusal is not None:
        raise RuleViolation(f"No return can be created from shipment {shipment_id}: {source.return_refusal}.")
    return source


async def _opened(v: Visit, step: str) -> tuple[ReturnSource, Draft] | Response:
    """The source and draft for a step, or a redirect: no draft yet → start one; an earlier
    step not done → that step (no skipping ahead by URL)."""
    source = await _source(v.db, v.principal, v.shipment_id)
    draft = _load(v.request, v.shipment_id)
    if draft is None:
        return RedirectResponse(f"/returns/new?shipment={v.shipment_id}", status_code=303)
    missing = draft.first_open(before=step)
    if missing is not None:
        return _go(v.shipment_id, missing)
    return source, draft


def _render(
    request: Request,
    step: str,
    source: ReturnSource,
    draft: Draft,
    errors: FormErrors | None = None,
    status_code: int = 200,
    **context: Any,
) -> Response:
    if errors is None:
        # Problems the review found in this step, shown once beside their fields.
        found = draft.problems.pop(step, [])
        errors = FormErrors("Please check this step again: something changed since you completed it")
        for name, message in found:
            errors.add(name, message)
        if not found:
            errors = FormErrors()
        else:
            _save(request, source.shipment_id, draft)
    return page(
        request,
        f"wizard/{step}.html",
        status_code=status_code,
        step=step,
        steps=[*STEPS, "review"],
        titles=TITLES,
        source=source,
        draft=draft,
        errors=errors,
        **context,
    )


def _refused(errors: list[FieldError], keep: tuple[str, ...]) -> FormErrors:
    """The errors of one step (fields starting with one of `keep`), as a form shows them."""
    mine = [e for e in errors if e.field.startswith(keep)]
    return FormErrors.of(RuleViolation("Please correct the marked fields", mine)) if mine else FormErrors()


async def _products(
    db: Database, principal: Principal, source: ReturnSource, ids: set[int]
) -> dict[int, DraftProduct]:
    """The products of the draft's lines: the shipment's, and those added by search."""
    known = dict(source.products)
    if ids - known.keys():
        known.update(await run_in_threadpool(drafts.products, db, principal, ids - known.keys()))
    return known


# --- start ----------------------------------------------------------------------------------------


@router.get("/returns/new")
async def start(
    request: Request,
    shipment: int = Query(ge=0, le=INT32_MAX),
    principal: Principal = Depends(merchant),
    db: Database = Depends(get_db),
) -> Response:
    """Create Return on a shipment: a fresh draft with what can still come back, pre-filled."""
    source = await _source(db, principal, shipment)
    lines = [Line(i.inventory_id, str(i.returnable)) for i in source.items if i.returnable > 0]
    _save(request, shipment, Draft(lines=lines, fulfillment_center_id=source.fulfillment_center_id))
    return _go(shipment, "items")


# --- 1. items -------------------------------------------------------------------------------------


async def _items_page(
    v: Visit,
    source: ReturnSource,
    draft: Draft,
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    q = v.request.query_params.get("q", "").replace("\x00", "").strip()[:100]
    known = await _products(v.db, v.principal, source, {line.inventory_id for line in draft.lines})
    found = await run_in_threadpool(drafts.find_products, v.db, v.principal, q) if q else []
    return _render(
        v.request,
        "items",
        source,
        draft,
        errors,
        status_code,
        products=known,
        q=q,
        found=found,
        searched=bool(q),
    )


@router.get("/returns/new/{shipment_id}/items")
async def items_form(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "items")
    if isinstance(opened, Response):
        return opened
    return await _items_page(v, *opened)


def _typed_lines(form: FormData) -> list[Line]:
    lines = []
    for i in range(MAX_LINES):
        raw_id = forms.text(form, f"inventory[{i}].id", 20)
        if not raw_id:
            break
        try:
            inventory_id = int(raw_id)
        except ValueError:
            continue  # not one of ours: the form only ever sends ids it was given
        lines.append(
            Line(
                inventory_id,
                forms.text(form, f"inventory[{i}].quantity", 20),
                forms.text(form, f"inventory[{i}].requested_action", 20) or RequestedAction.DEFAULT.value,
            )
        )
    return lines


@router.post("/returns/new/{shipment_id}/items")
async def items_submit(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "items")
    if isinstance(opened, Response):
        return opened
    source, draft = opened
    form = await v.request.form()
    draft.lines = _typed_lines(form)
    draft.done = [s for s in draft.done if s != "items"]
    q = forms.text(form, "q", 100)
    back = RedirectResponse(
        _step_url(v.shipment_id, "items") + (f"?{urlencode({'q': q})}" if q else "") + "#items",
        status_code=303,
    )
    if "remove" in form:
        index = forms.text(form, "remove", 10)
        if index.isdigit() and int(index) < len(draft.lines):
            draft.lines.pop(int(index))
        _save(v.request, v.shipment_id, draft)
        return back
    if "add" in form:
        errors = FormErrors()
        added = forms.integer(form, "add", errors, label="the product")
        if added is not None and added >= 0 and not errors:
            if all(line.inventory_id != added for line in draft.lines):
                draft.lines.append(Line(added, "1"))
            _save(v.request, v.shipment_id, draft)
            return back
        errors.add("q", "that product could not be added")
        _save(v.request, v.shipment_id, draft)
        return await _items_page(v, source, draft, errors, 400)

    _save(v.request, v.shipment_id, draft)
    errors = FormErrors()
    lines = draft.quantities(errors)
    req = source.request(
        lines, fulfillment_center_id=draft.fulfillment_center_id, reference_id=draft.reference_id
    )
    for name, messages in _refused(
        await run_in_threadpool(drafts.check, v.db, v.principal, req), ("inventory", "original_shipment_id")
    ).fields.items():
        if not errors.get(name):  # what could not be read is not judged as well
            errors.fields[name] = messages
    if errors:
        errors.message = errors.message or "Please correct the marked fields"
        return await _items_page(v, source, draft, errors, 422)
    draft.complete("items")
    _save(v.request, v.shipment_id, draft)
    return _go(v.shipment_id, draft.next_step())


# --- 2. destination -------------------------------------------------------------------------------


async def _destination_page(
    v: Visit,
    source: ReturnSource,
    draft: Draft,
    errors: FormErrors | None = None,
    status_code: int = 200,
    chosen: str | None = None,
) -> Response:
    centers = await run_in_threadpool(catalog.list_fulfillment_centers, v.db)
    return _render(
        v.request,
        "destination",
        source,
        draft,
        errors,
        status_code,
        centers=centers,
        chosen=chosen if chosen is not None else str(draft.fulfillment_center_id or ""),
    )


@router.get("/returns/new/{shipment_id}/destination")
async def destination_form(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "destination")
    if isinstance(opened, Response):
        return opened
    return await _destination_page(v, *opened)


@router.post("/returns/new/{shipment_id}/destination")
async def destination_submit(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "destination")
    if isinstance(opened, Response):
        return opened
    source, draft = opened
    form = await v.request.form()
    errors = FormErrors()
    name = "fulfillment_center.id"
    chosen = forms.integer(form, name, errors, label="the fulfillment center")
    if chosen is None and not errors:
        errors.add(name, "choose the fulfillment center the package goes to")
    if chosen is not None:
        req = source.request(
            draft.quantities(FormErrors()), fulfillment_center_id=chosen, reference_id=draft.reference_id
        )
        errors = _refused(
            await run_in_threadpool(drafts.check, v.db, v.principal, req), ("fulfillment_center",)
        )
    if errors:
        errors.message = errors.message or "Please correct the marked fields"
        return await _destination_page(v, source, draft, errors, 422, forms.text(form, name, 20))
    draft.fulfillment_center_id = chosen
    draft.complete("destination")
    _save(v.request, v.shipment_id, draft)
    return _go(v.shipment_id, draft.next_step())


# --- 3. reference id (RMA) ------------------------------------------------------------------------


@router.get("/returns/new/{shipment_id}/reference")
async def reference_form(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "reference")
    if isinstance(opened, Response):
        return opened
    source, draft = opened
    return _render(v.request, "reference", source, draft, typed=draft.reference_id)


@router.post("/returns/new/{shipment_id}/reference")
async def reference_submit(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "reference")
    if isinstance(opened, Response):
        return opened
    source, draft = opened
    form = await v.request.form()
    if forms.text(form, "action", 20) == "generate":
        draft.reference_id = await run_in_threadpool(drafts.new_reference, v.db, v.principal)
        draft.done = [s for s in draft.done if s != "reference"]
        _save(v.request, v.shipment_id, draft)
        flash(v.request, f"Generated {draft.reference_id}. Press Done to use it.", "info")
        return _go(v.shipment_id, "reference")
    typed = forms.text(form, "reference_id", 200)
    req = draft.request(source)
    if req is None:  # a quantity changed under us (another tab): the items step says which
        return _go(v.shipment_id, "items")
    found = await run_in_threadpool(drafts.check, v.db, v.principal, replace(req, reference_id=typed))
    errors = _refused(found, ("reference_id",))
    if errors:
        return _render(v.request, "reference", source, draft, errors, 422, typed=typed)
    draft.reference_id = typed
    draft.complete("reference")
    _save(v.request, v.shipment_id, draft)
    return _go(v.shipment_id, draft.next_step())


# --- 4. label -------------------------------------------------------------------------------------

# Label errors about these fields are shown beside the carrier services; the rest beside the type.
LABEL_FIELDS = ("label.carrier", "label.service")
CHOOSE_SERVICE = "choose the carrier and service that will carry the package"


def _label_errors(found: list[FieldError]) -> FormErrors:
    """Label refusals beside the label type (or the carrier service they are about)."""
    errors = FormErrors("This label cannot be used for this return" if found else "")
    for e in found:
        if e.field in LABEL_FIELDS:
            name = "label.carrier_service"
            message = CHOOSE_SERVICE if e.message.startswith("is required") else e.message
        else:
            name, message = "label.type", e.message
        if message not in errors.get(name):
            errors.add(name, message)
    return errors


async def _label_page(
    v: Visit,
    source: ReturnSource,
    draft: Draft,
    errors: FormErrors | None = None,
    status_code: int = 200,
    options: LabelOptions | None = None,
) -> Response | None:
    req = draft.request(source)
    if req is None:
        return None
    if options is None:
        options = (await run_in_threadpool(labels.judge_label, v.db, v.principal, req)).options
    return _render(v.request, "label", source, draft, errors, status_code, options=options)


@router.get("/returns/new/{shipment_id}/label")
async def label_form(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "label")
    if isinstance(opened, Response):
        return opened
    return await _label_page(v, *opened) or _go(v.shipment_id, "items")


@router.post("/returns/new/{shipment_id}/label")
async def label_submit(v: Visit = Depends(visit)) -> Response:
    opened = await _opened(v, "label")
    if isinstance(opened, Response):
        return opened
    source, draft = opened
    form = await v.request.form()
    draft.label_type = forms.text(form, "label.type", 40)
    draft.carrier_service = forms.text(form, "label.carrier_service", 200)
    draft.done = [s for s in draft.done if s != "label"]
    _save(v.request, v.shipment_id, draft)
    req, label = draft.request(source), draft.label()
    if req is None:
        return _go(v.shipment_id, "items")
    verdict = await run_in_threadpool(labels.judge_label, v.db, v.principal, req, label)
    errors = _label_errors(verdict.errors)
    if label is None:
        errors.add("label.type", "choose Prepaid, Optimized or Carrier specific")
    if errors:
        errors.message = errors.message or "Please correct the marked fields"
        page_ = await _label_page(v, source, draft, errors, 422, verdict.options)
        return page_ or _go(v.shipment_id, "items")
    draft.complete("label")
    _save(v.request, v.shipment_id, draft)
    return _go(v.shipment_id, draft.next_step())


# --- 5. review and 6. submit ----------------------------------------------------------------------


def _step_of(e: FieldError, from_label: bool) -> str:
    if from_label or e.field.startswith("label"):
        return "label"
    if e.field.startswith("reference_id"):
        return "reference"
    if e.field.startswith("fulfillment_center"):
        return "destination"
    return "items"


async def _checked(
    v: Visit, source: ReturnSource, draft: Draft
) -> tuple[ReturnRequest, LabelRequest, LabelVerdict] | Response:
    """The whole draft judged again, as Submit would: the v.request, its label and what the label
    rules say, or a redirect to the first step that no longer passes (problems beside its fields)."""
    req, label = draft.request(source), draft.label()
    if req is None or label is None:
        draft.done = [s for s in draft.done if s != ("items" if req is None else "label")]
        _save(v.request, source.shipment_id, draft)
        return _go(source.shipment_id, draft.first_open() or "items")
    found = [(e, False) for e in await run_in_threadpool(drafts.check, v.db, v.principal, req)]
    verdict = await run_in_threadpool(labels.judge_label, v.db, v.principal, req, label)
    found += [(e, True) for e in verdict.errors]
    return _back_to_steps(v.request, source, draft, found) or (req, label, verdict)


def _back_to_steps(
    request: Request, source: ReturnSource, draft: Draft, found: list[tuple[FieldError, bool]]
) -> Response | None:
    if not found:
        return None
    draft.problems = {}
    for e, from_label in found:
        step = _step_of(e, from_label)
        name = (
            ("label.carrier_service" if e.field in LABEL_FIELDS else "label.type")
            if step == "label"
            else e.field
        )
        if [name, e.message] not in draft.problems.get(step, []):
            draft.problems.setdefault(step, []).append([name, e.message])
    draft.done = [s for s in draft.done if s not in draft.problems]
    _save(request, source.shipment_id, draft)
    flash(request, "Some details need another look before the return can be created.", "error")
    return _go(source.shipment_id, draft.first_open() or "items")


async def _ready(
    v: Visit,
) -> tuple[ReturnSource, Draft, ReturnRequest, LabelRequest, LabelVerdict] | Response:
    """A draft with every step done and still passing, or where to go instead."""
    opened = await _opened(v, "review")
    if isinstance(opened, Response):
        return opened
    source, draft = opened
    checked = await _checked(v, source, draft)
    if isinstance(checked, Response):
        return checked
    return source, draft, *checked


@router.get("/returns/new/{shipment_id}/review")
async def review(v: Visit = Depends(visit)) -> Response:
    ready = await _ready(v)
    if isinstance(ready, Response):
        return ready
    source, draft, req, label, verdict = ready
    known = await _products(v.db, v.principal, source, {line.inventory_id for line in req.lines})
    centers = {fc.id: fc for fc in await run_in_threadpool(catalog.list_fulfillment_centers, v.db)}
    return _render(
        v.request,
        "review",
        source,
        draft,
        request_=req,
        label=label,
        products=known,
        center=centers.get(req.fulfillment_center_id),
        options=verdict.options,
        quote=verdict.quote,
    )


@router.post("/returns/new/{shipment_id}/submit")
async def submit(v: Visit = Depends(visit)) -> Response:
    ready = await _ready(v)
    if isinstance(ready, Response):
        return ready
    source, draft, req, label, _ = ready
    try:
        created = await run_in_threadpool(
            labels.create_return, v.db, v.principal, source.channel_id, req, label
        )
    except RuleViolation as exc:  # something changed since the check (e.g. the RMA was just taken)
        found = exc.errors or [FieldError("", exc.message)]
        back = _back_to_steps(v.request, source, draft, [(e, e.field.startswith("label")) for e in found])
        assert back is not None
        return back
    _drop(v.request, v.shipment_id)
    record, bought = created.record, created.label
    message = f"Return {record.reference_id} created. Print the RMA on the outside of the package."
    if bought is not None and bought.tracking_number:
        message += f" Label bought: {bought.carrier} {bought.service}, tracking {bought.tracking_number}."
    elif bought is not None and bought.fallback_reason:
        message += f" No label was bought: {bought.fallback_reason}."
    else:
        message += " Add the tracking number of your own label before the package arrives."
    flash(v.request, message)
    return RedirectResponse(f"/returns/{record.id}", status_code=303)

"""Warehouse use cases, one transaction each: receive a package, inspect its units, close a return.

Arrivals and inspections come in batches (arrive_many, inspect_many: a tote, a cart) with a result
per item; one scan or one inspection is a batch of one. Every status move goes through
returns.service.change_status or its batch twin move_statuses (checked, stamped, in the history,
announced). The return rows are locked in id order (PostgreSQL; SQLite serializes writers) before
anything is counted, so two scanners on one return cannot process a unit twice.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from homeward.auth.domain import Principal, Scope, WarehousePrincipal
from homeward.billing.service import Completion, charge_completion, charge_completions
from homeward.catalog.domain import ReturnAction
from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import Database
from homeward.inventory.domain import BUCKET_OF, EntryKind
from homeward.inventory.service import append_many, ledger_entry
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, HomewardError, InvalidInput, NotFound, RuleViolation
from homeward.orders.models import Shipment
from homeward.photos.store import Photo, PhotoStore, new_key
from homeward.receiving import domain, repository
from homeward.receiving.domain import LineKind, Observation
from homeward.receiving.models import Inspection
from homeward.receiving.records import (
    CatalogView,
    InspectionPreview,
    PreviewLine,
    WaitingReturn,
    WarehouseReturnRecord,
    to_record,
)
from homeward.returns import repository as returns_repository
from homeward.returns.domain import ActionSource, ReturnLine, ReturnRequest, ReturnStatus, ReturnType
from homeward.returns.models import ReturnOrder
from homeward.returns.service import (
    StatusMove,
    change_status,
    channel_for_order,
    create_return_in,
    move_statuses,
)
from homeward.tenants.models import Merchant

# --- arrival -------------------------------------------------------------------------------------


def arrive(
    db: Database, staff: WarehousePrincipal, barcode: str, *, rts: bool = False
) -> WarehouseReturnRecord:
    """A package is scanned: its return becomes Arrived. Scanning it again changes nothing.

    The barcode is a return's tracking number or RMA; failing that, an outbound shipment's
    tracking number, which makes (or finds) a return for that shipment: ReturnToSender when the
    carrier sent it back (`rts`), Regular otherwise (seed 001). One scan is arrive_many's batch of one.
    """
    staff.require(Scope.WAREHOUSE)
    with db.write() as session:
        [outcome] = arrive_many_in(session, staff, [barcode], rts=rts)
        return _record(session, _fresh(session, staff, outcome.unwrap()))


@dataclass(frozen=True)
class ArrivalOutcome:
    """One scanned barcode: the return it received (or had received already), or why not."""

    barcode: str
    return_id: int | None = None
    error: HomewardError | None = None

    def unwrap(self) -> int:
        if self.error is not None:
            raise self.error
        assert self.return_id is not None, "an outcome holds a return or an error"
        return self.return_id


# What one scan of a batch may be refused for; the others are still received.
_ITEM_ERRORS = (InvalidInput, NotFound, RuleViolation)


def arrive_many(
    db: Database, staff: WarehousePrincipal, barcodes: Sequence[str], *, rts: bool = False
) -> list[ArrivalOutcome]:
    """Receive a tote of packages in one transaction, each scan judged as one alone (see arrive).

    Per-scan results: a barcode that matches nothing, is ambiguous or names a cancelled return is
    listed with its error and the others are received, as a scanner working through a tote expects.
    """
    staff.require(Scope.WAREHOUSE)
    with db.write() as session:
        return arrive_many_in(session, staff, barcodes, rts=rts)


def arrive_many_in(
    session: Session, staff: WarehousePrincipal, barcodes: Sequence[str], *, rts: bool
) -> list[ArrivalOutcome]:
    cleaned = [barcode.strip() for barcode in barcodes]
    candidates = repository.returns_by_barcodes(session, {b for b in cleaned if b})
    found: dict[int, int] = {}  # scan -> return id
    outcomes: list[ArrivalOutcome | None] = [None] * len(cleaned)
    for index, barcode in enumerate(cleaned):
        try:
            if not barcode:
                raise InvalidInput("A barcode is required", [FieldError("barcode", "must not be blank")])
            chosen = _choose(staff, barcode, rts, candidates.get(barcode, []))
            if chosen is None:
                with session.begin_nested():  # a refused scan leaves nothing of what it began
                    chosen = _from_shipment(session, staff, barcode, rts)
            found[index] = chosen
        except _ITEM_ERRORS as exc:
            outcomes[index] = ArrivalOutcome(barcode, error=exc)
    # Locked, then judged again: the merchant may have cancelled since the lookup.
    heads = {
        h.id: h for h in repository.lock_in_center(session, staff.fulfillment_center_id, set(found.values()))
    }
    current = {return_id: ReturnStatus(head.status) for return_id, head in heads.items()}
    moves: list[StatusMove] = []
    for index, return_id in found.items():
        try:
            domain.ensure_receivable(current[return_id], return_id)
        except RuleViolation as exc:
            outcomes[index] = ArrivalOutcome(cleaned[index], error=exc)
            continue
        if current[return_id] is ReturnStatus.AWAITING_ARRIVAL:  # a second scan changes nothing
            merchant_id = heads[return_id].merchant_id
            moves.append(StatusMove(return_id, merchant_id, current[return_id], ReturnStatus.ARRIVED))
            current[return_id] = ReturnStatus.ARRIVED
        outcomes[index] = ArrivalOutcome(cleaned[index], return_id)
    move_statuses(session, moves)
    return [outcome for outcome in outcomes if outcome is not None]


def _from_shipment(session: Session, staff: WarehousePrincipal, barcode: str, rts: bool) -> int:
    """The return of the outbound shipment with this tracking number, made when there is none."""
    shipments = repository.shipments_by_tracking(session, barcode)
    if not shipments:
        what = "No outbound shipment has tracking number" if rts else "No return or outbound shipment matches"
        raise NotFound(f"{what} '{barcode}'", [FieldError("barcode", "matches nothing")])
    if len(shipments) > 1:
        ids = ", ".join(str(s.id) for s in shipments)
        raise RuleViolation(
            f"Barcode '{barcode}' is the tracking number of several shipments ({ids})",
            [FieldError("barcode", "is ambiguous; scan the return's RMA instead")],
        )
    shipment = repository.lock_shipment(session, shipments[0].id)
    assert shipment is not None, "found just above; shipments are never deleted"
    # A concurrent scan of the same package may have created its return while we waited.
    found = _choose(staff, barcode, rts, repository.returns_by_barcode(session, barcode))
    if found is not None:
        return found
    if not rts:
        waiting = repository.awaiting_returns_of_shipment(session, shipment.id, staff.fulfillment_center_id)
        if len(waiting) > 1:
            raise RuleViolation(
                f"Shipment {shipment.id} has several returns awaiting arrival "
                f"({', '.join(str(r.id) for r in waiting)}); scan the return's RMA instead",
                [FieldError("barcode", "is ambiguous")],
            )
        if waiting:
            return waiting[0].id
    return _create_from_shipment(session, staff, shipment, barcode, rts).id


def _choose(staff: WarehousePrincipal, barcode: str, rts: bool, candidates: Sequence[Any]) -> int | None:
    """The return a barcode names among those whose tracking number or RMA it is (rows with id,
    return_type, fulfillment_center_id and status), or None when there is none."""
    if rts:
        candidates = [c for c in candidates if c.return_type == ReturnType.RETURN_TO_SENDER.value]
    if not candidates:
        return None
    here = [c for c in candidates if c.fulfillment_center_id == staff.fulfillment_center_id]
    if not here:
        other = candidates[0]
        raise RuleViolation(
            f"Barcode '{barcode}' belongs to return {other.id}, which is destined for fulfillment "
            f"center {other.fulfillment_center_id}, not {staff.fulfillment_center_id}",
            [FieldError("barcode", f"belongs to another fulfillment center's return {other.id}")],
        )
    live = [c for c in here if c.status != ReturnStatus.CANCELLED.value]
    if not live:
        domain.ensure_receivable(ReturnStatus.CANCELLED, here[0].id)
    if len(live) > 1:
        raise RuleViolation(
            f"Barcode '{barcode}' matches several returns ({', '.join(str(c.id) for c in live)})",
            [FieldError("barcode", "is ambiguous; scan the package's other label (tracking number or RMA)")],
        )
    return int(live[0].id)


def _create_from_shipment(
    session: Session, staff: WarehousePrincipal, shipment: Shipment, barcode: str, rts: bool
) -> ReturnOrder:
    """All still-returnable units of the shipment, with a generated reference id."""
    if not shipment.is_shipped:
        raise RuleViolation(
            f"Shipment {shipment.id} is '{shipment.status}'; only shipped packages come back",
            [FieldError("barcode", f"is the tracking number of unshipped shipment {shipment.id}")],
        )
    held = returns_repository.units_held_by_open_returns(session, shipment.id)
    shipped = shipment.units_by_inventory()
    lots: dict[int, tuple[str | None, date | None]] = {}
    for line in shipment.lines:
        if line.lot_number or line.lot_expiration:
            lots.setdefault(line.inventory_id, (line.lot_number, line.lot_expiration))
    lines = [
        _line(inventory_id, quantity - held.get(inventory_id, 0), lots.get(inventory_id))
        for inventory_id, quantity in shipped.items()
        if quantity > held.get(inventory_id, 0)
    ]
    if not lines:
        raise RuleViolation(
            f"Every unit of shipment {shipment.id} is already on a return; scan that return's RMA",
            [FieldError("barcode", f"shipment {shipment.id} has no units left to return")],
        )
    return_type = ReturnType.RETURN_TO_SENDER if rts else ReturnType.REGULAR
    merchant = Principal(
        token_id=staff.token_id or 0,
        merchant_id=shipment.merchant_id,
        scopes=frozenset({Scope.RETURNS_WRITE}),
    )
    request = ReturnRequest(
        reference_id=_free_reference(session, shipment, "RTS" if rts else "RET"),
        fulfillment_center_id=staff.fulfillment_center_id,
        lines=tuple(lines),
        original_shipment_id=shipment.id,
        tracking_number=barcode,
    )
    return create_return_in(session, merchant, _channel_of(session, shipment), request, return_type)


def _line(inventory_id: int, quantity: int, lot: tuple[str | None, date | None] | None) -> ReturnLine:
    number, expires = lot or (None, None)
    lot_date = datetime.combine(expires, time(), UTC) if expires else None
    return ReturnLine(inventory_id=inventory_id, quantity=quantity, lot_number=number, lot_date=lot_date)


def _free_reference(session: Session, shipment: Shipment, prefix: str) -> str:
    base = f"{prefix}-{shipment.id:08d}"
    candidate, n = base, 1
    while returns_repository.reference_taken(session, shipment.merchant_id, candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _channel_of(session: Session, shipment: Shipment) -> int:
    channel_id = channel_for_order(session, shipment.merchant_id, shipment.order.channel_id)
    if channel_id is None:
        raise RuleViolation(
            f"Merchant {shipment.merchant_id} has no channel to file the return under",
            [FieldError("barcode", "the shipment's merchant has no channel")],
        )
    return channel_id


# --- inspection ----------------------------------------------------------------------------------


def inspect(
    db: Database,
    photos: PhotoStore,
    staff: WarehousePrincipal,
    return_id: int,
    observations: Sequence[Observation],
    uploads: Mapping[str, Photo] | None = None,
) -> WarehouseReturnRecord:
    """Record what was found, unit-exact; the first inspection makes the return Processing, and
    the one that accounts for its last expected unit makes it Completed (and charges its fees).
    One inspection is inspect_many's batch of one."""
    staff.require(Scope.WAREHOUSE)
    request = InspectionRequest(return_id, observations, uploads or {})
    with _photos_kept_on_commit(photos) as stored, db.write() as session:
        [(outcome, facts)] = _inspect_many_in(session, photos, staff, [request], stored)
        outcome.unwrap()
        return _record(session, _fresh(session, staff, return_id), facts)


@dataclass(frozen=True)
class InspectionRequest:
    """What an inspector reports for one return, with the photos it names."""

    return_id: int
    observations: Sequence[Observation]
    uploads: Mapping[str, Photo] = field(default_factory=dict)


@dataclass(frozen=True)
class InspectionOutcome:
    """One inspection of a batch: the status it left the return in, or why nothing was recorded."""

    return_id: int
    status: ReturnStatus | None = None
    error: HomewardError | None = None

    def unwrap(self) -> ReturnStatus:
        if self.error is not None:
            raise self.error
        assert self.status is not None, "an outcome holds a status or an error"
        return self.status


def inspect_many(
    db: Database, photos: PhotoStore, staff: WarehousePrincipal, requests: Sequence[InspectionRequest]
) -> list[InspectionOutcome]:
    """Record many inspections in one transaction, each judged as one alone (see inspect).

    Per-inspection results: one that breaks a rule (or names a return not in the center, or not
    inspectable) is listed with its errors and records nothing; the others are recorded. The same
    return may be inspected more than once in a batch: later ones see what earlier ones recorded.
    """
    staff.require(Scope.WAREHOUSE)
    with _photos_kept_on_commit(photos) as stored, db.write() as session:
        return [outcome for outcome, _ in _inspect_many_in(session, photos, staff, requests, stored)]


@contextlib.contextmanager
def _photos_kept_on_commit(photos: PhotoStore) -> Iterator[list[str]]:
    """Photos stored under the block are deleted again if it fails: nothing recorded points at them."""
    stored: list[str] = []
    try:
        yield stored
    except BaseException:
        for key in stored:
            with contextlib.suppress(Exception):
                photos.delete(key)
        raise


_Inspected = tuple[InspectionOutcome, domain.Facts | None]


def _inspect_many_in(
    session: Session,
    photos: PhotoStore,
    staff: WarehousePrincipal,
    requests: Sequence[InspectionRequest],
    stored: list[str],
) -> list[_Inspected]:
    results: list[_Inspected | None] = [None] * len(requests)
    waiting = list(range(len(requests)))
    while waiting:  # rounds naming each return once, so each round's facts include the last's
        seen: set[int] = set()
        now: list[int] = []
        later: list[int] = []
        for index in waiting:
            (later if requests[index].return_id in seen else now).append(index)
            seen.add(requests[index].return_id)
        _inspect_round(session, photos, staff, [(i, requests[i]) for i in now], results, stored)
        waiting = later
    return [result for result in results if result is not None]


def _inspect_round(
    session: Session,
    photos: PhotoStore,
    staff: WarehousePrincipal,
    batch: list[tuple[int, InspectionRequest]],
    results: list[_Inspected | None],
    stored: list[str],
) -> None:
    ids = {request.return_id for _, request in batch}
    heads = {h.id: h for h in repository.lock_in_center(session, staff.fulfillment_center_id, ids)}
    items: dict[int, list[Any]] = defaultdict(list)
    for item in repository.items_of(session, set(heads)):
        items[item.return_id].append(item)
    done = repository.accounted_units(session, set(heads))
    observed = {o.inventory_id for _, request in batch for o in request.observations}
    named = {i.inventory_id for lines in items.values() for i in lines}
    products = _products(session, {h.merchant_id for h in heads.values()}, observed | named)
    dispose = repository.disposes_dangerous_goods(session, {h.merchant_id for h in heads.values()})
    today = _today(session, staff.fulfillment_center_id)
    planned = []
    for index, request in batch:
        head = heads.get(request.return_id)
        try:
            if head is None:
                raise _not_found(staff, request.return_id)
            domain.ensure_inspectable(ReturnStatus(head.status), head.id)
            facts = _build_facts(
                head,
                _expected_of(items[head.id], done.get(head.id, {})),
                [p for p in products if p.merchant_id == head.merchant_id],
                dispose_dangerous_goods=dispose.get(head.merchant_id, False),
                today=today,
            )
            plan = domain.plan_inspection(request.observations, facts, frozenset(request.uploads))
        except _ITEM_ERRORS as exc:
            results[index] = (InspectionOutcome(request.return_id, error=exc), None)
            continue
        planned.append((index, request, head, facts, plan))
    if not planned:
        return
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for _, request, head, facts, plan in planned:
        keys: dict[str, str] = {}
        for name, photo in request.uploads.items():
            keys[name] = new_key(head.id, photo)
            photos.put(keys[name], photo)
            stored.append(keys[name])
        rows.extend(_inspection_values(head.id, line, facts, staff, now, keys) for line in plan)
    inspection_ids = repository.insert_inspections(session, rows)
    lines = [(head, line) for _, _, head, _, plan in planned for line in plan]  # in the order of rows
    entries = [
        ledger_entry(
            merchant_id=head.merchant_id,
            fulfillment_center_id=head.fulfillment_center_id,
            return_id=head.id,
            inventory_id=line.observation.inventory_id,
            bucket=BUCKET_OF[line.decision.action],
            quantity=line.observation.quantity,
            kind=EntryKind.INSPECTION,
            reason=line.decision.reason,
            staff=staff,
            when=now,
            inspection_id=inspection_id,
        )
        for (head, line), inspection_id in zip(lines, inspection_ids, strict=True)
    ]
    append_many(session, entries)
    started, completed, completions = [], [], []
    for index, _, head, facts, plan in planned:
        status = ReturnStatus(head.status)
        if status is ReturnStatus.ARRIVED:
            started.append(StatusMove(head.id, head.merchant_id, status, ReturnStatus.PROCESSING))
            status = ReturnStatus.PROCESSING
        processed: dict[int, int] = defaultdict(int)
        for line in plan:
            if line.kind is LineKind.EXPECTED:
                processed[line.observation.inventory_id] += line.observation.quantity
        if domain.fully_processed(facts.expected, processed):
            completed.append(StatusMove(head.id, head.merchant_id, status, ReturnStatus.COMPLETED))
            units = _units_received(done.get(head.id, {})) + sum(line.observation.quantity for line in plan)
            completions.append(Completion(head.id, head.merchant_id, ReturnType(head.return_type), units))
            status = ReturnStatus.COMPLETED
        results[index] = (InspectionOutcome(head.id, status), facts)
    move_statuses(session, started + completed)  # in this order: Processing before Completed
    charge_completions(session, completions)


def _units_received(done: Mapping[tuple[int, str], int]) -> int:
    """Units inspected so far (expected and extra); short units were never received."""
    return sum(quantity for (_, kind), quantity in done.items() if kind != LineKind.SHORT.value)


def _inspection_values(
    return_id: int,
    line: domain.PlannedLine,
    facts: domain.Facts,
    staff: WarehousePrincipal,
    now: datetime,
    keys: dict[str, str],
) -> dict[str, Any]:
    obs = line.observation
    return {
        "return_id": return_id,
        "inventory_id": obs.inventory_id,
        "name": facts.items[obs.inventory_id].name,
        "kind": line.kind.value,
        "quantity": obs.quantity,
        "action": line.decision.action.value,
        "reason": line.decision.reason,
        "damaged": obs.damaged,
        "lot_number": obs.lot_number,
        "expiration_date": obs.expiration_date,
        "steps": dict(obs.steps),
        "photo_key": keys.get(obs.photo) if obs.photo else None,
        "actor": staff.actor,
        "actor_token_id": staff.token_id,
        "inspected_at": now,
    }


def close(
    db: Database, staff: WarehousePrincipal, return_id: int, reason: str | None = None
) -> WarehouseReturnRecord:
    """Finish a return whose package held fewer units than announced: the rest are recorded short."""
    staff.require(Scope.WAREHOUSE)
    with db.write() as session:
        row = _locked(session, staff, return_id)
        if row.status_enum is ReturnStatus.COMPLETED:
            return _record(session, row)  # closing twice is harmless
        domain.ensure_inspectable(row.status_enum, row.id, "closed")
        now = utcnow()
        names = {i.inventory_id: i.name for i in row.items}
        for inventory_id, missing in domain.shorts(_expected(row)).items():
            note = f"{missing} unit(s) announced but not in the package" + (
                f". Inspector: {reason}" if reason else ""
            )
            row.inspections.append(
                Inspection(
                    inventory_id=inventory_id,
                    name=names[inventory_id],
                    kind=LineKind.SHORT.value,
                    quantity=missing,
                    action=domain.SHORT_ACTION,
                    reason=note,
                    steps={},
                    actor=staff.actor,
                    actor_token_id=staff.token_id,
                    inspected_at=now,
                )
            )
        _complete(session, row)
        session.flush()
        return _record(session, row)


def _complete(session: Session, row: ReturnOrder) -> None:
    change_status(row, ReturnStatus.COMPLETED)
    units = sum(i.quantity for i in row.inspections if i.kind != LineKind.SHORT.value)
    charge_completion(session, row, units)


# --- reads and helpers ---------------------------------------------------------------------------


def get_return(db: Database, staff: WarehousePrincipal, return_id: int) -> WarehouseReturnRecord:
    staff.require(Scope.WAREHOUSE)
    with db.read() as session:
        row = repository.get_in_center(session, staff.fulfillment_center_id, return_id)
        if row is None:
            raise _not_found(staff, return_id)
        return _record(session, row)


Observe = Callable[[WarehouseReturnRecord], Sequence[Observation]]


def preview(
    db: Database, staff: WarehousePrincipal, return_id: int, observations: Sequence[Observation] | Observe
) -> InspectionPreview:
    """What the rules would decide for each reported line, recording nothing: the judgement
    `inspect` makes, read together with the return. `observations` may be a function of the
    return (a form is read against the items it shows). Photos are only sent with the real
    inspection, so a preview judges every line as if its photo were attached."""
    staff.require(Scope.WAREHOUSE)
    with db.read() as session:
        row = repository.get_in_center(session, staff.fulfillment_center_id, return_id)
        if row is None:
            raise _not_found(staff, return_id)
        facts = _facts(session, row, set())
        record = _record(session, row, facts)
        observed = list(observations(record) if callable(observations) else observations)
        try:
            domain.ensure_inspectable(row.status_enum, row.id)
        except RuleViolation as exc:
            return InspectionPreview(record, (), exc.message)
        if not {o.inventory_id for o in observed} <= set(facts.items):
            facts = _facts(session, row, {o.inventory_id for o in observed})
    assumed = [replace(o, photo=o.photo or f"photo-{i}") for i, o in enumerate(observed)]
    judged = domain.judge_lines(assumed, facts, frozenset(o.photo for o in assumed if o.photo))
    lines = [
        PreviewLine(line.decision.action, line.decision.reason)
        if isinstance(line, domain.PlannedLine)
        else PreviewLine(None, "Breaks a rule", tuple(line))
        for line in judged
    ]
    return InspectionPreview(record, tuple(lines), None)


def waiting_for_inspection(db: Database, staff: WarehousePrincipal, limit: int = 100) -> list[WaitingReturn]:
    """The center's Arrived and Processing returns, the most recently scanned or worked on first."""
    staff.require(Scope.WAREHOUSE)
    with db.read() as session:
        return [
            WaitingReturn(
                id=row.id,
                reference_id=row.reference_id,
                merchant_name=row.merchant_name,
                return_type=ReturnType(row.return_type),
                status=ReturnStatus(row.status),
                tracking_number=row.tracking_number,
                expected=row.expected,
                remaining=max(row.expected - row.accounted, 0),
                updated_at=row.updated_at,
            )
            for row in repository.waiting_in_center(session, staff.fulfillment_center_id, limit)
        ]


def _locked(session: Session, staff: WarehousePrincipal, return_id: int) -> ReturnOrder:
    row = repository.get_in_center(session, staff.fulfillment_center_id, return_id, for_update=True)
    if row is None:
        raise _not_found(staff, return_id)
    return row


def _not_found(staff: WarehousePrincipal, return_id: int) -> NotFound:
    return NotFound(f"Return {return_id} was not found in fulfillment center {staff.fulfillment_center_id}")


def _fresh(session: Session, staff: WarehousePrincipal, return_id: int) -> SimpleNamespace:
    """The return as stored now, for the record of a use case that wrote it with statements."""
    found = repository.snapshot(session, staff.fulfillment_center_id, return_id)
    if found is None:
        raise _not_found(staff, return_id)
    return found


def _expected(row: ReturnOrder) -> dict[int, domain.Expected]:
    done: dict[tuple[int, str], int] = defaultdict(int)
    for line in row.inspections:
        done[(line.inventory_id, line.kind)] += line.quantity
    return _expected_of(row.items, done)


def _expected_of(items: Sequence[Any], done: Mapping[tuple[int, str], int]) -> dict[int, domain.Expected]:
    """The return's item lines (rows with the columns of return_items) and how far each has got,
    from the units inspected so far per (inventory id, kind)."""
    return {
        i.inventory_id: domain.Expected(
            inventory_id=i.inventory_id,
            quantity=i.quantity,
            action=ReturnAction(i.action),
            source=ActionSource(i.action_source),
            processed=done.get((i.inventory_id, LineKind.EXPECTED.value), 0),
            short=done.get((i.inventory_id, LineKind.SHORT.value), 0),
        )
        for i in items
    }


def _facts(session: Session, row: ReturnOrder, observed: set[int]) -> domain.Facts:
    expected = _expected(row)
    merchant = session.get(Merchant, row.merchant_id)
    return _build_facts(
        row,
        expected,
        _products(session, {row.merchant_id}, set(expected) | observed),
        dispose_dangerous_goods=bool(merchant and merchant.dispose_dangerous_goods),
        today=_today(session, row.fulfillment_center_id),
    )


def _build_facts(
    head: Any,
    expected: dict[int, domain.Expected],
    products: Sequence[Product],
    *,
    dispose_dangerous_goods: bool,
    today: date,
) -> domain.Facts:
    """What the rules need to judge an inspection of a return (a row with id and return_type)."""
    rts = head.return_type == ReturnType.RETURN_TO_SENDER.value
    return domain.Facts(
        return_id=head.id,
        rts=rts,
        expected=expected,
        items={
            p.id: domain.ItemRules(
                inventory_id=p.id,
                name=p.name,
                preference_action=ReturnAction(p.rts_action if rts else p.return_action),
                backup_action=ReturnAction(p.backup_action),
                ineligible_category=p.category,
                dangerous_goods=p.dangerous_goods,
                lot_tracked=p.lot_tracked,
                min_shelf_life_days=p.min_shelf_life_days,
                inspection_steps=tuple(p.inspection_steps or ()),
            )
            for p in products
            if not p.is_bundle
        },
        today=today,
        dispose_dangerous_goods=dispose_dangerous_goods,
    )


def _products(session: Session, merchant_ids: set[int], ids: set[int]) -> list[Product]:
    query = (
        select(Product)
        .where(Product.id.in_(ids), Product.merchant_id.in_(merchant_ids))
        .options(lazyload(Product.components))  # bundles are never received as such
    )
    return list(session.scalars(query))


def _today(session: Session, fulfillment_center_id: int) -> date:
    """Expiry is judged by the calendar of the building the unit is in."""
    center = session.get(FulfillmentCenter, fulfillment_center_id)
    try:
        zone = ZoneInfo(center.timezone) if center else UTC
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    return utcnow().astimezone(zone).date()


def _record(session: Session, row: Any, facts: domain.Facts | None = None) -> WarehouseReturnRecord:
    """The record of a return: an ORM row, or a snapshot (which holds its merchant's name)."""
    name = getattr(row, "merchant_name", None)
    if name is None:
        merchant = session.get(Merchant, row.merchant_id)
        name = merchant.name if merchant else ""
    ids = {i.inventory_id for i in row.items} | {i.inventory_id for i in row.inspections}
    if facts is not None and ids <= set(facts.items):  # the catalog was read for the rules already
        catalog = {i: CatalogView(r.lot_tracked, r.inspection_steps) for i, r in facts.items.items()}
    else:
        catalog = {
            p.id: CatalogView(p.lot_tracked, tuple(p.inspection_steps or ()))
            for p in _products(session, {row.merchant_id}, ids)
        }
    return to_record(row, name, catalog)

"""Warehouse use cases, one transaction each: receive a package, inspect its units, close a return.

Every status move goes through returns.service.change_status (checked, stamped, in the history).
The return row is locked (PostgreSQL; SQLite serializes writers) before anything is counted, so
two scanners on one return cannot process a unit twice.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from homeward.auth.domain import Principal, Scope, WarehousePrincipal
from homeward.billing.service import charge_completion
from homeward.catalog.domain import ReturnAction
from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import Database
from homeward.inventory.domain import BUCKET_OF, EntryKind
from homeward.inventory.service import append
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, InvalidInput, NotFound, RuleViolation
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
from homeward.returns.service import change_status, channel_for_order, create_return_in
from homeward.tenants.models import Merchant

# --- arrival -------------------------------------------------------------------------------------


def arrive(
    db: Database, staff: WarehousePrincipal, barcode: str, *, rts: bool = False
) -> WarehouseReturnRecord:
    """A package is scanned: its return becomes Arrived. Scanning it again changes nothing.

    The barcode is a return's tracking number or RMA; failing that, an outbound shipment's
    tracking number, which makes (or finds) a return for that shipment: ReturnToSender when the
    carrier sent it back (`rts`), Regular otherwise (seed 001).
    """
    staff.require(Scope.WAREHOUSE)
    barcode = barcode.strip()
    if not barcode:
        raise InvalidInput("A barcode is required", [FieldError("barcode", "must not be blank")])
    with db.write() as session:
        row = _find_or_create(session, staff, barcode, rts)
        if row.status_enum is ReturnStatus.AWAITING_ARRIVAL:
            change_status(row, ReturnStatus.ARRIVED)
        session.flush()
        return _record(session, row)


def _find_or_create(session: Session, staff: WarehousePrincipal, barcode: str, rts: bool) -> ReturnOrder:
    found = _matching_return(session, staff, barcode, rts)
    if found is not None:
        return found
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
    found = _matching_return(session, staff, barcode, rts)
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
            return _locked(session, staff, waiting[0].id)
    return _create_from_shipment(session, staff, shipment, barcode, rts)


def _matching_return(
    session: Session, staff: WarehousePrincipal, barcode: str, rts: bool
) -> ReturnOrder | None:
    candidates = repository.returns_by_barcode(session, barcode)
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
    row = _locked(session, staff, live[0].id)
    domain.ensure_receivable(row.status_enum, row.id)  # the merchant may have cancelled meanwhile
    return row


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
    the one that accounts for its last expected unit makes it Completed (and charges its fees)."""
    staff.require(Scope.WAREHOUSE)
    uploads = uploads or {}
    stored: list[str] = []
    try:
        with db.write() as session:
            row = _locked(session, staff, return_id)
            domain.ensure_inspectable(row.status_enum, row.id)
            merchant = session.get(Merchant, row.merchant_id)  # held: the record reads it again
            facts = _facts(session, row, {o.inventory_id for o in observations})
            plan = domain.plan_inspection(observations, facts, frozenset(uploads))
            keys: dict[str, str] = {}
            for name, photo in uploads.items():
                keys[name] = new_key(row.id, photo)
                photos.put(keys[name], photo)
                stored.append(keys[name])
            now = utcnow()
            added = [_inspection_row(line, facts, staff, now, keys) for line in plan]
            row.inspections.extend(added)
            session.flush()  # inspection ids, for the ledger entries
            for line, added_row in zip(plan, added, strict=True):
                append(
                    session,
                    row,
                    inventory_id=added_row.inventory_id,
                    bucket=BUCKET_OF[line.decision.action],
                    quantity=added_row.quantity,
                    kind=EntryKind.INSPECTION,
                    reason=line.decision.reason,
                    staff=staff,
                    when=now,
                    inspection_id=added_row.id,
                )
            if row.status_enum is ReturnStatus.ARRIVED:
                change_status(row, ReturnStatus.PROCESSING)
            processed: dict[int, int] = defaultdict(int)
            for line in plan:
                if line.kind is LineKind.EXPECTED:
                    processed[line.observation.inventory_id] += line.observation.quantity
            if domain.fully_processed(facts.expected, processed):
                _complete(session, row)
            session.flush()
            assert merchant is not None, "a return's merchant exists (foreign key)"
            return _record(session, row, facts)
    except BaseException:
        for key in stored:  # nothing was recorded, so nothing may point at these photos
            with contextlib.suppress(Exception):
                photos.delete(key)
        raise


def _inspection_row(
    line: domain.PlannedLine,
    facts: domain.Facts,
    staff: WarehousePrincipal,
    now: datetime,
    keys: dict[str, str],
) -> Inspection:
    obs = line.observation
    return Inspection(
        inventory_id=obs.inventory_id,
        name=facts.items[obs.inventory_id].name,
        kind=line.kind.value,
        quantity=obs.quantity,
        action=line.decision.action.value,
        reason=line.decision.reason,
        damaged=obs.damaged,
        lot_number=obs.lot_number,
        expiration_date=obs.expiration_date,
        steps=dict(obs.steps),
        photo_key=keys.get(obs.photo) if obs.photo else None,
        actor=staff.actor,
        actor_token_id=staff.token_id,
        inspected_at=now,
    )


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


def _expected(row: ReturnOrder) -> dict[int, domain.Expected]:
    done: dict[tuple[int, str], int] = defaultdict(int)
    for line in row.inspections:
        done[(line.inventory_id, line.kind)] += line.quantity
    return {
        i.inventory_id: domain.Expected(
            inventory_id=i.inventory_id,
            quantity=i.quantity,
            action=ReturnAction(i.action),
            source=ActionSource(i.action_source),
            processed=done[(i.inventory_id, LineKind.EXPECTED.value)],
            short=done[(i.inventory_id, LineKind.SHORT.value)],
        )
        for i in row.items
    }


def _facts(session: Session, row: ReturnOrder, observed: set[int]) -> domain.Facts:
    expected = _expected(row)
    rts = row.return_type == ReturnType.RETURN_TO_SENDER.value
    products = _products(session, row.merchant_id, set(expected) | observed)
    merchant = session.get(Merchant, row.merchant_id)
    return domain.Facts(
        return_id=row.id,
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
        today=_today(session, row.fulfillment_center_id),
        dispose_dangerous_goods=bool(merchant and merchant.dispose_dangerous_goods),
    )


def _products(session: Session, merchant_id: int, ids: set[int]) -> list[Product]:
    query = (
        select(Product)
        .where(Product.id.in_(ids), Product.merchant_id == merchant_id)
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


def _record(session: Session, row: ReturnOrder, facts: domain.Facts | None = None) -> WarehouseReturnRecord:
    merchant = session.get(Merchant, row.merchant_id)
    ids = {i.inventory_id for i in row.items} | {i.inventory_id for i in row.inspections}
    if facts is not None and ids <= set(facts.items):  # the catalog was read for the rules already
        catalog = {i: CatalogView(r.lot_tracked, r.inspection_steps) for i, r in facts.items.items()}
    else:
        catalog = {
            p.id: CatalogView(p.lot_tracked, tuple(p.inspection_steps or ()))
            for p in _products(session, row.merchant_id, ids)
        }
    return to_record(row, merchant.name if merchant else "", catalog)

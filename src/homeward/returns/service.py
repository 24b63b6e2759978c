"""Return use cases. Each public function is one transaction; doors call these and nothing deeper."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from homeward.auth.domain import Principal, Scope
from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import Database
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, Forbidden, InvalidInput, NotFound, RuleViolation
from homeward.kit.pagination import Cursor, Page, paginate
from homeward.orders.models import Shipment
from homeward.returns import domain, repository
from homeward.returns.domain import ReturnRequest, ReturnStatus, ReturnType
from homeward.returns.listing import ReturnFilter
from homeward.returns.models import ReturnItem, ReturnOrder, ReturnStatusEvent
from homeward.returns.records import ReturnRecord, StatusEventRecord, to_record
from homeward.tenants.models import Channel


def create_return(
    db: Database, principal: Principal, channel_id: int | None, request: ReturnRequest
) -> ReturnRecord:
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        return record_of(session, create_return_in(session, principal, channel_id, request))


def create_return_in(
    session: Session,
    principal: Principal,
    channel_id: int | None,
    request: ReturnRequest,
    return_type: ReturnType = ReturnType.REGULAR,
) -> ReturnOrder:
    """Create a return inside the caller's transaction, for use cases that do more in the same one."""
    channel = _writable_channel(session, principal, channel_id)
    checked = _check(session, principal, request, excluding=None)
    now = utcnow()
    row = ReturnOrder(
        merchant_id=principal.merchant_id,
        channel_id=channel.id,
        return_type=return_type.value,
        status=ReturnStatus.AWAITING_ARRIVAL.value,
        insert_date=now,
        updated_at=now,
        # A new return has none of either; saying so spares lazy loads when it is read back.
        transactions=[],
        inspections=[],
    )
    _apply(row, request, checked)
    row.history.append(ReturnStatusEvent(status=row.status, occurred_at=now))
    session.add(row)
    _flush_unique(session, request.reference_id)
    return row


def modify_return(
    db: Database, principal: Principal, channel_id: int | None, return_id: int, request: ReturnRequest
) -> ReturnRecord:
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        _writable_channel(session, principal, channel_id)
        row = _get_for_update(session, principal, return_id)
        domain.ensure_changeable(row.status_enum, "modified")
        checked = _check(session, principal, request, excluding=row.id)
        row.items.clear()
        _apply(row, request, checked)
        row.updated_at = utcnow()
        _flush_unique(session, request.reference_id)
        return record_of(session, row)


def cancel_return(db: Database, principal: Principal, channel_id: int | None, return_id: int) -> ReturnRecord:
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        _writable_channel(session, principal, channel_id)
        row = _get_for_update(session, principal, return_id)
        domain.ensure_changeable(row.status_enum, "cancelled")
        change_status(row, ReturnStatus.CANCELLED)
        session.flush()
        return record_of(session, row)


def get_return(db: Database, principal: Principal, return_id: int) -> ReturnRecord:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        row = repository.get(session, principal.merchant_id, return_id)
        if row is None:
            raise _not_found(return_id)
        return record_of(session, row)


def status_history(db: Database, principal: Principal, return_id: int) -> list[StatusEventRecord]:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        row = repository.get(session, principal.merchant_id, return_id)
        if row is None:
            raise _not_found(return_id)
        return [StatusEventRecord(ReturnStatus(e.status), e.occurred_at) for e in row.history]


def list_returns(
    db: Database, principal: Principal, filters: ReturnFilter, cursor: Cursor, limit: int
) -> Page[ReturnRecord]:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        rows, ids = repository.list_page(session, principal.merchant_id, filters, cursor, limit)
        page = paginate(rows, cursor, limit, ids)
        return Page(items=_records(session, page.items), next=page.next, prev=page.prev)


def list_returns_numbered(
    db: Database, principal: Principal, filters: ReturnFilter, page: int, limit: int
) -> tuple[list[ReturnRecord], int]:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        rows, total = repository.list_offset(
            session, principal.merchant_id, filters, (page - 1) * limit, limit
        )
        return _records(session, rows), total


def check_readable_channel(db: Database, principal: Principal, channel_id: int | None) -> None:
    """Reads need no channel; one that is named must still be the caller's."""
    if channel_id is None:
        return
    with db.read() as session:
        _owned_channel(session, principal, channel_id)


def change_status(row: ReturnOrder, target: ReturnStatus) -> None:
    """The one way a return's status moves: checked, stamped and written to its history."""
    domain.check_transition(row.status_enum, target)
    now = utcnow()
    row.status = target.value
    row.updated_at = now
    if target is ReturnStatus.COMPLETED:
        row.completed_date = now
    event = ReturnStatusEvent(status=target.value, occurred_at=now)
    session = object_session(row)
    if session is not None and row.id is not None and "history" in sa_inspect(row).unloaded:
        # A stored return whose history was not read: add the event without loading the history.
        event.return_id = row.id
        session.add(event)
    else:
        row.history.append(event)


# --- helpers -------------------------------------------------------------------------------------


def _writable_channel(session: Session, principal: Principal, channel_id: int | None) -> Channel:
    if channel_id is None:
        raise InvalidInput(
            "shipbob_channel_id header is required", [FieldError("shipbob_channel_id", "header is required")]
        )
    return _owned_channel(session, principal, channel_id)


def _owned_channel(session: Session, principal: Principal, channel_id: int) -> Channel:
    channel = session.get(Channel, channel_id)
    if channel is None or channel.merchant_id != principal.merchant_id:
        raise Forbidden(f"Channel {channel_id} is not one of this merchant's channels")
    return channel


def _get_for_update(session: Session, principal: Principal, return_id: int) -> ReturnOrder:
    row = repository.get(session, principal.merchant_id, return_id, for_update=True)
    if row is None:
        raise _not_found(return_id)
    return row


@dataclass(frozen=True)
class _Checked:
    """A request the domain has accepted, with the facts it was judged on."""

    shipment: Shipment | None
    shipment_facts: domain.ShipmentFacts | None
    products: dict[int, Product]


def _check(
    session: Session, principal: Principal, request: ReturnRequest, *, excluding: int | None
) -> _Checked:
    """Gather the facts the domain rules need, then let the domain judge the request."""
    shipment: Shipment | None = None
    if request.original_shipment_id is not None:
        # Lock the shipment so concurrent returns against it cannot both claim the last unit.
        shipment = session.get(Shipment, request.original_shipment_id, with_for_update=True)
        if shipment is not None and shipment.merchant_id != principal.merchant_id:
            shipment = None
    products = {
        p.id: p
        for p in session.scalars(
            select(Product).where(
                Product.id.in_({line.inventory_id for line in request.lines}),
                Product.merchant_id == principal.merchant_id,
            )
        )
    }
    facts = {
        p.id: domain.ItemFacts(
            inventory_id=p.id,
            name=p.name,
            sku=p.sku,
            is_bundle=p.is_bundle,
            component_ids=tuple(c.component_id for c in p.components),
            preference=p.return_preference,
        )
        for p in products.values()
    }
    shipment_facts = _shipment_facts(session, shipment, excluding)
    domain.check_request(
        request,
        fulfillment_center_exists=session.get(FulfillmentCenter, request.fulfillment_center_id) is not None,
        items=facts,
        shipment=shipment_facts,
        reference_id_taken=repository.reference_taken(
            session, principal.merchant_id, request.reference_id, excluding=excluding
        ),
    )
    return _Checked(shipment, shipment_facts, products)


def _shipment_facts(
    session: Session, shipment: Shipment | None, excluding: int | None
) -> domain.ShipmentFacts | None:
    if shipment is None:
        return None
    shipped: dict[int, int] = {}
    bundle_parents: dict[int, str] = {}
    for line in shipment.lines:
        shipped[line.inventory_id] = shipped.get(line.inventory_id, 0) + line.quantity
        if line.bundle_inventory_id is not None:
            bundle = session.get(Product, line.bundle_inventory_id)
            if bundle is not None:
                bundle_parents[line.inventory_id] = bundle.sku
    return domain.ShipmentFacts(
        shipment_id=shipment.id,
        shipped=shipment.is_shipped,
        shipped_quantity=shipped,
        held_by_open_returns=repository.units_held_by_open_returns(session, shipment.id, excluding=excluding),
        bundle_parent_sku=bundle_parents,
    )


def _apply(row: ReturnOrder, request: ReturnRequest, checked: _Checked) -> None:
    """Copy a checked request onto the row, resolving each line's requested action."""
    shipment, facts = checked.shipment, checked.shipment_facts
    row.reference_id = request.reference_id
    row.tracking_number = request.tracking_number
    row.fulfillment_center_id = request.fulfillment_center_id
    row.original_shipment_id = request.original_shipment_id
    row.store_order_id = shipment.order.store_order_id if shipment else None
    row.customer_name = shipment.recipient_name if shipment else None
    for line in request.lines:
        product = checked.products[line.inventory_id]
        resolved = domain.resolve_action(
            line.requested_action, product.return_preference, ReturnType(row.return_type)
        )
        row.items.append(
            ReturnItem(
                inventory_id=line.inventory_id,
                name=product.name,
                quantity=line.quantity,
                action=resolved.action.value,
                action_source=resolved.source.value,
                instructions=resolved.instructions,
                lot_number=line.lot_number,
                lot_date=line.lot_date,
                bundle_parent_sku=facts.bundle_parent_sku.get(line.inventory_id) if facts else None,
            )
        )


def _flush_unique(session: Session, reference_id: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        # A concurrent create won the race for this reference_id between our check and our insert.
        raise _duplicate_reference(reference_id) from exc


def record_of(session: Session, row: ReturnOrder) -> ReturnRecord:
    """The read model of one return, as every door sees it."""
    return _records(session, [row])[0]


def _records(session: Session, rows: list[ReturnOrder]) -> list[ReturnRecord]:
    if not rows:
        return []
    channels, fcs, merchants = repository.names_for(session, rows)
    return [
        to_record(
            r,
            channel_name=channels.get(r.channel_id, ""),
            fc_name=fcs.get(r.fulfillment_center_id, ""),
            merchant_name=merchants.get(r.merchant_id, ""),
        )
        for r in rows
    ]


def _not_found(return_id: int) -> NotFound:
    return NotFound(f"Return {return_id} was not found")


def _duplicate_reference(reference_id: str) -> RuleViolation:
    return RuleViolation(
        f"A return with reference_id '{reference_id}' already exists",
        [domain.duplicate_reference(reference_id)],
    )

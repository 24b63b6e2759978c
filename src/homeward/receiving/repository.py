"""Queries the warehouse needs: returns across merchants, but always within one fulfillment center."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, bindparam, func, insert, or_, select
from sqlalchemy.orm import Session, selectinload

from homeward.orders.models import Shipment
from homeward.receiving.domain import LineKind
from homeward.receiving.models import Inspection
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder
from homeward.tenants.models import Merchant


def get_in_center(
    session: Session,
    fulfillment_center_id: int,
    return_id: int,
    *,
    for_update: bool = False,
    fresh: bool = False,
) -> ReturnOrder | None:
    """The return with its items and inspections; `fresh` replaces what the session holds of it
    (it was just written with statements)."""
    query = (
        select(ReturnOrder)
        .options(selectinload(ReturnOrder.items), selectinload(ReturnOrder.inspections))
        .where(ReturnOrder.id == return_id, ReturnOrder.fulfillment_center_id == fulfillment_center_id)
    )
    if for_update:
        # Two scanners on one return queue here (PostgreSQL); SQLite writers are serialized anyway.
        query = query.with_for_update(of=ReturnOrder)
    if for_update or fresh:
        query = query.execution_options(populate_existing=True)
    return session.scalars(query).first()


# A return as the warehouse's record shows it, read with three prepared statements (no ORM): what
# a use case that wrote it with statements answers with.
_HEAD = (
    select(*ReturnOrder.__table__.c, Merchant.name.label("merchant_name"))
    .join(Merchant, Merchant.id == ReturnOrder.merchant_id)
    .where(ReturnOrder.id == bindparam("id"), ReturnOrder.fulfillment_center_id == bindparam("fc"))
)
_ITEMS = select(ReturnItem.__table__).where(ReturnItem.return_id == bindparam("id")).order_by(ReturnItem.id)
_INSPECTIONS = (
    select(Inspection.__table__).where(Inspection.return_id == bindparam("id")).order_by(Inspection.id)
)


def snapshot(session: Session, fulfillment_center_id: int, return_id: int) -> SimpleNamespace | None:
    """The return's columns (and merchant_name), with `items` and `inspections` as plain rows."""
    connection = session.connection()
    head = connection.execute(_HEAD, {"id": return_id, "fc": fulfillment_center_id}).first()
    if head is None:
        return None
    return SimpleNamespace(
        **head._mapping,
        items=connection.execute(_ITEMS, {"id": return_id}).all(),
        inspections=connection.execute(_INSPECTIONS, {"id": return_id}).all(),
    )


def lock_in_center(session: Session, fulfillment_center_id: int, ids: set[int]) -> list[Row[Any]]:
    """The returns' heads (id, merchant_id, fulfillment_center_id, return_type, status), locked in
    id order so that batches never wait on each other in a cycle; those of other centers are not there."""
    if not ids:
        return []
    r = ReturnOrder
    query = (
        select(r.id, r.merchant_id, r.fulfillment_center_id, r.return_type, r.status)
        .where(r.id.in_(ids), r.fulfillment_center_id == fulfillment_center_id)
        .order_by(r.id)
        .with_for_update()
    )
    return list(session.connection().execute(query))


def returns_by_barcodes(session: Session, barcodes: set[str]) -> dict[str, list[Row[Any]]]:
    """Per barcode, the returns (heads) whose tracking number or RMA it is, any merchant, any center."""
    if not barcodes:
        return {}
    r = ReturnOrder
    query = (
        select(r.id, r.merchant_id, r.reference_id, r.tracking_number, r.fulfillment_center_id, r.return_type)
        .add_columns(r.status)
        .where(or_(r.tracking_number.in_(barcodes), r.reference_id.in_(barcodes)))
        .order_by(r.id)
    )
    found: dict[str, list[Row[Any]]] = defaultdict(list)
    for row in session.connection().execute(query):
        for barcode in {row.tracking_number, row.reference_id} & barcodes:
            found[barcode].append(row)
    return found


def items_of(session: Session, return_ids: set[int]) -> list[Row[Any]]:
    """The returns' item lines, as rows with return_items' columns."""
    if not return_ids:
        return []
    i = ReturnItem
    query = select(i.return_id, i.inventory_id, i.quantity, i.action, i.action_source).where(
        i.return_id.in_(return_ids)
    )
    return list(session.connection().execute(query.order_by(i.id)))


def accounted_units(session: Session, return_ids: set[int]) -> dict[int, dict[tuple[int, str], int]]:
    """Per return, units inspected or recorded short so far, per (inventory id, kind)."""
    if not return_ids:
        return {}
    n = Inspection
    query = (
        select(n.return_id, n.inventory_id, n.kind, func.sum(n.quantity))
        .where(n.return_id.in_(return_ids))
        .group_by(n.return_id, n.inventory_id, n.kind)
    )
    done: dict[int, dict[tuple[int, str], int]] = defaultdict(dict)
    for return_id, inventory_id, kind, quantity in session.connection().execute(query):
        done[return_id][(inventory_id, kind)] = int(quantity)
    return done


def disposes_dangerous_goods(session: Session, merchant_ids: set[int]) -> dict[int, bool]:
    query = select(Merchant.id, Merchant.dispose_dangerous_goods).where(Merchant.id.in_(merchant_ids))
    return {merchant_id: bool(flag) for merchant_id, flag in session.connection().execute(query)}


def insert_inspections(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert inspection lines; their ids, in the order of the rows (for the ledger entries)."""
    if not rows:
        return []
    statement = insert(Inspection).returning(Inspection.id, sort_by_parameter_order=True)
    return list(session.connection().execute(statement, rows).scalars())


def returns_by_barcode(session: Session, barcode: str) -> list[ReturnOrder]:
    """Returns whose tracking number or RMA reference id is the barcode, any merchant, any center."""
    query = (
        select(ReturnOrder)
        .where(or_(ReturnOrder.tracking_number == barcode, ReturnOrder.reference_id == barcode))
        .order_by(ReturnOrder.id)
    )
    return list(session.scalars(query))


def shipments_by_tracking(session: Session, barcode: str) -> list[Shipment]:
    return list(session.scalars(select(Shipment).where(Shipment.tracking_number == barcode)))


def lock_shipment(session: Session, shipment_id: int) -> Shipment | None:
    """Serializes auto-created returns of one shipment: a second scan finds the first's return."""
    return session.get(Shipment, shipment_id, with_for_update=True, populate_existing=True)


def awaiting_returns_of_shipment(
    session: Session, shipment_id: int, fulfillment_center_id: int
) -> list[ReturnOrder]:
    query = select(ReturnOrder).where(
        ReturnOrder.original_shipment_id == shipment_id,
        ReturnOrder.fulfillment_center_id == fulfillment_center_id,
        ReturnOrder.status == ReturnStatus.AWAITING_ARRIVAL.value,
    )
    return list(session.scalars(query.order_by(ReturnOrder.id)))


def waiting_in_center(session: Session, fulfillment_center_id: int, limit: int) -> list[WaitingRow]:
    """Returns of the center with units to inspect, the most recently scanned or worked on first,
    with their expected units and those already accounted for (inspected or recorded short)."""
    expected = (
        select(func.coalesce(func.sum(ReturnItem.quantity), 0))
        .where(ReturnItem.return_id == ReturnOrder.id)
        .scalar_subquery()
    )
    accounted = (
        select(func.coalesce(func.sum(Inspection.quantity), 0))
        .where(
            Inspection.return_id == ReturnOrder.id,
            Inspection.kind.in_([LineKind.EXPECTED.value, LineKind.SHORT.value]),
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            ReturnOrder.id,
            ReturnOrder.reference_id,
            Merchant.name,
            ReturnOrder.return_type,
            ReturnOrder.status,
            ReturnOrder.tracking_number,
            ReturnOrder.updated_at,
            expected,
            accounted,
        )
        .join(Merchant, Merchant.id == ReturnOrder.merchant_id)
        .where(
            ReturnOrder.fulfillment_center_id == fulfillment_center_id,
            ReturnOrder.status.in_([ReturnStatus.ARRIVED.value, ReturnStatus.PROCESSING.value]),
        )
        .order_by(ReturnOrder.updated_at.desc(), ReturnOrder.id.desc())
        .limit(limit)
    ).all()
    return [
        WaitingRow(
            id=row[0],
            reference_id=row[1],
            merchant_name=row[2],
            return_type=row[3],
            status=row[4],
            tracking_number=row[5],
            updated_at=row[6],
            expected=int(row[7]),
            accounted=int(row[8]),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class WaitingRow:
    id: int
    reference_id: str
    merchant_name: str
    return_type: str
    status: str
    tracking_number: str | None
    updated_at: datetime
    expected: int
    accounted: int  # inspected as expected, or recorded short

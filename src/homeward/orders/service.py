"""Order reads for the merchant's pages: find an order, see what shipped and what came back.

Read-only use cases, each one read transaction, always scoped to the caller's merchant (another
merchant's order is simply not found).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from homeward.auth.domain import Principal, Scope
from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import Database
from homeward.kit.errors import NotFound
from homeward.orders import domain
from homeward.orders.domain import ShipmentStatus
from homeward.orders.models import Order, Shipment, ShipmentLine, ShipmentLineSerial
from homeward.returns.models import ReturnOrder
from homeward.tenants.models import Channel

SEARCH_MAX = 100  # characters of a search that are used


@dataclass(frozen=True)
class ProductRef:
    inventory_id: int
    name: str
    sku: str


@dataclass(frozen=True)
class OrderLineRecord:
    order_item_id: int
    product: ProductRef
    quantity: int
    lot_number: str | None
    lot_expiration: date | None
    unit_price: Decimal | None
    bundle: ProductRef | None  # the bundle this component shipped in
    serial_numbers: tuple[str, ...]


@dataclass(frozen=True)
class ReturnRef:
    id: int
    reference_id: str
    status: str


@dataclass(frozen=True)
class ShipmentRecord:
    id: int
    status: ShipmentStatus
    fulfillment_center_id: int
    fulfillment_center_name: str
    tracking_number: str | None
    shipped_at: datetime | None
    recipient_name: str
    address: tuple[str, ...]
    lines: tuple[OrderLineRecord, ...]
    returns: tuple[ReturnRef, ...]
    return_refusal: str | None  # why no return can be created from it yet; None: it can

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class OrderRecord:
    id: int
    store_order_id: str
    channel_name: str | None
    shipments: tuple[ShipmentRecord, ...]


@dataclass(frozen=True)
class OrderSummary:
    id: int
    store_order_id: str
    recipients: tuple[str, ...]
    tracking_numbers: tuple[str, ...]
    statuses: tuple[ShipmentStatus, ...]
    shipped_at: datetime | None
    units: int


@dataclass(frozen=True)
class OrderPage:
    items: list[OrderSummary]
    page: int
    pages: int
    total: int


def search_orders(db: Database, principal: Principal, text: str, page: int, limit: int = 25) -> OrderPage:
    """The merchant's orders, newest first, whose store order id, a shipment's tracking number or
    recipient name contains `text` (any case); all of them when it is blank."""
    principal.require(Scope.RETURNS_READ)
    needle = text.strip().lower()[:SEARCH_MAX]
    matches = [Order.merchant_id == principal.merchant_id]
    if needle:
        in_shipment = (
            select(Shipment.id)
            .where(
                Shipment.order_id == Order.id,
                or_(
                    func.lower(Shipment.tracking_number).contains(needle, autoescape=True),
                    func.lower(Shipment.recipient_name).contains(needle, autoescape=True),
                ),
            )
            .exists()
        )
        matches.append(or_(func.lower(Order.store_order_id).contains(needle, autoescape=True), in_shipment))
    # The page and the number of matches in one statement (few round trips: pages answer fast).
    paged = (
        select(Order.id, Order.store_order_id, func.count().over()).where(*matches).order_by(Order.id.desc())
    )
    with db.read() as session:
        page = max(page, 1)
        rows = session.execute(paged.offset((page - 1) * limit).limit(limit)).all()
        if not rows and page > 1:  # past the end: the last page
            total = session.scalar(select(func.count(Order.id)).where(*matches)) or 0
            page = max(1, -(-total // limit))
            rows = session.execute(paged.offset((page - 1) * limit).limit(limit)).all()
        total = rows[0][2] if rows else 0
        units = (
            select(func.coalesce(func.sum(ShipmentLine.quantity), 0))
            .where(ShipmentLine.shipment_id == Shipment.id)
            .scalar_subquery()
        )
        shipments: dict[int, list[Any]] = {}
        for row in session.execute(
            select(
                Shipment.order_id,
                Shipment.recipient_name,
                Shipment.tracking_number,
                Shipment.status,
                Shipment.shipped_at,
                units,
            )
            .where(Shipment.order_id.in_([r[0] for r in rows]))
            .order_by(Shipment.id)
        ):
            shipments.setdefault(row[0], []).append(row)
        items = [
            _summary(order_id, store_order_id, shipments.get(order_id, []))
            for order_id, store_order_id, _ in rows
        ]
        return OrderPage(items, page, max(1, -(-total // limit)), total)


def get_order(db: Database, principal: Principal, order_id: int) -> OrderRecord:
    """One of the merchant's orders with its shipments, their lines and the returns made from them."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        order = session.execute(
            select(Order.id, Order.store_order_id, Channel.name)
            .outerjoin(Channel, Channel.id == Order.channel_id)
            .where(Order.id == order_id, Order.merchant_id == principal.merchant_id)
        ).first()
        if order is None:
            raise NotFound(f"Order {order_id} was not found")
        shipments = [
            (shipment, center)
            for shipment, center in session.execute(
                select(Shipment, FulfillmentCenter.name)
                .join(FulfillmentCenter, FulfillmentCenter.id == Shipment.fulfillment_center_id)
                .where(Shipment.order_id == order_id)
                .order_by(Shipment.id)
            )
        ]
        return OrderRecord(order[0], order[1], order[2], tuple(_shipment_records(session, shipments)))


def _summary(order_id: int, store_order_id: str, shipments: list[Any]) -> OrderSummary:
    shipped = [s.shipped_at for s in shipments if s.shipped_at is not None]
    return OrderSummary(
        order_id,
        store_order_id,
        tuple(dict.fromkeys(s.recipient_name for s in shipments if s.recipient_name)),
        tuple(s.tracking_number for s in shipments if s.tracking_number),
        tuple(ShipmentStatus(s.status) for s in shipments),
        max(shipped) if shipped else None,
        sum(int(s[5]) for s in shipments),
    )


def _shipment_records(session: Session, shipments: list[tuple[Shipment, str]]) -> list[ShipmentRecord]:
    """Shipments (each with its center's name) as records: lines, products, serials, returns."""
    lines = [line for s, _ in shipments for line in s.lines]
    product_ids = {line.inventory_id for line in lines} | {
        line.bundle_inventory_id for line in lines if line.bundle_inventory_id is not None
    }
    products = {
        pid: ProductRef(pid, name, sku)
        for pid, name, sku in session.execute(
            select(Product.id, Product.name, Product.sku).where(Product.id.in_(product_ids))
        )
    }
    serials: dict[int, list[str]] = {}
    for line_id, serial in session.execute(
        select(ShipmentLineSerial.shipment_line_id, ShipmentLineSerial.serial_number)
        .where(ShipmentLineSerial.shipment_line_id.in_([line.id for line in lines]))
        .order_by(ShipmentLineSerial.serial_number)
    ):
        serials.setdefault(line_id, []).append(serial)
    returns: dict[int, list[ReturnRef]] = {}
    for shipment_id, return_id, reference_id, status in session.execute(
        select(ReturnOrder.original_shipment_id, ReturnOrder.id, ReturnOrder.reference_id, ReturnOrder.status)
        .where(ReturnOrder.original_shipment_id.in_([s.id for s, _ in shipments]))
        .order_by(ReturnOrder.id)
    ):
        if shipment_id is not None:
            returns.setdefault(shipment_id, []).append(ReturnRef(return_id, reference_id, status))

    def line_record(line: ShipmentLine) -> OrderLineRecord:
        unknown = ProductRef(line.inventory_id, f"Item {line.inventory_id}", "")
        bundle = line.bundle_inventory_id
        return OrderLineRecord(
            line.id,
            products.get(line.inventory_id, unknown),
            line.quantity,
            line.lot_number,
            line.lot_expiration,
            line.unit_price,
            products.get(bundle, ProductRef(bundle, f"Bundle {bundle}", "")) if bundle is not None else None,
            tuple(serials.get(line.id, ())),
        )

    return [
        ShipmentRecord(
            s.id,
            ShipmentStatus(s.status),
            s.fulfillment_center_id,
            center,
            s.tracking_number,
            s.shipped_at,
            s.recipient_name,
            _address(s),
            tuple(line_record(line) for line in s.lines),
            tuple(returns.get(s.id, ())),
            domain.return_refusal(ShipmentStatus(s.status)),
        )
        for s, center in shipments
    ]


def _address(s: Shipment) -> tuple[str, ...]:
    place = " ".join(p for p in (f"{s.city}," if s.city else "", s.state, s.zip_code) if p)
    return tuple(line for line in (s.address1, s.address2, place, s.country) if line)

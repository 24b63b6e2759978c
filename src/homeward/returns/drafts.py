"""A return being drafted in the dashboard (seed 000's create-return form), before it exists.

Read-only use cases, one read transaction each: what a shipment offers to return, products to add,
a fresh RMA, and every rule the draft breaks so far. Submitting creates the return through the
same service as the API (labels.service.create_return); nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from homeward.auth.domain import Principal, Scope
from homeward.catalog.domain import IneligibleCategory, ReturnAction
from homeward.catalog.models import BundleComponent, Product
from homeward.db import Database
from homeward.kit.errors import FieldError, NotFound
from homeward.orders import domain as orders
from homeward.orders.domain import ShipmentStatus
from homeward.orders.models import Order, Shipment
from homeward.receiving.domain import disposed_whatever_requested
from homeward.returns import domain, repository
from homeward.returns import service as returns
from homeward.returns.domain import RequestedAction, ReturnLine, ReturnRequest
from homeward.tenants.models import Merchant

SEARCH_MAX = 100  # characters of a product search that are used
GENERATE_ATTEMPTS = 5


@dataclass(frozen=True)
class Component:
    inventory_id: int
    name: str
    sku: str
    quantity: int


@dataclass(frozen=True)
class DraftProduct:
    """A product as the items step shows it: its return preference is what Default means."""

    inventory_id: int
    name: str
    sku: str
    preference: ReturnAction
    lot_tracked: bool
    is_bundle: bool  # returned as its components (seed 000), never as itself
    components: tuple[Component, ...]
    disposed: str | None = None  # why the warehouse disposes it whatever is requested (seed 001)


@dataclass(frozen=True)
class ShippedItem:
    """One inventory item of the shipment: how many shipped and how many are still returnable."""

    inventory_id: int
    shipped: int
    held: int  # already on open returns of this shipment
    lot_number: str | None  # the lot it shipped in, when a single one
    bundle: DraftProduct | None  # the bundle it shipped in

    @property
    def returnable(self) -> int:
        return max(self.shipped - self.held, 0)


@dataclass(frozen=True)
class ReturnSource:
    """The shipment a return is drafted from."""

    shipment_id: int
    order_id: int
    store_order_id: str
    channel_id: int | None  # the channel the return is filed under
    status: ShipmentStatus
    return_refusal: str | None  # why no return can come from it yet
    fulfillment_center_id: int
    recipient_name: str
    country: str  # where the customer is (labels are bought within one country)
    items: tuple[ShippedItem, ...]
    products: dict[int, DraftProduct]  # the shipped items' products and their bundles

    def shipped(self, inventory_id: int) -> ShippedItem | None:
        return next((i for i in self.items if i.inventory_id == inventory_id), None)

    def request(
        self,
        lines: list[tuple[int, int, RequestedAction]],
        *,
        fulfillment_center_id: int | None = None,
        reference_id: str = "",
    ) -> ReturnRequest:
        """The request the draft stands for: (inventory id, quantity, action) lines from this shipment,
        each with the lot it shipped in; to the shipment's own center unless told otherwise."""
        return ReturnRequest(
            reference_id=reference_id,
            fulfillment_center_id=fulfillment_center_id or self.fulfillment_center_id,
            original_shipment_id=self.shipment_id,
            lines=tuple(
                ReturnLine(
                    inventory_id=inventory_id,
                    quantity=quantity,
                    requested_action=action,
                    lot_number=item.lot_number if (item := self.shipped(inventory_id)) else None,
                )
                for inventory_id, quantity, action in lines
            ),
        )


def source(db: Database, principal: Principal, shipment_id: int) -> ReturnSource:
    """One of the merchant's shipments as a return's source; NotFound for anyone else's."""
    principal.require(Scope.RETURNS_WRITE)
    with db.read() as session:
        found = session.execute(
            select(Shipment, Order.store_order_id, Order.channel_id)
            .join(Order, Order.id == Shipment.order_id)
            .where(Shipment.id == shipment_id, Shipment.merchant_id == principal.merchant_id)
        ).first()
        if found is None:
            raise NotFound(f"Shipment {shipment_id} was not found")
        shipment, store_order_id, order_channel_id = found
        ids = {line.inventory_id for line in shipment.lines} | {
            line.bundle_inventory_id for line in shipment.lines if line.bundle_inventory_id is not None
        }
        products = _products(session, principal.merchant_id, ids)
        held = repository.units_held_by_open_returns(session, shipment.id)
        lots: dict[int, set[str | None]] = {}
        bundles: dict[int, int] = {}
        for line in shipment.lines:
            lots.setdefault(line.inventory_id, set()).add(line.lot_number)
            if line.bundle_inventory_id is not None:
                bundles[line.inventory_id] = line.bundle_inventory_id
        items = tuple(
            ShippedItem(
                inventory_id=inventory_id,
                shipped=shipped,
                held=held.get(inventory_id, 0),
                lot_number=next(iter(lots[inventory_id])) if len(lots[inventory_id]) == 1 else None,
                bundle=products.get(bundles[inventory_id]) if inventory_id in bundles else None,
            )
            for inventory_id, shipped in shipment.units_by_inventory().items()
        )
        status = ShipmentStatus(shipment.status)
        return ReturnSource(
            shipment_id=shipment.id,
            order_id=shipment.order_id,
            store_order_id=store_order_id,
            channel_id=returns.channel_for_order(session, principal.merchant_id, order_channel_id),
            status=status,
            return_refusal=orders.return_refusal(status),
            fulfillment_center_id=shipment.fulfillment_center_id,
            recipient_name=shipment.recipient_name,
            country=shipment.country,
            items=items,
            products=products,
        )


def products(db: Database, principal: Principal, ids: set[int]) -> dict[int, DraftProduct]:
    """The merchant's products among `ids` (others are simply missing)."""
    principal.require(Scope.RETURNS_WRITE)
    with db.read() as session:
        return _products(session, principal.merchant_id, ids)


def find_products(db: Database, principal: Principal, text: str, limit: int = 10) -> list[DraftProduct]:
    """The merchant's products whose SKU or name contains `text` (any case), by SKU."""
    principal.require(Scope.RETURNS_WRITE)
    needle = text.strip().lower()[:SEARCH_MAX]
    if not needle:
        return []
    with db.read() as session:
        ids = session.scalars(
            select(Product.id)
            .where(
                Product.merchant_id == principal.merchant_id,
                or_(
                    func.lower(Product.sku).contains(needle, autoescape=True),
                    func.lower(Product.name).contains(needle, autoescape=True),
                ),
            )
            .order_by(Product.sku)
            .limit(limit)
        ).all()
        found = _products(session, principal.merchant_id, set(ids))
        return [found[i] for i in ids]


def check(db: Database, principal: Principal, request: ReturnRequest) -> list[FieldError]:
    """Every rule the drafted return breaks: the dashboard's RMA rule and the API's rules
    (returns.service.check_request). Label rules: labels.service.check_label."""
    return domain.check_dashboard_reference(request.reference_id) + returns.check_request(
        db, principal, request
    )


def new_reference(db: Database, principal: Principal) -> str:
    """A fresh RMA that no return of this merchant uses yet and that keeps the dashboard rule."""
    principal.require(Scope.RETURNS_WRITE)
    with db.read() as session:
        for _ in range(GENERATE_ATTEMPTS):
            candidate = domain.new_reference_id()
            if not repository.reference_taken(session, principal.merchant_id, candidate):
                return candidate
    raise RuntimeError("no free reference id after several random draws")  # 50 random bits: never


def _products(session: Session, merchant_id: int, ids: set[int]) -> dict[int, DraftProduct]:
    if not ids:
        return {}
    rows = session.execute(
        select(
            Product.id,
            Product.name,
            Product.sku,
            Product.return_action,
            Product.lot_tracked,
            Product.is_bundle,
            Product.ineligible_category,
            Product.dangerous_goods,
            Merchant.dispose_dangerous_goods,
        )
        .join(Merchant, Merchant.id == Product.merchant_id)
        .where(Product.id.in_(ids), Product.merchant_id == merchant_id)
        .order_by(Product.id)
    ).all()
    components: dict[int, list[Component]] = {}
    bundles = [row.id for row in rows if row.is_bundle]
    if bundles:
        part = aliased(Product)
        for bundle_id, component_id, quantity, name, sku in session.execute(
            select(
                BundleComponent.bundle_id,
                BundleComponent.component_id,
                BundleComponent.quantity,
                part.name,
                part.sku,
            )
            .join(part, part.id == BundleComponent.component_id)
            .where(BundleComponent.bundle_id.in_(bundles), part.merchant_id == merchant_id)
            .order_by(BundleComponent.bundle_id, BundleComponent.component_id)
        ):
            components.setdefault(bundle_id, []).append(Component(component_id, name, sku, quantity))
    return {
        row.id: DraftProduct(
            inventory_id=row.id,
            name=row.name,
            sku=row.sku,
            preference=ReturnAction(row.return_action),
            lot_tracked=row.lot_tracked,
            is_bundle=row.is_bundle,
            components=tuple(components.get(row.id, ())),
            disposed=disposed_whatever_requested(
                IneligibleCategory(row.ineligible_category) if row.ineligible_category else None,
                row.dangerous_goods,
                row.dispose_dangerous_goods,
            ),
        )
        for row in rows
    }

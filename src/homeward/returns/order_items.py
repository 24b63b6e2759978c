"""Returns named by order items (shipment lines), as an order-management system asks for them.

A door that speaks in order items does not know inventory ids or shipments: each order item is
one shipment line of the caller's merchant, and it tells both. `resolve` finds the one shipment a
return comes from (one return is one package, seed 000/001) and checks what the caller says about
the order; `check_line` adds the per-order-item rules to the shared per-inventory ones.

Error fields use the returns vocabulary (`inventory[i]...`, `original_shipment_id`); doors
translate them to their own paths.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from homeward.kit.errors import FieldError, RuleViolation
from homeward.returns import refunds, units
from homeward.returns.reasons import ReturnReason, classify
from homeward.returns.refunds import LineMoney, RefundLine, RefundTerms
from homeward.returns.units import UnitRef, UnitsHeld


@dataclass(frozen=True)
class OrderItemLine:
    """One order item on a return, with what the caller knows about the units coming back."""

    order_item_id: int
    quantity: int
    expects_units: bool = True  # False: kept on the return (e.g. rejected) but no units are expected
    units: tuple[UnitRef, ...] = ()
    reason: str | None = None  # the caller's own words; filed under the reason catalog
    money: LineMoney | None = None

    @property
    def reason_code(self) -> ReturnReason | None:
        return classify(self.reason) if self.reason and self.reason.strip() else None


@dataclass(frozen=True)
class OrderItemReturn:
    """A return asked for by order items. Everything but the items is optional."""

    reference_id: str
    items: tuple[OrderItemLine, ...]
    fulfillment_center_id: int | None = None  # None: where the shipment left from
    shipment_id: int | None = None  # when given, every item must be on it
    order_id: int | None = None  # when given, must be the items' order
    store_order_id: str | None = None  # when given, must be that order's store order id
    refund: RefundTerms | None = None


@dataclass(frozen=True)
class OrderItemFacts:
    """One shipment line of the caller's merchant, and what open returns already hold of it."""

    order_item_id: int
    shipment_id: int
    order_id: int
    store_order_id: str
    channel_id: int | None
    fulfillment_center_id: int
    inventory_id: int
    quantity: int
    lot_number: str | None = None
    unit_price: Decimal | None = None
    serials_shipped: frozenset[str] = field(default_factory=frozenset)
    held: int = 0  # units of this order item on open returns
    units_held: UnitsHeld = field(default_factory=UnitsHeld)


@dataclass(frozen=True)
class Origin:
    """Where a resolved return comes from."""

    shipment_id: int
    order_id: int
    channel_id: int | None
    fulfillment_center_id: int


def resolve(request: OrderItemReturn, facts: dict[int, OrderItemFacts]) -> Origin:
    """The one shipment the items come from, or a RuleViolation naming every item that does not
    resolve (refund terms are judged alongside). The rest is check_request's, on the resolved return."""
    errors: list[FieldError] = []
    if not request.items:
        errors.append(FieldError("inventory", "must list at least one order item"))
    seen = Counter(item.order_item_id for item in request.items)
    inventory_of: dict[int, int] = {}
    shipments: Counter[int] = Counter()
    for index, item in enumerate(request.items):
        where = f"inventory[{index}].order_item_id"
        fact = facts.get(item.order_item_id)
        if fact is None:
            errors.append(FieldError(where, f"order item {item.order_item_id} does not exist"))
        elif seen[item.order_item_id] > 1:
            errors.append(FieldError(where, f"order item {item.order_item_id} is listed more than once"))
        elif fact.inventory_id in inventory_of:
            errors.append(
                FieldError(
                    where,
                    f"order item {item.order_item_id} is inventory {fact.inventory_id}, like "
                    f"inventory[{inventory_of[fact.inventory_id]}]; one return lists an inventory item once",
                )
            )
        elif request.shipment_id is not None and fact.shipment_id != request.shipment_id:
            errors.append(
                FieldError(where, f"order item {item.order_item_id} is not on shipment {request.shipment_id}")
            )
        else:
            inventory_of[fact.inventory_id] = index
            shipments[fact.shipment_id] += 1
    if len(shipments) > 1:
        listed = ", ".join(str(s) for s in sorted(shipments))
        errors.append(
            FieldError(
                "inventory",
                f"the order items come from shipments {listed}; one return is one package from one "
                "shipment, so return each shipment's items separately",
            )
        )
    if errors or len(shipments) != 1:
        errors.extend(refunds.check_refund(request.refund, refund_lines(request.items, facts)))
        raise RuleViolation("The return request breaks one or more rules", errors)
    shipment_id = next(iter(shipments))
    fact = next(f for f in facts.values() if f.shipment_id == shipment_id)
    fc = request.fulfillment_center_id
    return Origin(
        shipment_id=shipment_id,
        order_id=fact.order_id,
        channel_id=fact.channel_id,
        fulfillment_center_id=fact.fulfillment_center_id if fc is None else fc,
    )


def refund_lines(items: Sequence[OrderItemLine | None], facts: dict[int, OrderItemFacts]) -> list[RefundLine]:
    """The lines as the refund rules see them, each named by its position (None: not an order item)."""
    return [
        RefundLine(
            where=f"inventory[{index}]",
            money=item.money,
            quantity=item.quantity,
            expects_units=item.expects_units,
            unit_price=fact.unit_price if (fact := facts.get(item.order_item_id)) else None,
        )
        for index, item in enumerate(items)
        if item is not None
    ]


def check_line(
    where: str, item: OrderItemLine, fact: OrderItemFacts | None, *, shipment_id: int, inventory_left: int
) -> list[FieldError]:
    """Per-order-item rules for one line; `inventory_left` is what the per-inventory count allows."""
    if fact is None or fact.shipment_id != shipment_id:
        return [
            FieldError(
                f"{where}.order_item_id", f"order item {item.order_item_id} is not on shipment {shipment_id}"
            )
        ]
    if item.quantity > fact.quantity:
        return [
            FieldError(
                f"{where}.quantity",
                f"{item.quantity} exceeds the {fact.quantity} unit(s) shipped on order item "
                f"{item.order_item_id}",
            )
        ]
    errors = units.check_units(
        where,
        item.units,
        quantity=item.quantity,
        order_item_id=item.order_item_id,
        serials_shipped=fact.serials_shipped,
        held=fact.units_held,
        claims=item.expects_units,
    )
    if not item.expects_units:
        return errors
    item_left = fact.quantity - fact.held
    if item.quantity > item_left:
        errors.append(
            FieldError(
                f"{where}.quantity",
                f"{item.quantity} exceeds the {item_left} unit(s) of order item {item.order_item_id} still "
                f"returnable ({fact.quantity} shipped, {fact.held} already on open returns)",
            )
        )
    elif item.quantity > inventory_left:
        errors.append(
            FieldError(
                f"{where}.quantity",
                f"{item.quantity} exceeds the {inventory_left} unit(s) of inventory {fact.inventory_id} "
                "still returnable from this shipment (other open returns hold the rest)",
            )
        )
    return errors

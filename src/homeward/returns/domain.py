"""Return orders: statuses, the rules a new or changed return must keep, requested actions.

Pure Python: the service layer gathers the facts (catalog, shipment, other returns) and asks these
functions what is allowed; nothing here touches a database or a web framework.
"""

from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from homeward.catalog.domain import ReturnAction, ReturnPreference
from homeward.kit.errors import FieldError, RuleViolation
from homeward.returns import order_items, refunds
from homeward.returns.order_items import OrderItemFacts, OrderItemLine
from homeward.returns.refunds import RefundTerms

REFERENCE_ID_MAX = 46
# Seed 000: an RMA entered in the dashboard is 8 to 46 letters and digits. The APIs keep their own,
# looser limits (1 to 46 characters): existing API clients send shorter ids.
DASHBOARD_REFERENCE_MIN = 8
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]*")
# Generated RMAs: no 0/O or 1/I, so a person can read one off a box and type it.
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GENERATED_REFERENCE_PREFIX = "RMA"


class ReturnStatus(StrEnum):
    AWAITING_ARRIVAL = "Awaiting Arrival"
    ARRIVED = "Arrived"
    PROCESSING = "Processing"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"

    @classmethod
    def parse(cls, text: str) -> ReturnStatus:
        """Accept both `Awaiting Arrival` (bodies) and `AwaitingArrival` (1.0 enum), any case."""
        key = text.replace(" ", "").lower()
        for status in cls:
            if status.value.replace(" ", "").lower() == key:
                return status
        raise ValueError(f"unknown status {text!r}; expected one of {', '.join(s.value for s in cls)}")

    @property
    def is_open(self) -> bool:
        """Open returns hold shipped units: a cancelled one gives them back."""
        return self is not ReturnStatus.CANCELLED

    @property
    def merchant_may_change(self) -> bool:
        """Merchants may modify or cancel a return only until the package arrives (seed 001)."""
        return self is ReturnStatus.AWAITING_ARRIVAL


_NEXT: dict[ReturnStatus, frozenset[ReturnStatus]] = {
    ReturnStatus.AWAITING_ARRIVAL: frozenset({ReturnStatus.ARRIVED, ReturnStatus.CANCELLED}),
    ReturnStatus.ARRIVED: frozenset({ReturnStatus.PROCESSING, ReturnStatus.COMPLETED}),
    ReturnStatus.PROCESSING: frozenset({ReturnStatus.COMPLETED}),
    ReturnStatus.COMPLETED: frozenset(),
    ReturnStatus.CANCELLED: frozenset(),
}


def check_transition(current: ReturnStatus, target: ReturnStatus) -> None:
    if target not in _NEXT[current]:
        raise RuleViolation(f"A return that is '{current}' cannot become '{target}'")


def status_columns(target: ReturnStatus, now: datetime) -> dict[str, object]:
    """What a move to `target` stamps on the return: its status, when, and when it completed."""
    columns: dict[str, object] = {"status": target.value, "updated_at": now}
    if target is ReturnStatus.COMPLETED:
        columns["completed_date"] = now
    return columns


def ensure_changeable(current: ReturnStatus, what: str) -> None:
    """Refuse a change the merchant may no longer make (see ReturnStatus.merchant_may_change)."""
    if not current.merchant_may_change:
        raise RuleViolation(
            f"Return cannot be {what}: its status is '{current}'; only returns that are "
            f"'{ReturnStatus.AWAITING_ARRIVAL}' can be {what}",
            [FieldError("status", f"is '{current}'")],
        )


class ReturnType(StrEnum):
    REGULAR = "Regular"
    RETURN_TO_SENDER = "ReturnToSender"

    @classmethod
    def parse(cls, text: str) -> ReturnType:
        key = text.replace(" ", "").lower()
        aliases = {
            "regular": cls.REGULAR,
            "returntosender": cls.RETURN_TO_SENDER,
            "rts": cls.RETURN_TO_SENDER,
        }
        if key not in aliases:
            raise ValueError(f"unknown return type {text!r}; expected Regular or ReturnToSender")
        return aliases[key]


class RequestedAction(StrEnum):
    DEFAULT = "Default"
    RESTOCK = "Restock"
    QUARANTINE = "Quarantine"
    DISPOSE = "Dispose"


class ActionSource(StrEnum):
    INVENTORY_DEFAULT = "InventoryDefault"
    OVERRIDE = "Override"


@dataclass(frozen=True)
class ResolvedAction:
    action: ReturnAction
    source: ActionSource
    instructions: str | None


def resolve_action(
    requested: RequestedAction, preference: ReturnPreference, return_type: ReturnType | None = None
) -> ResolvedAction:
    """Merchant override on the return > the item's preference (its RTS preference for a return
    to sender) > Restock, the preference's own default."""
    if requested is RequestedAction.DEFAULT:
        action = preference.rts_action if return_type is ReturnType.RETURN_TO_SENDER else preference.action
        return ResolvedAction(action, ActionSource.INVENTORY_DEFAULT, preference.instructions)
    return ResolvedAction(ReturnAction(requested.value), ActionSource.OVERRIDE, preference.instructions)


@dataclass(frozen=True)
class ReturnLine:
    inventory_id: int
    quantity: int
    requested_action: RequestedAction = RequestedAction.DEFAULT
    lot_number: str | None = None
    lot_date: datetime | None = None
    # Set when the door named the order item (shipment line) rather than the inventory id.
    order_item: OrderItemLine | None = None

    @property
    def expected_units(self) -> int:
        """Units the warehouse should receive: none for a line kept on the return but rejected."""
        return self.quantity if self.order_item is None or self.order_item.expects_units else 0


@dataclass(frozen=True)
class ReturnRequest:
    """What a merchant asks for, in any dialect."""

    reference_id: str
    fulfillment_center_id: int
    lines: tuple[ReturnLine, ...]
    original_shipment_id: int | None = None
    tracking_number: str | None = None
    refund: RefundTerms | None = None
    # What the caller believes the original shipment's order is, when it says (order-item doors).
    order_id: int | None = None
    store_order_id: str | None = None


@dataclass(frozen=True)
class ItemFacts:
    """What the catalog says about one inventory id, as seen by the requesting merchant."""

    inventory_id: int
    name: str
    sku: str
    is_bundle: bool
    component_ids: tuple[int, ...]
    preference: ReturnPreference


@dataclass(frozen=True)
class ShipmentFacts:
    shipment_id: int
    shipped: bool
    shipped_quantity: dict[int, int]
    # Units of each inventory id that other open returns of this shipment already hold.
    held_by_open_returns: dict[int, int] = field(default_factory=dict)
    bundle_parent_sku: dict[int, str] = field(default_factory=dict)
    # Lines of this shipment by id, gathered when the request names order items.
    order_items: dict[int, OrderItemFacts] = field(default_factory=dict)
    order_id: int | None = None
    store_order_id: str | None = None


def check_request(
    request: ReturnRequest,
    *,
    fulfillment_center_exists: bool,
    items: dict[int, ItemFacts],
    shipment: ShipmentFacts | None,
    reference_id_taken: bool = False,
) -> None:
    """Raise one RuleViolation naming every field that breaks a rule, or return quietly."""
    errors: list[FieldError] = []
    if reference_id_taken:
        errors.append(duplicate_reference(request.reference_id))
    if not request.reference_id.strip():
        errors.append(FieldError("reference_id", "must not be blank"))
    if len(request.reference_id) > REFERENCE_ID_MAX:
        errors.append(FieldError("reference_id", f"must be at most {REFERENCE_ID_MAX} characters"))
    if not fulfillment_center_exists:
        errors.append(
            FieldError(
                "fulfillment_center.id", f"fulfillment center {request.fulfillment_center_id} does not exist"
            )
        )
    if not request.lines:
        errors.append(FieldError("inventory", "must list at least one inventory item"))
    if request.original_shipment_id is not None:
        if shipment is None:
            errors.append(
                FieldError("original_shipment_id", f"shipment {request.original_shipment_id} does not exist")
            )
        elif not shipment.shipped:
            errors.append(
                FieldError("original_shipment_id", f"shipment {shipment.shipment_id} has not shipped yet")
            )
    if shipment is not None:
        errors.extend(_check_order_agrees(request, shipment))
    seen = Counter(line.inventory_id for line in request.lines)
    for index, line in enumerate(request.lines):
        errors.extend(_check_line(index, line, seen, items, shipment))
    errors.extend(_check_refund(request, shipment))
    if errors:
        raise RuleViolation("The return request breaks one or more rules", errors)


def duplicate_reference(reference_id: str) -> FieldError:
    return FieldError("reference_id", f"'{reference_id}' is already used by another return of this merchant")


def check_dashboard_reference(reference_id: str) -> list[FieldError]:
    """The dashboard's RMA rule (seed 000), on top of check_request's: at least 8 characters, letters
    and digits only. Blank and too long are check_request's to say."""
    errors = []
    if 0 < len(reference_id.strip()) < DASHBOARD_REFERENCE_MIN:
        errors.append(
            FieldError(
                "reference_id",
                f"must be at least {DASHBOARD_REFERENCE_MIN} characters ({len(reference_id)} given)",
            )
        )
    if not _ALPHANUMERIC.fullmatch(reference_id):
        errors.append(
            FieldError("reference_id", "may hold only letters A-Z and digits 0-9 (no spaces or symbols)")
        )
    return errors


def new_reference_id() -> str:
    """A random RMA that keeps the dashboard rule: RMA and 10 characters (about 50 bits)."""
    return GENERATED_REFERENCE_PREFIX + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def _check_line(
    index: int,
    line: ReturnLine,
    seen: Counter[int],
    items: dict[int, ItemFacts],
    shipment: ShipmentFacts | None,
) -> list[FieldError]:
    where = f"inventory[{index}]"
    if line.quantity < 1:
        return [FieldError(f"{where}.quantity", "must be at least 1")]
    if seen[line.inventory_id] > 1:
        return [FieldError(f"{where}.id", f"inventory {line.inventory_id} is listed more than once")]
    item = items.get(line.inventory_id)
    if item is None:
        return [FieldError(f"{where}.id", f"inventory {line.inventory_id} does not exist")]
    if item.is_bundle:
        parts = ", ".join(str(c) for c in item.component_ids) or "its components"
        return [
            FieldError(
                f"{where}.id",
                f"inventory {line.inventory_id} is a bundle; return its component inventory ids ({parts})",
            )
        ]
    if shipment is None or not shipment.shipped:
        return []
    shipped = shipment.shipped_quantity.get(line.inventory_id, 0)
    if shipped == 0:
        return [
            FieldError(
                f"{where}.id", f"inventory {line.inventory_id} is not on shipment {shipment.shipment_id}"
            )
        ]
    held = shipment.held_by_open_returns.get(line.inventory_id, 0)
    if line.order_item is not None:
        return order_items.check_line(
            where,
            line.order_item,
            shipment.order_items.get(line.order_item.order_item_id),
            shipment_id=shipment.shipment_id,
            inventory_left=shipped - held,
        )
    if line.quantity > shipped - held:
        return [
            FieldError(
                f"{where}.quantity",
                f"{line.quantity} exceeds the {shipped - held} unit(s) still returnable "
                f"({shipped} shipped, {held} already on open returns)",
            )
        ]
    return []


def _check_order_agrees(request: ReturnRequest, shipment: ShipmentFacts) -> list[FieldError]:
    """Order references a caller sends must be those of the shipment the return comes from."""
    errors = []
    if request.order_id is not None and request.order_id != shipment.order_id:
        errors.append(
            FieldError(
                "order_id",
                f"order {request.order_id} is not the order of shipment {shipment.shipment_id} "
                f"({shipment.order_id})",
            )
        )
    if request.store_order_id is not None and request.store_order_id != shipment.store_order_id:
        errors.append(
            FieldError(
                "store_order_id",
                f"'{request.store_order_id}' is not the store order id of shipment {shipment.shipment_id} "
                f"('{shipment.store_order_id}')",
            )
        )
    return errors


def _check_refund(request: ReturnRequest, shipment: ShipmentFacts | None) -> list[FieldError]:
    named = [line.order_item for line in request.lines]
    if request.refund is None and not any(named):
        return []
    facts = shipment.order_items if shipment else {}
    return refunds.check_refund(request.refund, order_items.refund_lines(named, facts))

"""Read model handed to the doors: plain, fully loaded, detached from any session."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from homeward.returns.domain import ReturnStatus, ReturnType
from homeward.returns.models import ReturnOrder


@dataclass(frozen=True)
class ActionTakenRecord:
    """What the warehouse did with some units of an item (ShipBob's action_taken)."""

    action: str  # Restock | Quarantine | Dispose, or Short for units that never arrived
    reason: str | None
    quantity: int
    photo_key: str | None


@dataclass(frozen=True)
class ReturnItemRecord:
    inventory_id: int
    name: str
    quantity: int
    action: str
    action_source: str
    instructions: str | None
    lot_number: str | None
    lot_date: datetime | None
    bundle_parent_sku: str | None
    item_id: int = 0
    order_item_id: int | None = None  # the shipment line the units come from, when known
    reason_code: str | None = None  # returns.reasons catalog entry
    actions_taken: tuple[ActionTakenRecord, ...] = ()


@dataclass(frozen=True)
class TransactionRecord:
    transaction_type: str
    amount: Decimal


@dataclass(frozen=True)
class StatusEventRecord:
    status: ReturnStatus
    occurred_at: datetime


@dataclass(frozen=True)
class ReturnRecord:
    id: int
    reference_id: str
    status: ReturnStatus
    return_type: ReturnType
    tracking_number: str | None
    channel_id: int
    channel_name: str
    fulfillment_center_id: int
    fulfillment_center_name: str
    original_shipment_id: int | None
    store_order_id: str | None
    merchant_name: str
    customer_name: str | None
    insert_date: datetime
    completed_date: datetime | None
    items: tuple[ReturnItemRecord, ...]
    transactions: tuple[TransactionRecord, ...]
    invoice_amount: Decimal | None


def to_record(row: ReturnOrder, *, channel_name: str, fc_name: str, merchant_name: str) -> ReturnRecord:
    """The record of a return loaded as an ORM object (as writes have it)."""
    return build_record(
        row,
        items=row.items,
        transactions=row.transactions,
        inspections=row.inspections,
        channel_name=channel_name,
        fc_name=fc_name,
        merchant_name=merchant_name,
    )


def build_record(
    head: Any,
    *,
    items: Sequence[Any],
    transactions: Sequence[Any],
    inspections: Sequence[Any],
    channel_name: str,
    fc_name: str,
    merchant_name: str,
) -> ReturnRecord:
    """A record from anything with the columns' names as attributes: ORM objects or plain rows."""
    return ReturnRecord(
        id=head.id,
        reference_id=head.reference_id,
        status=_STATUSES[head.status],
        return_type=_TYPES[head.return_type],
        tracking_number=head.tracking_number,
        channel_id=head.channel_id,
        channel_name=channel_name,
        fulfillment_center_id=head.fulfillment_center_id,
        fulfillment_center_name=fc_name,
        original_shipment_id=head.original_shipment_id,
        store_order_id=head.store_order_id,
        merchant_name=merchant_name,
        customer_name=head.customer_name,
        insert_date=head.insert_date,
        completed_date=head.completed_date,
        items=_items(items, inspections),
        transactions=tuple(TransactionRecord(t.transaction_type, t.amount) for t in transactions)
        if transactions
        else (),
        invoice_amount=sum((t.amount for t in transactions), Decimal("0")) if transactions else None,
    )


# Lists build fifty records at a time: a dict lookup, not an Enum call, per value.
_STATUSES = {status.value: status for status in ReturnStatus}
_TYPES = {type_.value: type_ for type_ in ReturnType}


def _items(announced: Sequence[Any], inspections: Sequence[Any]) -> tuple[ReturnItemRecord, ...]:
    """The announced items with what was done to them, then items that came as extras only."""
    if not inspections:  # most returns of a list: nothing inspected yet
        return tuple(_item(i, ()) for i in announced)
    taken: dict[int, list[ActionTakenRecord]] = {}
    names: dict[int, str] = {}
    for line in inspections:
        names.setdefault(line.inventory_id, line.name)
        taken.setdefault(line.inventory_id, []).append(
            ActionTakenRecord(line.action, line.reason, line.quantity, line.photo_key)
        )
    items = [_item(i, tuple(taken.pop(i.inventory_id, ()))) for i in announced]
    for inventory_id, actions in taken.items():  # not announced: quantity 0, all units extra
        items.append(
            ReturnItemRecord(
                inventory_id=inventory_id,
                name=names[inventory_id],
                quantity=0,
                action=actions[0].action,
                action_source="Extra",
                instructions=None,
                lot_number=None,
                lot_date=None,
                bundle_parent_sku=None,
                actions_taken=tuple(actions),
            )
        )
    return tuple(items)


def _item(i: Any, actions_taken: tuple[ActionTakenRecord, ...]) -> ReturnItemRecord:
    return ReturnItemRecord(
        inventory_id=i.inventory_id,
        name=i.name,
        quantity=i.quantity,
        action=i.action,
        action_source=i.action_source,
        instructions=i.instructions,
        lot_number=i.lot_number,
        lot_date=i.lot_date,
        bundle_parent_sku=i.bundle_parent_sku,
        item_id=i.id,
        order_item_id=i.order_item_id,
        reason_code=i.reason_code,
        actions_taken=actions_taken,
    )

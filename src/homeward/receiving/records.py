"""The warehouse's read model of a return: what is expected, what was done, what is left."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from homeward.catalog.domain import ReturnAction
from homeward.kit.errors import FieldError
from homeward.receiving.domain import LineKind
from homeward.receiving.models import Inspection
from homeward.returns.domain import ReturnStatus, ReturnType
from homeward.returns.models import ReturnItem


@dataclass(frozen=True)
class ItemProgress:
    inventory_id: int
    name: str
    expected: int
    processed: int
    extra: int
    short: int
    requested_action: str
    requested_by: str  # InventoryDefault | Override | Extra
    lot_tracked: bool
    inspection_steps: tuple[str, ...]
    instructions: str | None = None  # the merchant's, for the inspector
    shipped_lot: str | None = None  # the lot number the units left the building with, if known
    shipped_expiry: date | None = None

    @property
    def remaining(self) -> int:
        return self.expected - self.processed - self.short


@dataclass(frozen=True)
class InspectionRecord:
    id: int
    inventory_id: int
    kind: LineKind
    quantity: int
    action: str
    reason: str
    damaged: bool
    lot_number: str | None
    expiration_date: date | None
    steps: dict[str, bool]
    photo_key: str | None
    actor: str
    inspected_at: datetime


@dataclass(frozen=True)
class WarehouseReturnRecord:
    id: int
    merchant_id: int
    merchant_name: str
    reference_id: str
    return_type: ReturnType
    status: ReturnStatus
    fulfillment_center_id: int
    tracking_number: str | None
    original_shipment_id: int | None
    insert_date: datetime
    completed_date: datetime | None
    items: tuple[ItemProgress, ...]
    inspections: tuple[InspectionRecord, ...]


@dataclass(frozen=True)
class CatalogView:
    """The few catalog facts the warehouse view shows per item."""

    lot_tracked: bool
    inspection_steps: tuple[str, ...]


def to_record(row: Any, merchant_name: str, catalog: dict[int, CatalogView]) -> WarehouseReturnRecord:
    """From a ReturnOrder, or any object with its columns and `items` and `inspections` rows."""
    done: dict[tuple[int, str], int] = defaultdict(int)
    for line in row.inspections:
        done[(line.inventory_id, line.kind)] += line.quantity

    def progress(
        inventory_id: int, name: str, expected: int, action: str, by: str, line: ReturnItem | None = None
    ) -> ItemProgress:
        facts = catalog.get(inventory_id, CatalogView(False, ()))
        return ItemProgress(
            inventory_id=inventory_id,
            name=name,
            expected=expected,
            processed=done[(inventory_id, LineKind.EXPECTED)],
            extra=done[(inventory_id, LineKind.EXTRA)],
            short=done[(inventory_id, LineKind.SHORT)],
            requested_action=action,
            requested_by=by,
            lot_tracked=facts.lot_tracked,
            inspection_steps=facts.inspection_steps,
            instructions=line.instructions if line else None,
            shipped_lot=line.lot_number if line else None,
            shipped_expiry=line.lot_date.date() if line and line.lot_date else None,
        )

    items = [progress(i.inventory_id, i.name, i.quantity, i.action, i.action_source, i) for i in row.items]
    on_return = {i.inventory_id for i in row.items}
    for line in row.inspections:
        if line.inventory_id not in on_return:
            on_return.add(line.inventory_id)
            items.append(progress(line.inventory_id, line.name, 0, line.action, "Extra"))
    return WarehouseReturnRecord(
        id=row.id,
        merchant_id=row.merchant_id,
        merchant_name=merchant_name,
        reference_id=row.reference_id,
        return_type=ReturnType(row.return_type),
        status=ReturnStatus(row.status),
        fulfillment_center_id=row.fulfillment_center_id,
        tracking_number=row.tracking_number,
        original_shipment_id=row.original_shipment_id,
        insert_date=row.insert_date,
        completed_date=row.completed_date,
        items=tuple(items),
        inspections=tuple(_inspection(line) for line in row.inspections),
    )


def _inspection(line: Inspection) -> InspectionRecord:
    return InspectionRecord(
        id=line.id,
        inventory_id=line.inventory_id,
        kind=LineKind(line.kind),
        quantity=line.quantity,
        action=line.action,
        reason=line.reason,
        damaged=line.damaged,
        lot_number=line.lot_number,
        expiration_date=line.expiration_date,
        steps={str(k): bool(v) for k, v in line.steps.items()},
        photo_key=line.photo_key,
        actor=line.actor,
        inspected_at=line.inspected_at,
    )


@dataclass(frozen=True)
class WaitingReturn:
    """A return in the center with units still to inspect (Arrived or Processing)."""

    id: int
    reference_id: str
    merchant_name: str
    return_type: ReturnType
    status: ReturnStatus
    tracking_number: str | None
    expected: int
    remaining: int
    updated_at: datetime


@dataclass(frozen=True)
class PreviewLine:
    """What the rules would do with one reported line: an action and why, or the rules it breaks."""

    action: ReturnAction | None
    reason: str
    errors: tuple[FieldError, ...] = ()


@dataclass(frozen=True)
class InspectionPreview:
    """A return and what the rules would do with the lines reported for it, one per line."""

    record: WarehouseReturnRecord
    lines: tuple[PreviewLine, ...]
    refusal: str | None = None  # why the return cannot be inspected now (then `lines` is empty)

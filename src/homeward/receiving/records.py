"""The warehouse's read model of a return: what is expected, what was done, what is left."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from homeward.receiving.domain import LineKind
from homeward.receiving.models import Inspection
from homeward.returns.domain import ReturnStatus, ReturnType
from homeward.returns.models import ReturnOrder


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


def to_record(row: ReturnOrder, merchant_name: str, catalog: dict[int, CatalogView]) -> WarehouseReturnRecord:
    done: dict[tuple[int, str], int] = defaultdict(int)
    for line in row.inspections:
        done[(line.inventory_id, line.kind)] += line.quantity

    def progress(inventory_id: int, name: str, expected: int, action: str, by: str) -> ItemProgress:
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
        )

    items = [progress(i.inventory_id, i.name, i.quantity, i.action, i.action_source) for i in row.items]
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

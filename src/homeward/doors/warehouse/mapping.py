"""Warehouse records -> /warehouse/v1 bodies, and bodies -> domain observations."""

from __future__ import annotations

from homeward.doors.http.urls import photo_url
from homeward.doors.warehouse import schemas
from homeward.inventory.domain import Balance
from homeward.inventory.service import BalanceRecord, ReleaseRecord
from homeward.receiving.domain import Observation
from homeward.receiving.records import WarehouseReturnRecord


def observations(body: schemas.InspectionIn) -> list[Observation]:
    return [
        Observation(
            inventory_id=line.inventory_id,
            quantity=line.quantity,
            action=line.action,
            reason=line.reason,
            damaged=line.damaged,
            extra=line.extra,
            lot_number=line.lot_number,
            expiration_date=line.expiration_date,
            steps=dict(line.steps),
            photo=line.photo,
        )
        for line in body.items
    ]


def return_out(record: WarehouseReturnRecord) -> schemas.WarehouseReturnOut:
    return schemas.WarehouseReturnOut(
        id=record.id,
        merchant_id=record.merchant_id,
        merchant_name=record.merchant_name,
        reference_id=record.reference_id,
        return_type=record.return_type.value,
        status=record.status.value,
        fulfillment_center_id=record.fulfillment_center_id,
        tracking_number=record.tracking_number,
        original_shipment_id=record.original_shipment_id,
        insert_date=record.insert_date,
        completed_date=record.completed_date,
        items=[
            schemas.ItemOut(
                inventory_id=i.inventory_id,
                name=i.name,
                expected=i.expected,
                processed=i.processed,
                extra=i.extra,
                short=i.short,
                remaining=i.remaining,
                requested_action=i.requested_action,
                requested_by=i.requested_by,
                lot_tracked=i.lot_tracked,
                inspection_steps=list(i.inspection_steps),
            )
            for i in record.items
        ],
        inspections=[
            schemas.InspectionOut(
                id=line.id,
                inventory_id=line.inventory_id,
                kind=line.kind.value,
                quantity=line.quantity,
                action=line.action,
                reason=line.reason,
                damaged=line.damaged,
                lot_number=line.lot_number,
                expiration_date=line.expiration_date,
                steps=line.steps,
                image_url=photo_url(line.photo_key),
                actor=line.actor,
                inspected_at=line.inspected_at,
            )
            for line in record.inspections
        ],
    )


def buckets(balance: Balance) -> schemas.BucketsOut:
    return schemas.BucketsOut(
        sellable=balance.sellable, quarantine=balance.quarantine, disposed=balance.disposed
    )


def balance_out(record: BalanceRecord) -> schemas.BalanceOut:
    return schemas.BalanceOut(
        inventory_id=record.inventory_id,
        fulfillment_center_id=record.fulfillment_center_id,
        **buckets(record.balance).model_dump(),
    )


def release_out(record: ReleaseRecord) -> schemas.ReleaseOut:
    return schemas.ReleaseOut(
        return_id=record.return_id,
        inventory_id=record.inventory_id,
        quantity=record.quantity,
        action=record.action.value,
        return_balance=buckets(record.return_balance),
        storage_fee=record.storage_fee,
    )

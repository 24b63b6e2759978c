"""JSON shapes of /refunds/v1 and the mapping from the refund read models. Money is a decimal
string ("12.34"), never a float."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from homeward.marketplace.domain import Amounts
from homeward.refunds.records import (
    FileRecord,
    MarketplaceOrderRecord,
    RefundRecord,
    ReturnRefundsRecord,
)


class AmountsOut(BaseModel):
    principal: Decimal
    tax: Decimal
    shipping_cost: Decimal
    shipping_tax: Decimal
    total: Decimal


class RefundFileOut(BaseModel):
    id: int
    name: str
    source: str
    status: str
    rejection: str | None
    rows: int
    rows_ok: int
    rows_failed: int
    received_at: datetime
    finished_at: datetime | None
    ack_name: str


class RefundLineOut(BaseModel):
    order_item_id: str
    inventory_id: int | None
    return_id: int | None
    total_quantity_returned: int
    order_return_refund_qty: int
    refund_reason: str
    refund_feedback: str | None
    notes: str | None
    amounts: AmountsOut


class RefundOut(BaseModel):
    id: int
    merchant_order_id: str
    alt_refund_id: str
    file_id: int
    file_name: str
    created_at: datetime
    lines: list[RefundLineOut]


class OrderItemOut(BaseModel):
    order_item_id: str
    inventory_id: int | None
    quantity: int
    charged: AmountsOut
    refunded_quantity: int
    refunded: AmountsOut
    refundable_quantity: int
    refundable: AmountsOut


class MarketplaceOrderOut(BaseModel):
    merchant_order_id: str
    store_order_id: str | None
    status: str
    items: list[OrderItemOut]
    refunds: list[RefundOut]


class ReturnRefundsOut(BaseModel):
    return_id: int
    reference_id: str
    store_order_id: str | None
    refunded: AmountsOut
    refunds: list[RefundOut]


def amounts_out(amounts: Amounts) -> AmountsOut:
    return AmountsOut(**dict(amounts.items()), total=amounts.total)


def file_out(record: FileRecord) -> RefundFileOut:
    return RefundFileOut(
        id=record.id,
        name=record.name,
        source=record.source.value,
        status=record.status.value,
        rejection=record.rejection,
        rows=record.row_count,
        rows_ok=record.rows_ok,
        rows_failed=record.rows_failed,
        received_at=record.received_at,
        finished_at=record.finished_at,
        ack_name=record.ack_name,
    )


def refund_out(record: RefundRecord) -> RefundOut:
    return RefundOut(
        id=record.id,
        merchant_order_id=record.merchant_order_id,
        alt_refund_id=record.alt_refund_id,
        file_id=record.file_id,
        file_name=record.file_name,
        created_at=record.created_at,
        lines=[
            RefundLineOut(
                order_item_id=line.order_item_id,
                inventory_id=line.inventory_id,
                return_id=line.return_id,
                total_quantity_returned=line.quantity_returned,
                order_return_refund_qty=line.quantity_refunded,
                refund_reason=line.reason,
                refund_feedback=line.feedback,
                notes=line.notes,
                amounts=amounts_out(line.amounts),
            )
            for line in record.lines
        ],
    )


def order_out(record: MarketplaceOrderRecord) -> MarketplaceOrderOut:
    return MarketplaceOrderOut(
        merchant_order_id=record.merchant_order_id,
        store_order_id=record.store_order_id,
        status=record.status,
        items=[
            OrderItemOut(
                order_item_id=item.order_item_id,
                inventory_id=item.inventory_id,
                quantity=item.quantity,
                charged=amounts_out(item.charged),
                refunded_quantity=item.refunded_quantity,
                refunded=amounts_out(item.refunded),
                refundable_quantity=item.quantity - item.refunded_quantity,
                refundable=amounts_out(item.charged - item.refunded),
            )
            for item in record.items
        ],
        refunds=[refund_out(r) for r in record.refunds],
    )


def return_refunds_out(record: ReturnRefundsRecord) -> ReturnRefundsOut:
    return ReturnRefundsOut(
        return_id=record.return_id,
        reference_id=record.reference_id,
        store_order_id=record.store_order_id,
        refunded=amounts_out(record.refunded),
        refunds=[refund_out(r) for r in record.refunds],
    )

"""A return as the OMS door shows it: plain, fully loaded, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from homeward.oms.domain import OmsStatus
from homeward.returns.domain import ReturnStatus


@dataclass(frozen=True)
class OmsUnitRecord:
    order_item_unit_id: int
    serial_number: str | None
    serial_is_number: bool


@dataclass(frozen=True)
class OmsGiftCardRecord:
    gift_card_type: str
    card_issuer: str | None
    to_name: str | None
    from_name: str | None
    email: str | None
    message: str | None
    delivery_date: datetime | None
    print_form: bool
    value: Decimal | None


@dataclass(frozen=True)
class OmsItemRecord:
    return_item_id: int
    order_item_id: int | None
    quantity: int
    status: str | None  # None for items that did not come through the OMS
    reason: str | None
    reason_code: str | None
    return_subtotal: Decimal | None
    fulfiller_subtotal: Decimal | None
    part_number: str | None
    upc: str | None
    sku: str | None
    part_name: str | None
    options: tuple[str, ...]
    units: tuple[OmsUnitRecord, ...]
    gift_card: OmsGiftCardRecord | None


@dataclass(frozen=True)
class OmsReturnRecord:
    return_id: int
    reference_id: str
    status: OmsStatus
    status_detail: ReturnStatus
    fulfillment_center_id: int
    store_order_id: str | None
    order_id: int | None
    shipment_id: int | None
    return_total: Decimal | None
    return_reduction_total: Decimal | None
    fulfiller_total: Decimal | None
    refund_type: str | None
    created_time: datetime
    confirm_time: datetime | None
    cleared_time: datetime | None
    items: tuple[OmsItemRecord, ...]

"""What the OMS door hands the OMS use cases besides the return itself: the parts of its request
that describe (part names, gift-card greetings, how a serial was written) rather than decide."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from homeward.oms.domain import ItemStatus, OmsStatus


@dataclass(frozen=True)
class GiftCardNote:
    to_name: str | None = None
    from_name: str | None = None
    email: str | None = None
    message: str | None = None
    delivery_date: datetime | None = None
    print_form: bool = False


@dataclass(frozen=True)
class OmsItemDetails:
    status: ItemStatus = ItemStatus.PENDING
    part_number: str | None = None
    upc: str | None = None
    sku: str | None = None
    part_name: str | None = None
    options: tuple[str, ...] = ()
    gift_card_note: GiftCardNote | None = None
    serial_is_number: tuple[bool, ...] = ()  # per orderItemUnits entry: sent as a JSON number


@dataclass(frozen=True)
class OmsReturnDetails:
    items: tuple[OmsItemDetails, ...]
    oms_return_id: int | None = None
    status: OmsStatus | None = None
    created_time: datetime | None = None
    cleared_time: datetime | None = None
    confirm_time: datetime | None = None

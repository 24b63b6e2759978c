"""What the OMS dialect says about a return beyond the shared returns tables.

Keyed by the return's and return items' ids, so the return itself stays one row in return_orders
that every door (ShipBob, warehouse, refunds) reads; these rows only let the OMS read back the
shape it sent. Deleting a return or an item (a ShipBob modify replaces items) deletes its rows.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, Money, UTCDateTime


class OmsReturn(Base):
    __tablename__ = "oms_returns"

    return_id: Mapped[int] = mapped_column(
        ForeignKey("return_orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    oms_return_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # the OMS's returnID
    refund_type: Mapped[str | None] = mapped_column(String(20), default=None)
    return_total: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    return_reduction_total: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    fulfiller_total: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    created_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)  # as the OMS sent it
    confirm_time: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class OmsReturnItem(Base):
    __tablename__ = "oms_return_items"

    return_item_id: Mapped[int] = mapped_column(
        ForeignKey("return_items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(Integer)  # as asked; a rejected item expects no units
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(String(255), default=None)  # the OMS's own words
    return_subtotal: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    fulfiller_subtotal: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    part_number: Mapped[str | None] = mapped_column(String(50), default=None)
    upc: Mapped[str | None] = mapped_column(String(50), default=None)
    sku: Mapped[str | None] = mapped_column(String(50), default=None)
    part_name: Mapped[str | None] = mapped_column(String(50), default=None)
    options: Mapped[list[str]] = mapped_column(JSON, default=list)


class OmsGiftCard(Base):
    __tablename__ = "oms_gift_cards"

    return_item_id: Mapped[int] = mapped_column(
        ForeignKey("return_items.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    gift_card_type: Mapped[str] = mapped_column(String(2))
    card_issuer: Mapped[str | None] = mapped_column(String(2), default=None)
    to_name: Mapped[str | None] = mapped_column(String(85), default=None)
    from_name: Mapped[str | None] = mapped_column(String(85), default=None)
    email: Mapped[str | None] = mapped_column(String(250), default=None)
    message: Mapped[str | None] = mapped_column(String(400), default=None)
    delivery_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    print_form: Mapped[bool] = mapped_column(Boolean, default=False)
    value: Mapped[Decimal | None] = mapped_column(Money(), default=None)  # as sent, or the default


class OmsItemUnit(Base):
    """One orderItemUnits entry as sent (the shared returned_units rows hold the claims)."""

    __tablename__ = "oms_item_units"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_item_id: Mapped[int] = mapped_column(ForeignKey("return_items.id", ondelete="CASCADE"), index=True)
    order_item_unit_id: Mapped[int] = mapped_column(BigInteger)
    serial_number: Mapped[str | None] = mapped_column(String(100), default=None)
    serial_is_number: Mapped[bool] = mapped_column(Boolean, default=False)  # sent as a JSON number

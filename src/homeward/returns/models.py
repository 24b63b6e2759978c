"""Return orders as stored. Rules live in returns.domain; this is only the shape of the rows."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from homeward.kit.orm import Base, Money, UTCDateTime
from homeward.receiving.models import Inspection
from homeward.returns.domain import ReturnStatus


class ReturnOrder(Base):
    __tablename__ = "return_orders"
    __table_args__ = (
        # One RMA per merchant; the database settles races between concurrent creates.
        UniqueConstraint("merchant_id", "reference_id"),
        # Keyset pagination: every filter the list offers has an index ending in id.
        Index("ix_return_orders_merchant_id_id", "merchant_id", "id"),
        Index("ix_return_orders_merchant_status_id", "merchant_id", "status", "id"),
        Index("ix_return_orders_merchant_fc_id", "merchant_id", "fulfillment_center_id", "id"),
        Index("ix_return_orders_merchant_type_id", "merchant_id", "return_type", "id"),
        Index("ix_return_orders_merchant_tracking", "merchant_id", "tracking_number"),
        Index("ix_return_orders_merchant_shipment", "merchant_id", "original_shipment_id"),
        Index("ix_return_orders_merchant_store_order", "merchant_id", "store_order_id"),
        Index("ix_return_orders_merchant_insert_date", "merchant_id", "insert_date"),
        Index("ix_return_orders_merchant_completed_date", "merchant_id", "completed_date"),
        # The warehouse finds a scanned package's return across merchants.
        Index("ix_return_orders_tracking_number", "tracking_number"),
        Index("ix_return_orders_reference_id", "reference_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    reference_id: Mapped[str] = mapped_column(String(50))
    tracking_number: Mapped[str | None] = mapped_column(String(500), default=None)
    fulfillment_center_id: Mapped[int] = mapped_column(ForeignKey("fulfillment_centers.id"))
    original_shipment_id: Mapped[int | None] = mapped_column(ForeignKey("shipments.id"), default=None)
    store_order_id: Mapped[str | None] = mapped_column(String(100), default=None)
    customer_name: Mapped[str | None] = mapped_column(String(200), default=None)
    return_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default=ReturnStatus.AWAITING_ARRIVAL.value)
    insert_date: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    items: Mapped[list["ReturnItem"]] = relationship(
        back_populates="return_order", cascade="all, delete-orphan", order_by="ReturnItem.id"
    )
    history: Mapped[list["ReturnStatusEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="ReturnStatusEvent.id"
    )
    transactions: Mapped[list["ReturnTransaction"]] = relationship(
        cascade="all, delete-orphan", order_by="ReturnTransaction.id"
    )
    # What the warehouse did with the units (receiving owns the rows; the dialects show them).
    inspections: Mapped[list[Inspection]] = relationship(order_by=Inspection.id)

    @property
    def status_enum(self) -> ReturnStatus:
        return ReturnStatus(self.status)

    @property
    def invoice_amount(self) -> Decimal | None:
        if not self.transactions:
            return None
        return sum((t.amount for t in self.transactions), Decimal("0"))


class ReturnItem(Base):
    __tablename__ = "return_items"
    __table_args__ = (Index("ix_return_items_inventory_return", "inventory_id", "return_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id", ondelete="CASCADE"), index=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # resolved: Restock | Quarantine | Dispose
    action_source: Mapped[str] = mapped_column(String(20))  # InventoryDefault | Override
    instructions: Mapped[str | None] = mapped_column(String(1000), default=None)
    lot_number: Mapped[str | None] = mapped_column(String(100), default=None)
    lot_date: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    bundle_parent_sku: Mapped[str | None] = mapped_column(String(100), default=None)
    # The shipment line the units come from: named by order-item doors, inferred when unambiguous.
    order_item_id: Mapped[int | None] = mapped_column(
        ForeignKey("shipment_lines.id"), default=None, index=True
    )
    reason_code: Mapped[str | None] = mapped_column(String(40), default=None)  # returns.reasons

    return_order: Mapped[ReturnOrder] = relationship(back_populates="items")


class ReturnStatusEvent(Base):
    """Append-only: every status a return has had, with when."""

    __tablename__ = "return_status_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReturnTransaction(Base):
    __tablename__ = "return_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id", ondelete="CASCADE"), index=True)
    transaction_type: Mapped[str] = mapped_column(String(40))
    amount: Mapped[Decimal] = mapped_column(Money())


class ReturnedUnit(Base):
    """A unit an open return holds, by serial number and/or the caller's unit id.

    The unique constraints make "one unit on one open return" hold even between concurrent
    requests; cancelling a return deletes its rows, giving the units back.
    """

    __tablename__ = "returned_units"
    __table_args__ = (
        UniqueConstraint("order_item_id", "serial_number"),
        UniqueConstraint("order_item_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id", ondelete="CASCADE"), index=True)
    return_item_id: Mapped[int] = mapped_column(ForeignKey("return_items.id", ondelete="CASCADE"), index=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("shipment_lines.id"))
    unit_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    serial_number: Mapped[str | None] = mapped_column(String(100), default=None)

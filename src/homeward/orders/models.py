"""Outbound orders and their shipments: what a return can come back from."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from homeward.kit.orm import Base, Money, UTCDateTime
from homeward.orders.domain import ShipmentStatus


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_merchant_store_order", "merchant_id", "store_order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id"), default=None)
    store_order_id: Mapped[str] = mapped_column(String(100))

    shipments: Mapped[list["Shipment"]] = relationship(back_populates="order")


class Shipment(Base):
    __tablename__ = "shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    fulfillment_center_id: Mapped[int] = mapped_column(ForeignKey("fulfillment_centers.id"))
    status: Mapped[str] = mapped_column(String(20), default=ShipmentStatus.PENDING.value)
    tracking_number: Mapped[str | None] = mapped_column(String(100), default=None, index=True)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    recipient_name: Mapped[str] = mapped_column(String(200), default="")
    address1: Mapped[str] = mapped_column(String(200), default="")
    address2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(100), default="")
    zip_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(2), default="US")

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list["ShipmentLine"]] = relationship(
        back_populates="shipment", lazy="selectin", cascade="all, delete-orphan", order_by="ShipmentLine.id"
    )

    @property
    def is_shipped(self) -> bool:
        return ShipmentStatus(self.status).is_shipped

    def units_by_inventory(self) -> dict[int, int]:
        """Units shipped per inventory id (one item may sit on several lines, e.g. one per lot)."""
        shipped: dict[int, int] = {}
        for line in self.lines:
            shipped[line.inventory_id] = shipped.get(line.inventory_id, 0) + line.quantity
        return shipped


class ShipmentLine(Base):
    """One inventory item on a shipment. Bundles ship as their components, each naming the bundle."""

    __tablename__ = "shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)  # the OMS dialect's orderItemID
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), index=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(Integer)
    lot_number: Mapped[str | None] = mapped_column(String(100), default=None)
    lot_expiration: Mapped[date | None] = mapped_column(Date, default=None)
    bundle_inventory_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), default=None)
    unit_price: Mapped[Decimal | None] = mapped_column(Money(), default=None)  # what one unit sold for

    shipment: Mapped[Shipment] = relationship(back_populates="lines")


class ShipmentLineSerial(Base):
    """A serial number shipped on a shipment line; when a line has any, only those can come back."""

    __tablename__ = "shipment_line_serials"
    __table_args__ = (UniqueConstraint("shipment_line_id", "serial_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_line_id: Mapped[int] = mapped_column(
        ForeignKey("shipment_lines.id", ondelete="CASCADE"), index=True
    )
    serial_number: Mapped[str] = mapped_column(String(100))

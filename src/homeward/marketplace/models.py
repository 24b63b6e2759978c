"""Marketplace orders as stored, with what has been refunded of each line so far."""

from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from homeward.kit.orm import Base, Money
from homeward.marketplace.domain import ZERO, Amounts, MarketplaceOrderStatus


class MarketplaceOrder(Base):
    __tablename__ = "marketplace_orders"
    __table_args__ = (
        UniqueConstraint("merchant_id", "merchant_order_id"),
        Index("ix_marketplace_orders_merchant_store_order", "merchant_id", "store_order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    merchant_order_id: Mapped[str] = mapped_column(String(100))
    # The Homeward order (orders.store_order_id) this marketplace order was fulfilled as, if any.
    store_order_id: Mapped[str | None] = mapped_column(String(100), default=None)
    status: Mapped[str] = mapped_column(String(20), default=MarketplaceOrderStatus.CREATED.value)

    items: Mapped[list["MarketplaceOrderItem"]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="MarketplaceOrderItem.id"
    )

    @property
    def status_enum(self) -> MarketplaceOrderStatus:
        return MarketplaceOrderStatus(self.status)


class MarketplaceOrderItem(Base):
    """One order line: charged amounts are for the whole line; refunded_* only ever grow."""

    __tablename__ = "marketplace_order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "order_item_id"),
        # The last line of defence for units; money is checked by the service under a row lock.
        CheckConstraint("refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refunded_units"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id", ondelete="CASCADE"))
    order_item_id: Mapped[str] = mapped_column(String(100))
    inventory_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"), default=None)
    quantity: Mapped[int] = mapped_column(Integer)
    principal: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    shipping_cost: Mapped[Decimal] = mapped_column(Money())
    shipping_tax: Mapped[Decimal] = mapped_column(Money())
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)
    refunded_principal: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    refunded_tax: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    refunded_shipping_cost: Mapped[Decimal] = mapped_column(Money(), default=ZERO)
    refunded_shipping_tax: Mapped[Decimal] = mapped_column(Money(), default=ZERO)

    order: Mapped[MarketplaceOrder] = relationship(back_populates="items")

    @property
    def charged(self) -> Amounts:
        return Amounts(self.principal, self.tax, self.shipping_cost, self.shipping_tax)

    @property
    def refunded(self) -> Amounts:
        return Amounts(
            self.refunded_principal,
            self.refunded_tax,
            self.refunded_shipping_cost,
            self.refunded_shipping_tax,
        )

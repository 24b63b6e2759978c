"""Merchants (tenants) and their sales channels."""

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base


class Merchant(Base):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Dangerous goods are disposed on receipt when the merchant says so; otherwise they follow
    # the item's preference like any other item (ineligible categories are disposed regardless).
    dispose_dangerous_goods: Mapped[bool] = mapped_column(Boolean, default=False)


class Channel(Base):
    __tablename__ = "channels"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    application_name: Mapped[str] = mapped_column(String(100), default="Homeward")

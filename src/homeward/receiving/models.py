"""Inspections as stored: one row per reported line (and per short item when a return closes)."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, UTCDateTime


class Inspection(Base):
    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id"), index=True)
    inventory_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(300))  # the product's name when inspected
    kind: Mapped[str] = mapped_column(String(10))  # expected | extra | short
    quantity: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(20))  # Restock | Quarantine | Dispose | Short
    reason: Mapped[str] = mapped_column(String(1500))
    damaged: Mapped[bool] = mapped_column(Boolean, default=False)
    lot_number: Mapped[str | None] = mapped_column(String(100), default=None)
    expiration_date: Mapped[date | None] = mapped_column(Date, default=None)
    steps: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # step -> passed
    photo_key: Mapped[str | None] = mapped_column(String(100), default=None)
    actor: Mapped[str] = mapped_column(String(300))
    actor_token_id: Mapped[int | None] = mapped_column(Integer, default=None)
    inspected_at: Mapped[datetime] = mapped_column(UTCDateTime())

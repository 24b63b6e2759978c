"""Stored rate files and the label of each return. Rules live in labels.domain."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, LargeBinary, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, Money, UTCDateTime


class RateCardFile(Base):
    """Every rate file ever loaded, kept as loaded; the newest one prices new labels.

    Global, not per merchant: labels are bought on the fulfillment network's carrier accounts
    and invoiced to merchants as ReturnLabelInvoice (seed 000), so the operator's rates apply.
    """

    __tablename__ = "rate_cards"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(50), unique=True)
    content: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReturnLabel(Base):
    """The label chosen for a return: one per return, because one return is one package."""

    __tablename__ = "return_labels"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id", ondelete="CASCADE"), unique=True)
    requested_type: Mapped[str] = mapped_column(String(20))  # what the merchant asked for
    label_type: Mapped[str] = mapped_column(String(20))  # what it got (Prepaid after a fallback)
    fallback_reason: Mapped[str | None] = mapped_column(String(500), default=None)
    carrier: Mapped[str | None] = mapped_column(String(40), default=None)
    service: Mapped[str | None] = mapped_column(String(40), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(40), default=None)
    cost: Mapped[Decimal | None] = mapped_column(Money(), default=None)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(10, 3), default=None)
    zone: Mapped[str | None] = mapped_column(String(10), default=None)
    rate_card_version: Mapped[str | None] = mapped_column(String(50), default=None)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None, deferred=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

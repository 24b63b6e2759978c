"""Returns platforms a merchant connected, and every webhook they sent us."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, UTCDateTime


class MerchantIntegration(Base):
    __tablename__ = "merchant_integrations"
    __table_args__ = (UniqueConstraint("merchant_id", "platform"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    platform: Mapped[str] = mapped_column(String(20))  # aftership | loop
    # The path segment the platform posts to; not a secret (the HMAC is what proves the sender).
    merchant_key: Mapped[str] = mapped_column(String(64), unique=True)
    secret: Mapped[str] = mapped_column(String(500))  # the platform's webhook secret, maybe encrypted
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class IntegrationEvent(Base):
    """One webhook received from a platform and what became of it (for the merchant to read)."""

    __tablename__ = "integration_events"
    __table_args__ = (
        Index("ix_integration_events_merchant_id", "merchant_id", "id"),
        Index("ix_integration_events_lookup", "merchant_id", "platform", "external_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(100))  # the platform's return id
    rma: Mapped[str | None] = mapped_column(String(50), default=None)
    outcome: Mapped[str] = mapped_column(String(20))  # created | duplicate | refused
    reason: Mapped[str | None] = mapped_column(String(2000), default=None)
    return_id: Mapped[int | None] = mapped_column(Integer, default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())

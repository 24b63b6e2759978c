from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, UTCDateTime


class AccessToken(Base):
    __tablename__ = "access_tokens"
    # A token acts for exactly one merchant or exactly one fulfillment center (warehouse tokens).
    __table_args__ = (
        CheckConstraint("(merchant_id IS NULL) <> (fulfillment_center_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True, default=None)
    fulfillment_center_id: Mapped[int | None] = mapped_column(
        ForeignKey("fulfillment_centers.id"), index=True, default=None
    )
    name: Mapped[str] = mapped_column(String(200))
    # sha256 of the secret; the secret itself is shown once at creation and never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(500))  # space-separated
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

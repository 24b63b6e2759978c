"""Web users, their failed sign-ins (for rate limiting) and server-side sessions."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, UTCDateTime


class WebUserRow(Base):
    __tablename__ = "web_users"
    __table_args__ = (
        CheckConstraint("(merchant_id IS NULL) <> (fulfillment_center_id IS NULL)", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2id, never the password
    merchant_id: Mapped[int | None] = mapped_column(ForeignKey("merchants.id"), index=True, default=None)
    fulfillment_center_id: Mapped[int | None] = mapped_column(
        ForeignKey("fulfillment_centers.id"), index=True, default=None
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class SignInFailure(Base):
    """One refused sign-in; counted over a sliding window by email and by client address."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (
        Index("ix_sign_in_failures_email_at", "email", "failed_at"),
        Index("ix_sign_in_failures_client_at", "client", "failed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    client: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    """Server-side session data; the browser holds only the random id (in an HttpOnly cookie)."""

    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's id
    data: Mapped[bytes] = mapped_column(LargeBinary)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class AppSecret(Base):
    """Random secrets every process shares through the database (so N workers sign alike)."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))

"""Idempotency keys as stored: the first response to a key, replayed for its repeats."""

from datetime import datetime

from sqlalchemy import Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, UTCDateTime


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (
        # One row per caller and key: the database settles concurrent requests with one key.
        UniqueConstraint("caller", "key"),
        Index("ix_idempotency_keys_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    caller: Mapped[str] = mapped_column(String(64))  # SHA-256 of the credentials: one token's keys
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of method, path, query and body
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)  # None: still running
    response_headers: Mapped[str | None] = mapped_column(Text, default=None)  # JSON [[name, value]]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)

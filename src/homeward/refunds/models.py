"""Refund files, their rows while they are worked through, and the refunds they applied.

A file's rows are staged here first, so processing can stop anywhere (a crash, a kill) and go on
later from the database alone; each row keeps its verdict, which is what the ack is written from.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from homeward.kit.orm import Base, Money, UTCDateTime


class RefundFile(Base):
    __tablename__ = "refund_files"
    __table_args__ = (
        Index("ix_refund_files_merchant_id_id", "merchant_id", "id"),
        Index("ix_refund_files_unfinished", "status", "source", "origin"),
        # At most one unfinished copy of the same upload: a retry of it resumes that one.
        Index(
            "uq_refund_files_unfinished_upload",
            "merchant_id",
            "name",
            "sha256",
            unique=True,
            sqlite_where=text("status = 'processing'"),
            postgresql_where=text("status = 'processing'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    name: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(10))  # ftp | poll | api | cli
    # Where the ack goes back to: the FTP user, the polled URL (never with a password), a path.
    origin: Mapped[str] = mapped_column(String(500), default="")
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(12))  # processing | done
    rejection: Mapped[str | None] = mapped_column(String(1000), default=None)
    has_bom: Mapped[bool] = mapped_column(Boolean, default=False)
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    rows_ok: Mapped[int] = mapped_column(Integer, default=0)
    rows_failed: Mapped[int] = mapped_column(Integer, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    # Every group whose first row is at most this is settled (applied, or its failed rows say why);
    # advanced by one compare-and-set per batch, in the batch's own transaction.
    settled_through: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))


class RefundFileRow(Base):
    __tablename__ = "refund_file_rows"
    __table_args__ = (Index("ix_refund_file_rows_file_group_first_row", "file_id", "group_first_row"),)

    file_id: Mapped[int] = mapped_column(ForeignKey("refund_files.id", ondelete="CASCADE"), primary_key=True)
    row_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The row number of the first row of its (merchant_order_id, alt_refund_id) group: the rows of
    # a group share it, a row naming neither has its own. Groups are settled in this order.
    group_first_row: Mapped[int] = mapped_column(Integer)
    cells: Mapped[str] = mapped_column(Text)  # the row as read, one CSV record, echoed in the ack
    # False: the row failed (error says why). A row that did not fail passed once its group is
    # settled (group_first_row <= its file's settled_through).
    ok: Mapped[bool | None] = mapped_column(Boolean, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class Refund(Base):
    """One applied alt_refund_id. The unique key is what makes a refund apply at most once."""

    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("merchant_id", "merchant_order_id", "alt_refund_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    marketplace_order_id: Mapped[int] = mapped_column(ForeignKey("marketplace_orders.id"), index=True)
    merchant_order_id: Mapped[str] = mapped_column(String(100))
    alt_refund_id: Mapped[str] = mapped_column(String(100))
    file_id: Mapped[int] = mapped_column(ForeignKey("refund_files.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    lines: Mapped[list["RefundLine"]] = relationship(
        back_populates="refund", cascade="all, delete-orphan", order_by="RefundLine.id"
    )


class RefundLine(Base):
    __tablename__ = "refund_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[int] = mapped_column(ForeignKey("refunds.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("marketplace_order_items.id"), index=True)
    # The Homeward return this refund pays for, when one exists for the order's item.
    return_id: Mapped[int | None] = mapped_column(ForeignKey("return_orders.id"), default=None, index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    quantity_returned: Mapped[int] = mapped_column(Integer)
    quantity_refunded: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(100))
    feedback: Mapped[str | None] = mapped_column(String(40), default=None)
    notes: Mapped[str | None] = mapped_column(String(1000), default=None)
    principal: Mapped[Decimal] = mapped_column(Money())
    tax: Mapped[Decimal] = mapped_column(Money())
    shipping_cost: Mapped[Decimal] = mapped_column(Money())
    shipping_tax: Mapped[Decimal] = mapped_column(Money())

    refund: Mapped[Refund] = relationship(back_populates="lines")

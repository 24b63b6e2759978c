"""Read models handed to the doors: plain, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from homeward.marketplace.domain import Amounts
from homeward.refunds import domain
from homeward.refunds.models import RefundFile


class Source(StrEnum):
    """The door a file came through, which is also where its ack goes back to."""

    FTP = "ftp"  # Homeward's own FTP server; origin: the FTP username
    POLL = "poll"  # a merchant-hosted FTP site; origin: its URL without password
    API = "api"  # POST /refunds/v1/files
    CLI = "cli"  # homeward refunds process FILE; origin: the file's directory


class FileStatus(StrEnum):
    PROCESSING = "processing"
    DONE = "done"  # the ack was delivered


@dataclass(frozen=True)
class Inbound:
    """A refund file that has arrived: the bytes are at `path` (local, readable more than once)."""

    merchant_id: int
    name: str
    path: Path
    source: Source
    origin: str = ""


@dataclass(frozen=True)
class FileRecord:
    id: int
    merchant_id: int
    name: str
    source: Source
    origin: str
    status: FileStatus
    rejection: str | None
    row_count: int
    rows_ok: int
    rows_failed: int
    received_at: datetime
    finished_at: datetime | None

    @property
    def ack_name(self) -> str:
        return domain.ack_name(self.name)


@dataclass(frozen=True)
class FileOutcome:
    file: FileRecord
    ack_location: str


@dataclass(frozen=True)
class RefundLineRecord:
    order_item_id: str
    inventory_id: int | None
    return_id: int | None
    quantity_returned: int
    quantity_refunded: int
    reason: str
    feedback: str | None
    notes: str | None
    amounts: Amounts


@dataclass(frozen=True)
class RefundRecord:
    id: int
    merchant_order_id: str
    alt_refund_id: str
    file_id: int
    file_name: str
    created_at: datetime
    lines: tuple[RefundLineRecord, ...]


@dataclass(frozen=True)
class OrderItemRecord:
    order_item_id: str
    inventory_id: int | None
    quantity: int
    charged: Amounts
    refunded_quantity: int
    refunded: Amounts


@dataclass(frozen=True)
class MarketplaceOrderRecord:
    merchant_order_id: str
    store_order_id: str | None
    status: str
    items: tuple[OrderItemRecord, ...]
    refunds: tuple[RefundRecord, ...]


@dataclass(frozen=True)
class ReturnRefundsRecord:
    return_id: int
    reference_id: str
    store_order_id: str | None
    refunds: tuple[RefundRecord, ...]
    refunded: Amounts


def file_record(row: RefundFile) -> FileRecord:
    return FileRecord(
        id=row.id,
        merchant_id=row.merchant_id,
        name=row.name,
        source=Source(row.source),
        origin=row.origin,
        status=FileStatus(row.status),
        rejection=row.rejection,
        row_count=row.row_count,
        rows_ok=row.rows_ok,
        rows_failed=row.rows_failed,
        received_at=row.received_at,
        finished_at=row.finished_at,
    )

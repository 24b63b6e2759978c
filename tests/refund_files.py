"""Build Jet-style refund CSVs from the demo's marketplace orders, and read acks back."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from homeward.refunds.domain import ACK_COLUMNS, COLUMNS

GOOD_NAME = "JET_REFUND_072316143000.csv"
ORDER = "JET-ACME-1001"  # Completed: item -1 is 2 tees (48.70 in all), item -2 one mug (16.41)
TEES, MUG = "JET-ACME-1001-1", "JET-ACME-1001-2"


def refund_row(**overrides: Any) -> dict[str, str]:
    """A full refund of one tee of the demo's Completed order (one unit = half the line)."""
    row = {
        "merchant_order_id": ORDER,
        "alt_refund_id": "R-1",
        "order_item_id": TEES,
        "total_quantity_returned": "1",
        "order_return_refund_qty": "1",
        "refund_reason": "No longer want this item",
        "refund_feedback": "",
        "notes": "",
        "principal": "19.99",
        "tax": "1.65",
        "shipping_cost": "2.50",
        "shipping_tax": "0.21",
    }
    row.update({k: str(v) for k, v in overrides.items()})
    return row


def refund_csv(
    *rows: dict[str, str] | list[str], bom: bool = False, header: list[str] | None = None
) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header if header is not None else COLUMNS)
    for row in rows:
        writer.writerow([row[c] for c in COLUMNS] if isinstance(row, dict) else row)
    data = out.getvalue().encode()
    return b"\xef\xbb\xbf" + data if bom else data


def read_ack(data: bytes) -> list[dict[str, str]]:
    """The ack's rows as dicts, after checking its header is the input columns + Status, ErrorMessage."""
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader)
    assert tuple(header) == ACK_COLUMNS, header
    return [dict(zip(header, cells, strict=True)) for cells in reader]


def wait_for(condition: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def read_if_exists(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def cent_row(alt_refund_id: str) -> dict[str, str]:
    """A refund of one cent on the tees (no units), under the given alt_refund_id."""
    return refund_row(
        alt_refund_id=alt_refund_id,
        total_quantity_returned="0",
        order_return_refund_qty="0",
        principal="0.01",
        tax="0",
        shipping_cost="0",
        shipping_tax="0",
    )


def cent_refunds(count: int, prefix: str = "K") -> bytes:
    """`count` refunds of one cent each on the same item, each its own alt_refund_id."""
    return refund_csv(*(cent_row(f"{prefix}{n}") for n in range(count)))

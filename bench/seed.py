"""Bulk-load many returns for the demo merchant with Core executemany (no ORM units of work)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, text

from homeward.db import make_engine
from homeward.returns.models import ReturnItem, ReturnOrder, ReturnStatusEvent

STATUSES = ("Awaiting Arrival", "Arrived", "Processing", "Completed", "Cancelled")
# The statuses a return passed through to reach each final status (its history rows).
PATHS = {
    "Awaiting Arrival": ("Awaiting Arrival",),
    "Arrived": ("Awaiting Arrival", "Arrived"),
    "Processing": ("Awaiting Arrival", "Arrived", "Processing"),
    "Completed": ("Awaiting Arrival", "Arrived", "Processing", "Completed"),
    "Cancelled": ("Awaiting Arrival", "Cancelled"),
}
REFERENCE_PREFIX = "SEED-"
BATCH = 5_000


def reference_id(index: int) -> str:
    return f"{REFERENCE_PREFIX}{index:07d}"


def seed_returns(
    url: str, count: int, *, merchant_id: int = 1, channel_id: int = 11, fulfillment_center_id: int = 1
) -> tuple[int, int]:
    """Insert `count` returns (one item each, full status history); returns their (first, last) ids.

    Statuses cycle over the five values, so each holds count/5 returns spread over the whole id range.
    Ids are assigned here so that items and history can point at them without RETURNING.
    """
    engine = make_engine(url)
    orders, items, history = ReturnOrder.__table__, ReturnItem.__table__, ReturnStatusEvent.__table__
    try:
        with engine.begin() as conn:
            first_id = (conn.scalar(select(func.max(orders.c.id))) or 0) + 1
        start = datetime(2024, 1, 1, tzinfo=UTC)
        for offset in range(0, count, BATCH):
            batch = range(offset, min(offset + BATCH, count))
            rows = [
                _return_row(i, first_id + i, start, merchant_id, channel_id, fulfillment_center_id)
                for i in batch
            ]
            with engine.begin() as conn:
                conn.execute(orders.insert(), rows)
                conn.execute(items.insert(), [_item_row(row["id"]) for row in rows])
                conn.execute(history.insert(), [event for row in rows for event in _history_rows(row)])
        last_id = first_id + count - 1
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # Ids were given explicitly: move the sequence past them so later creates don't collide.
                conn.execute(
                    text("SELECT setval(pg_get_serial_sequence('return_orders', 'id'), :id)"), {"id": last_id}
                )
        return first_id, last_id
    finally:
        engine.dispose()


def analyze(url: str) -> None:
    """Refresh planner statistics, as autovacuum would shortly after a bulk load on PostgreSQL."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def _return_row(
    index: int, id_: int, start: datetime, merchant_id: int, channel_id: int, fulfillment_center_id: int
) -> dict[str, Any]:
    status = STATUSES[index % len(STATUSES)]
    inserted = start + timedelta(minutes=5 * index)
    updated = inserted + timedelta(hours=len(PATHS[status]) - 1)
    return {
        "id": id_,
        "merchant_id": merchant_id,
        "channel_id": channel_id,
        "reference_id": reference_id(index),
        "tracking_number": f"1ZBENCH{index:011d}",
        "fulfillment_center_id": fulfillment_center_id,
        "original_shipment_id": None,
        "store_order_id": f"BENCH-ORDER-{index}",
        "customer_name": "Bench Customer",
        "return_type": "Regular",
        "status": status,
        "insert_date": inserted,
        "updated_at": updated,
        "completed_date": updated if status == "Completed" else None,
    }


def _item_row(return_id: int) -> dict[str, Any]:
    return {
        "return_id": return_id,
        "inventory_id": 1001,
        "name": "Classic Tee (M)",
        "quantity": 1,
        "action": "Restock",
        "action_source": "InventoryDefault",
        "instructions": None,
        "lot_number": None,
        "lot_date": None,
        "bundle_parent_sku": None,
    }


def _history_rows(row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for step, status in enumerate(PATHS[row["status"]]):
        yield {
            "return_id": row["id"],
            "status": status,
            "occurred_at": row["insert_date"] + timedelta(hours=step),
        }


def count_returns(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(ReturnOrder.__table__)) or 0)
    finally:
        engine.dispose()

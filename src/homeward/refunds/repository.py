"""Every query about refund files and refunds, scoped to one file or one merchant."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, false, func, insert, select, text, update
from sqlalchemy.orm import Session, selectinload

from homeward.db import WRITE_OPTION, Database, engine_for
from homeward.marketplace.domain import Amounts
from homeward.marketplace.models import MarketplaceOrder, MarketplaceOrderItem
from homeward.refunds.domain import RowResult
from homeward.refunds.models import Refund, RefundFile, RefundFileGroup, RefundFileRow, RefundLine
from homeward.refunds.records import FileStatus
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder

Executor = Session | Connection
_rows = cast(Table, RefundFileRow.__table__)
_groups = cast(Table, RefundFileGroup.__table__)
_orders = cast(Table, MarketplaceOrder.__table__)
_items = cast(Table, MarketplaceOrderItem.__table__)
_refunds = cast(Table, Refund.__table__)
_lines = cast(Table, RefundLine.__table__)
_returns = cast(Table, ReturnOrder.__table__)
_return_items = cast(Table, ReturnItem.__table__)

# The statements run once per refund group are built once: building one costs more than running it.
_CLAIM = (
    update(_groups)
    .where(_groups.c.file_id == bindparam("b_file"), _groups.c.group_key == bindparam("b_key"))
    .where(_groups.c.done == false())
    .values(done=True)
)
_SAVE_VERDICT = (
    update(_rows)
    .where(_rows.c.file_id == bindparam("b_file"), _rows.c.row_number == bindparam("b_row"))
    .values(ok=bindparam("b_ok"), error=bindparam("b_error"))
)
_ASYNC_COMMIT = text("SET synchronous_commit = off")
_ANALYZE_STAGING = text("ANALYZE refund_file_rows, refund_file_groups")
_SYNC_COMMIT = text("RESET synchronous_commit")
_INSERT_LINE = insert(_lines)
_SET_REFUNDED = (
    update(_items)
    .where(_items.c.id == bindparam("b_id"))
    .values(
        refunded_quantity=bindparam("b_quantity"),
        **{f"refunded_{part}": bindparam(f"b_{part}") for part in Amounts.FIELDS},
    )
)
# A batch of groups is settled with a handful of set-based statements, whatever its size.
_CLAIM_MANY = (
    update(_groups)
    .where(
        _groups.c.file_id == bindparam("b_file"),
        _groups.c.group_key.in_(bindparam("b_keys", expanding=True)),
        _groups.c.done == false(),
    )
    .values(done=True)
    .returning(_groups.c.group_key)
)
_LOCK_ORDERS = (
    select(
        _orders.c.id,
        _orders.c.merchant_order_id,
        _orders.c.status,
        _orders.c.store_order_id,
        _items.c.id,
        _items.c.order_item_id,
        _items.c.inventory_id,
        _items.c.quantity,
        *(_items.c[part] for part in Amounts.FIELDS),
        _items.c.refunded_quantity,
        *(_items.c[f"refunded_{part}"] for part in Amounts.FIELDS),
    )
    .join(_items, _items.c.order_id == _orders.c.id)
    .where(
        _orders.c.merchant_id == bindparam("b_merchant"),
        _orders.c.merchant_order_id.in_(bindparam("b_orders", expanding=True)),
    )
    .order_by(_orders.c.id)  # every processor locks in the same order: no deadlock between them
    .with_for_update(of=_orders)
)
_USED_ALT_REFUND_IDS = select(_refunds.c.merchant_order_id, _refunds.c.alt_refund_id).where(
    _refunds.c.merchant_id == bindparam("b_merchant"),
    _refunds.c.merchant_order_id.in_(bindparam("b_orders", expanding=True)),
    _refunds.c.alt_refund_id.in_(bindparam("b_alts", expanding=True)),
)
_INSERT_REFUNDS = insert(_refunds).returning(_refunds.c.id, sort_by_parameter_order=True)
_OPEN_RETURNS_OF_ORDERS = (
    select(_returns.c.store_order_id, _return_items.c.inventory_id, func.max(_returns.c.id))
    .join(_return_items, _return_items.c.return_id == _returns.c.id)
    .where(
        _returns.c.merchant_id == bindparam("b_merchant"),
        _returns.c.store_order_id.in_(bindparam("b_store_orders", expanding=True)),
        _returns.c.status != ReturnStatus.CANCELLED.value,
    )
    .group_by(_returns.c.store_order_id, _return_items.c.inventory_id)
)
_GROUPS_OK = (
    update(_rows)
    .where(_rows.c.file_id == bindparam("b_file"), _rows.c.group_key.in_(bindparam("b_keys", expanding=True)))
    .values(ok=True, error=None)
)


# --- files and their staged rows -----------------------------------------------------------------


def unfinished_upload(session: Session, merchant_id: int, name: str, sha256: str) -> RefundFile | None:
    return session.scalars(
        select(RefundFile).where(
            RefundFile.merchant_id == merchant_id,
            RefundFile.name == name,
            RefundFile.sha256 == sha256,
            RefundFile.status == FileStatus.PROCESSING.value,
        )
    ).first()


def stage_rows(session: Session, file_id: int, rows: Iterable[tuple[int, str, list[str]]]) -> int:
    """Insert (row number, group key, cells) in batches; returns how many rows were staged."""
    count, batch = 0, []
    for number, key, cells in rows:
        batch.append(
            {
                "file_id": file_id,
                "row_number": number,
                "group_key": key,
                "cells": json.dumps(cells, ensure_ascii=False),
            }
        )
        if len(batch) >= 2000:
            count += _insert(session, batch)
            batch = []
    return count + (_insert(session, batch) if batch else 0)


def _insert(session: Session, batch: list[dict[str, Any]]) -> int:
    session.execute(_rows.insert(), batch)
    return len(batch)


def index_groups(session: Session, file_id: int) -> None:
    """One group per (merchant_order_id, alt_refund_id), remembering the first row it appears on."""
    session.execute(
        _groups.insert().from_select(
            ["file_id", "group_key", "first_row", "done"],
            select(_rows.c.file_id, _rows.c.group_key, func.min(_rows.c.row_number), false())
            .where(_rows.c.file_id == file_id)
            .group_by(_rows.c.file_id, _rows.c.group_key),
        )
    )


def pending_groups(session: Session, file_id: int, after_row: int, limit: int) -> list[tuple[str, int]]:
    query = (
        select(_groups.c.group_key, _groups.c.first_row)
        .where(_groups.c.file_id == file_id, _groups.c.first_row > after_row, _groups.c.done == false())
        .order_by(_groups.c.first_row)
        .limit(limit)
    )
    return [(key, first) for key, first in session.execute(query)]


def rows_of_groups(session: Session, file_id: int, keys: list[str]) -> dict[str, list[tuple[int, list[str]]]]:
    """The rows of many groups in one query, each group's rows in file order."""
    found: dict[str, list[tuple[int, list[str]]]] = {key: [] for key in keys}
    if not keys:
        return found
    # Sorted here, not in SQL: asked to ORDER BY row_number, SQLite walks the primary key over
    # every row of the file instead of the (file_id, group_key) index, once per batch: a 100,000-row
    # file took thirty times as long as a 10,000-row one.
    query = select(_rows.c.group_key, _rows.c.row_number, _rows.c.cells).where(
        _rows.c.file_id == file_id, _rows.c.group_key.in_(keys)
    )
    for key, number, cells in session.execute(query):
        found[key].append((number, json.loads(cells)))
    for rows in found.values():
        rows.sort(key=lambda row: row[0])
    return found


@contextmanager
def group_connection(db: Database) -> Iterator[Connection]:
    """One connection for settling a file's groups, one transaction per group.

    Write transactions on it begin as writers (SQLite: BEGIN IMMEDIATE). On PostgreSQL its
    commits do not wait for the disk (asynchronous commit); service.seal() makes them durable
    before any ack leaves. The setting is reset before the connection goes back to the pool.
    """
    with engine_for(db.url).connect() as plain:
        connection = plain.execution_options(**{WRITE_OPTION: True})
        relaxed = connection.dialect.name == "postgresql"
        if relaxed:
            # A file's rows were just staged, more than autovacuum has looked at yet: without fresh
            # statistics the planner takes the staging tables for small and scans them whole for
            # every batch (a 100,000-row file cost per row what ten 10,000-row files did not).
            connection.execute(_ANALYZE_STAGING)
            connection.execute(_ASYNC_COMMIT)
            connection.commit()
        try:
            yield connection
        finally:
            if relaxed and not connection.invalidated:
                connection.rollback()
                connection.execute(_SYNC_COMMIT)
                connection.commit()


def claim_group(session: Executor, file_id: int, group_key: str) -> bool:
    """Mark a group settled, locking it; False if another processor (or an earlier run) did."""
    result = session.execute(_CLAIM, {"b_file": file_id, "b_key": group_key})
    return cast(int, getattr(result, "rowcount", 0)) == 1


def save_verdicts(session: Executor, file_id: int, results: Sequence[RowResult]) -> None:
    session.execute(
        _SAVE_VERDICT,
        [
            {"b_file": file_id, "b_row": r.row_number, "b_ok": r.ok, "b_error": r.message or None}
            for r in results
        ],
    )


def verdicts_after(
    session: Session, file_id: int, after_row: int, limit: int
) -> list[tuple[int, list[str], bool | None, str | None]]:
    query = (
        select(_rows.c.row_number, _rows.c.cells, _rows.c.ok, _rows.c.error)
        .where(_rows.c.file_id == file_id, _rows.c.row_number > after_row)
        .order_by(_rows.c.row_number)
        .limit(limit)
    )
    return [(n, json.loads(cells), ok, error) for n, cells, ok, error in session.execute(query)]


def verdict_counts(session: Session, file_id: int) -> tuple[int, int]:
    counts: dict[bool | None, int] = dict(
        session.execute(
            select(_rows.c.ok, func.count()).where(_rows.c.file_id == file_id).group_by(_rows.c.ok)
        ).all()
    )
    return int(counts.get(True, 0)), int(counts.get(False, 0))


def store_counts(session: Session, file_id: int, rows_ok: int, rows_failed: int) -> None:
    session.execute(
        update(RefundFile).where(RefundFile.id == file_id).values(rows_ok=rows_ok, rows_failed=rows_failed)
    )


# --- orders and refunds --------------------------------------------------------------------------


@dataclass(frozen=True)
class LockedItem:
    id: int
    inventory_id: int | None
    quantity: int
    charged: Amounts
    refunded_quantity: int
    refunded: Amounts


@dataclass(frozen=True)
class LockedOrder:
    id: int
    merchant_order_id: str
    status: str
    store_order_id: str | None
    items: dict[str, LockedItem]


def claim_groups(connection: Connection, file_id: int, keys: Sequence[str]) -> set[str]:
    """Mark many groups settled at once; returns those this transaction claimed (not settled before,
    nor by another processor, whose claim this waits for)."""
    result = connection.execute(_CLAIM_MANY, {"b_file": file_id, "b_keys": list(keys)})
    return {key for (key,) in result}


def lock_orders(
    connection: Connection, merchant_id: int, merchant_order_ids: Sequence[str]
) -> dict[str, LockedOrder]:
    """Many orders with their items, locked, by merchant_order_id. Refunds of one order take turns
    under this lock, so no total can be overspent; ask used_alt_refund_ids once it is held."""
    if not merchant_order_ids:
        return {}
    params = {"b_merchant": merchant_id, "b_orders": sorted(set(merchant_order_ids))}
    heads: dict[str, tuple[int, str, str | None]] = {}
    items: dict[str, dict[str, LockedItem]] = {}
    for row in connection.execute(_LOCK_ORDERS, params):
        heads.setdefault(row[1], (row[0], row[2], row[3]))
        items.setdefault(row[1], {})[row[5]] = LockedItem(
            id=row[4],
            inventory_id=row[6],
            quantity=row[7],
            charged=Amounts(*row[8:12]),
            refunded_quantity=row[12],
            refunded=Amounts(*row[13:17]),
        )
    return {
        name: LockedOrder(id_, name, status, store, items[name])
        for name, (id_, status, store) in heads.items()
    }


def used_alt_refund_ids(
    connection: Connection, merchant_id: int, pairs: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which (merchant_order_id, alt_refund_id) pairs were applied already, by any file."""
    if not pairs:
        return set()
    params = {
        "b_merchant": merchant_id,
        "b_orders": sorted({order for order, _ in pairs}),
        "b_alts": sorted({alt for _, alt in pairs}),
    }
    return {(order, alt) for order, alt in connection.execute(_USED_ALT_REFUND_IDS, params)} & pairs


def insert_refunds(connection: Connection, refunds: list[dict[str, Any]]) -> list[int]:
    """Insert many refunds; their ids in the order given."""
    return [int(id_) for (id_,) in connection.execute(_INSERT_REFUNDS, refunds)]


def open_returns_of_orders(
    connection: Connection, merchant_id: int, store_order_ids: set[str]
) -> dict[tuple[str, int], int]:
    """The newest open return per (Homeward order, product) among these orders."""
    if not store_order_ids:
        return {}
    params = {"b_merchant": merchant_id, "b_store_orders": sorted(store_order_ids)}
    return {
        (order, inventory): int(id_)
        for order, inventory, id_ in connection.execute(_OPEN_RETURNS_OF_ORDERS, params)
    }


def save_batch_verdicts(
    connection: Connection, file_id: int, ok_groups: Sequence[str], failed: Sequence[RowResult]
) -> None:
    """Every row of the groups that passed is TRUE (one statement); failed rows say why."""
    for start in range(0, len(ok_groups), 1000):
        connection.execute(_GROUPS_OK, {"b_file": file_id, "b_keys": list(ok_groups[start : start + 1000])})
    if failed:
        save_verdicts(connection, file_id, failed)


def insert_lines(session: Executor, lines: list[dict[str, Any]]) -> None:
    session.execute(_INSERT_LINE, lines)


def set_refunded(session: Executor, totals: list[tuple[int, int, Amounts]]) -> None:
    """Store each item's new refunded totals (computed under the order's lock)."""
    session.execute(
        _SET_REFUNDED,
        [
            {
                "b_id": item_id,
                "b_quantity": quantity,
                **{f"b_{part}": amount for part, amount in amounts.items()},
            }
            for item_id, quantity, amounts in totals
        ],
    )


def refunds_where(
    session: Session, *conditions: Any
) -> list[tuple[Refund, str, dict[int, MarketplaceOrderItem]]]:
    """Refunds (with lines), the name of the file each came in, and the items their lines refer to."""
    refunds = list(
        session.scalars(
            select(Refund).where(*conditions).options(selectinload(Refund.lines)).order_by(Refund.id)
        )
    )
    if not refunds:
        return []
    names = dict(
        session.execute(
            select(RefundFile.id, RefundFile.name).where(RefundFile.id.in_({r.file_id for r in refunds}))
        ).all()
    )
    item_ids = {line.item_id for r in refunds for line in r.lines}
    items = {
        i.id: i
        for i in session.scalars(select(MarketplaceOrderItem).where(MarketplaceOrderItem.id.in_(item_ids)))
    }
    return [(r, names.get(r.file_id, ""), items) for r in refunds]


def refunds_of_return(
    session: Session, merchant_id: int, return_id: int
) -> list[tuple[Refund, str, dict[int, MarketplaceOrderItem]]]:
    linked = select(RefundLine.refund_id).where(RefundLine.return_id == return_id)
    return refunds_where(session, Refund.merchant_id == merchant_id, Refund.id.in_(linked))

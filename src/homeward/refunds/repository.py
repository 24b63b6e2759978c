"""Every query about refund files and refunds, scoped to one file or one merchant."""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Connection,
    String,
    Table,
    Text,
    any_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    null,
    select,
    text,
    true,
    update,
)
from sqlalchemy.orm import Session, selectinload

from homeward.db import WRITE_OPTION, Database, engine_for
from homeward.kit import bulk
from homeward.kit.clock import utcnow
from homeward.marketplace.domain import Amounts
from homeward.marketplace.models import MarketplaceOrder, MarketplaceOrderItem
from homeward.refunds import csv_format
from homeward.refunds.domain import ItemFacts, RowResult
from homeward.refunds.models import Refund, RefundFile, RefundFileRow, RefundLine
from homeward.refunds.records import FileStatus
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder

Executor = Session | Connection
_rows = cast(Table, RefundFileRow.__table__)
_files = cast(Table, RefundFile.__table__)
_orders = cast(Table, MarketplaceOrder.__table__)
_items = cast(Table, MarketplaceOrderItem.__table__)
_refunds = cast(Table, Refund.__table__)
_lines = cast(Table, RefundLine.__table__)
_returns = cast(Table, ReturnOrder.__table__)
_return_items = cast(Table, ReturnItem.__table__)

_ASYNC_COMMIT = text("SET synchronous_commit = off")
# A batch touches a few thousand orders and items by key, all in cache: priced at the default
# random_page_cost (4, for spinning disks) the planner hashes the whole items table per batch
# instead (seen at 110,000 items: 30-60 ms instead of 8-40 ms, twice per batch).
_CACHED_PAGES = text("SET random_page_cost = 1.1")
_RESET_PAGES = text("RESET random_page_cost")
_ANALYZE_STAGING = text("ANALYZE refund_file_rows")
_SYNC_COMMIT = text("RESET synchronous_commit")
_group_first_row = _rows.c.group_first_row
# The first rows of the next b_limit groups after b_after, by the (file_id, group_first_row) index.
_NEXT_GROUPS = (
    select(_group_first_row)
    .where(_rows.c.file_id == bindparam("b_file"), _group_first_row > bindparam("b_after"))
    .distinct()
    .order_by(_group_first_row)
    .limit(bindparam("b_limit"))
    .subquery()
)
# A batch is the groups whose first row lies in (b_after, last]: its rows in one statement.
_ROWS_OF_NEXT_GROUPS = select(_group_first_row, _rows.c.row_number, _rows.c.cells).where(
    _rows.c.file_id == bindparam("b_file"),
    _group_first_row > bindparam("b_after"),
    _group_first_row <= select(func.max(_NEXT_GROUPS.c.group_first_row)).scalar_subquery(),
)
# Claiming a batch: one compare-and-set of the file's watermark, in the batch's transaction.
_CLAIM_SPAN = (
    update(_files)
    .where(_files.c.id == bindparam("b_file"), _files.c.settled_through == bindparam("b_after"))
    .values(settled_through=bindparam("b_last"))
)
# A row's verdict: FALSE where it failed (ok = false, with its error); otherwise TRUE once its group
# is settled (its first row at most the file's watermark, b_through). Passed rows are not written
# at all. (ok = true is also read as passed: rows settled before migration 0011.)
_VERDICT = case(
    (_rows.c.ok == false(), false()),
    ((_rows.c.ok == true()) | (_group_first_row <= bindparam("b_through")), true()),
    else_=null(),
)


def _in_list(column: Any, name: str, dialect: str) -> Any:
    """`column IN (:name)` with the whole list bound as ONE value (see _listed), so the statement's
    text is the same for 3 values or 20,000 and no driver limit on parameters is met."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(select(func.json_each(bindparam(name)).table_valued("value").c.value))


def _listed(values: Iterable[str], dialect: str) -> Any:
    ordered = sorted(set(values))
    return ordered if dialect == "postgresql" else json.dumps(ordered, ensure_ascii=False)


_SPACE = literal_column("' '", Text)


def _amounts_text(prefix: str) -> Any:
    """An item's four amounts (Amounts.FIELDS, each column named with `prefix`) as ONE text,
    '20.00 1.60 4.00 0.32': items repeat their amounts, so the caller turns each distinct text
    into Amounts once, and keys its cache by one string instead of four values."""
    joined: Any = _items.c[f"{prefix}{Amounts.FIELDS[0]}"].cast(Text)
    for part in Amounts.FIELDS[1:]:
        joined = joined + _SPACE + _items.c[f"{prefix}{part}"].cast(Text)
    return joined


@functools.cache
def _lock_orders(dialect: str) -> Any:
    return (
        select(
            _orders.c.id,
            _orders.c.merchant_order_id,
            _orders.c.status,
            _orders.c.store_order_id,
            _items.c.id,
            _items.c.order_item_id,
            _items.c.inventory_id,
            _items.c.quantity,
            _amounts_text(""),
            _items.c.refunded_quantity,
            _amounts_text("refunded_"),
        )
        .join(_items, _items.c.order_id == _orders.c.id)
        .where(
            _orders.c.merchant_id == bindparam("b_merchant"),
            _in_list(_orders.c.merchant_order_id, "b_orders", dialect),
        )
        .order_by(_orders.c.id)  # every processor locks in the same order: no deadlock between them
        # The items too: a read that waited for another transaction's locks then returns the
        # items as that one left them (PostgreSQL reads the latest version of a row it locks,
        # but the joined rows of a table it does not lock as they were when the read began).
        .with_for_update(of=[_orders, _items])
    )


@functools.cache
def _alt_refund_ids_of_orders(dialect: str) -> Any:
    return select(_refunds.c.merchant_order_id, _refunds.c.alt_refund_id).where(
        _refunds.c.merchant_id == bindparam("b_merchant"),
        _in_list(_refunds.c.merchant_order_id, "b_orders", dialect),
    )


@functools.cache
def _open_returns_of_orders(dialect: str) -> Any:
    return (
        select(_returns.c.store_order_id, _return_items.c.inventory_id, func.max(_returns.c.id))
        .join(_return_items, _return_items.c.return_id == _returns.c.id)
        .where(
            _returns.c.merchant_id == bindparam("b_merchant"),
            _in_list(_returns.c.store_order_id, "b_store_orders", dialect),
            _returns.c.status != ReturnStatus.CANCELLED.value,
        )
        .group_by(_returns.c.store_order_id, _return_items.c.inventory_id)
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


def stage_rows(session: Session, file_id: int, rows: Iterable[tuple[int, int, list[str]]]) -> int:
    """Insert (row number, its group's first row, cells), streamed in one bulk statement; returns
    how many. The cells are kept as one CSV record (csv_format.LineEncoder)."""
    encode = csv_format.LineEncoder()
    return bulk.insert(
        session.connection(),
        "refund_file_rows",
        ("file_id", "row_number", "group_first_row", "cells"),
        ((file_id, number, first, encode(cells)) for number, first, cells in rows),
    )


def settled_through(session: Executor, file_id: int) -> int:
    """The file's watermark: every group whose first row is at most this is settled."""
    return int(session.execute(select(_files.c.settled_through).where(_files.c.id == file_id)).scalar_one())


def next_groups(
    session: Session, file_id: int, after_row: int, limit: int
) -> tuple[int, list[tuple[int, list[tuple[int, list[str]]]]]] | None:
    """The next `limit` groups whose first row is after `after_row`, in one query: (the last of
    their first rows, [(first row, [(row number, cells)] in file order)] in the order of their
    first rows), or None when none is left."""
    params = {"b_file": file_id, "b_after": after_row, "b_limit": limit}
    rows = bulk.fetch_all(session.connection(), _ROWS_OF_NEXT_GROUPS, params)
    if not rows:
        return None
    # Sorted here, not in SQL: asked to ORDER BY, SQLite sorts in a temporary b-tree instead.
    rows.sort(key=operator.itemgetter(0, 1))
    groups: dict[int, list[tuple[int, list[str]]]] = {}
    for (first, number, _), cells in zip(
        rows, csv_format.decode_lines([row[2] for row in rows]), strict=True
    ):
        members = groups.get(first)
        if members is None:
            groups[first] = [(number, cells)]
        else:
            members.append((number, cells))
    return rows[-1][0], list(groups.items())


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
            connection.execute(_CACHED_PAGES)
            connection.commit()
        try:
            yield connection
        finally:
            if relaxed and not connection.invalidated:
                connection.rollback()
                connection.execute(_SYNC_COMMIT)
                connection.execute(_RESET_PAGES)
                connection.commit()


def save_verdicts(connection: Connection, file_id: int, results: Sequence[RowResult]) -> None:
    bulk.update(
        connection,
        "refund_file_rows",
        set_columns=(("ok", "boolean"), ("error", "text")),
        key=(("row_number", "int"),),
        fixed=(("file_id", file_id),),
        rows=[(r.row_number, r.ok, r.message or None) for r in results],
    )


_VERDICTS_AFTER = (
    select(_rows.c.row_number, _rows.c.cells, _VERDICT, _rows.c.error)
    .where(_rows.c.file_id == bindparam("b_file"), _rows.c.row_number > bindparam("b_after"))
    .order_by(_rows.c.row_number)
    .limit(bindparam("b_limit"))
)


def verdicts_after(
    session: Session, file_id: int, through: int, after_row: int, limit: int
) -> list[tuple[int, str, bool | None, str | None]]:
    """Rows in file order with their verdict (None: not settled yet) and error, given the file's
    watermark `through` (see settled_through); the cells as staged (csv_format.LineEncoder)."""
    params = {"b_file": file_id, "b_through": through, "b_after": after_row, "b_limit": limit}
    return bulk.fetch_all(session.connection(), _VERDICTS_AFTER, params)


def verdict_counts(session: Session, file_id: int, through: int) -> tuple[int, int]:
    """How many rows passed and how many failed, given the file's watermark `through`."""
    verdict = _VERDICT.label("verdict")
    query = select(verdict, func.count()).where(_rows.c.file_id == file_id).group_by(verdict)
    counts: dict[bool | None, int] = {ok: n for ok, n in session.execute(query, {"b_through": through})}
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
    facts: ItemFacts  # as locked, before this batch


@dataclass(frozen=True)
class LockedOrder:
    id: int
    merchant_order_id: str
    status: str
    store_order_id: str | None
    items: dict[str, LockedItem]


def claim_span(connection: Connection, file_id: int, after_row: int, last_row: int) -> bool:
    """Mark the groups whose first row is in (after_row, last_row] settled, if the file's watermark
    is still `after_row`: False if another processor (or an earlier run) moved it (a concurrent
    claim is waited for: the file's row stays locked until its transaction ends)."""
    params = {"b_file": file_id, "b_after": after_row, "b_last": last_row}
    return connection.execute(_CLAIM_SPAN, params).rowcount == 1


def lock_orders(
    connection: Connection, merchant_id: int, merchant_order_ids: Iterable[str]
) -> dict[str, LockedOrder]:
    """Many orders with their items, locked, by merchant_order_id. Refunds of one order take turns
    under this lock, so no total can be overspent; ask used_alt_refund_ids once it is held."""
    names = set(merchant_order_ids)
    if not names:
        return {}
    dialect = connection.dialect.name
    params = {"b_merchant": merchant_id, "b_orders": _listed(names, dialect)}
    known: dict[str, Amounts] = {}  # items repeat their amounts: each text read once
    orders: dict[str, LockedOrder] = {}
    order: LockedOrder | None = None
    for (
        order_id,
        name,
        status,
        store,
        item_id,
        key,
        inventory,
        quantity,
        charged,
        units,
        refunded,
    ) in bulk.fetch_all(connection, _lock_orders(dialect), params):
        if order is None or order.id != order_id:  # an order's rows come together (ORDER BY its id)
            order = orders[name] = LockedOrder(order_id, name, status, store, {})
        charged_ = known.get(charged) or known.setdefault(charged, _parse_amounts(charged))
        refunded_ = known.get(refunded) or known.setdefault(refunded, _parse_amounts(refunded))
        order.items[key] = LockedItem(
            item_id, inventory, ItemFacts(key, quantity, charged_, units, refunded_)
        )
    return orders


def _parse_amounts(text: str) -> Amounts:
    return Amounts(*map(Decimal, text.split(" ")))


def used_alt_refund_ids(
    connection: Connection, merchant_id: int, pairs: set[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Which (merchant_order_id, alt_refund_id) pairs were applied already, by any file."""
    if not pairs:
        return set()
    dialect = connection.dialect.name
    params = {"b_merchant": merchant_id, "b_orders": _listed((order for order, _ in pairs), dialect)}
    return {
        (order, alt) for order, alt in connection.execute(_alt_refund_ids_of_orders(dialect), params)
    } & pairs


REFUND_COLUMNS = (
    "id",
    "merchant_id",
    "marketplace_order_id",
    "merchant_order_id",
    "alt_refund_id",
    "file_id",
    "created_at",
)


def insert_refunds(
    connection: Connection, merchant_id: int, file_id: int, refunds: Sequence[tuple[int, str, str]]
) -> list[int]:
    """Insert refunds given as (marketplace order id, merchant_order_id, alt_refund_id); their ids
    in the order given."""
    ids = bulk.new_ids(connection, "refunds", len(refunds))
    now = bulk.timestamp(connection, utcnow())
    bulk.insert(
        connection,
        "refunds",
        REFUND_COLUMNS,
        (
            (id_, merchant_id, order_id, name, alt, file_id, now)
            for id_, (order_id, name, alt) in zip(ids, refunds, strict=True)
        ),
    )
    return ids


def open_returns_of_orders(
    connection: Connection, merchant_id: int, store_order_ids: set[str]
) -> dict[tuple[str, int], int]:
    """The newest open return per (Homeward order, product) among these orders."""
    if not store_order_ids:
        return {}
    dialect = connection.dialect.name
    params = {"b_merchant": merchant_id, "b_store_orders": _listed(store_order_ids, dialect)}
    return {
        (order, inventory): int(id_)
        for order, inventory, id_ in connection.execute(_open_returns_of_orders(dialect), params)
    }


def save_failed_verdicts(connection: Connection, file_id: int, failed: Sequence[RowResult]) -> None:
    """Failed rows say why; the rows of groups that passed need no write (see _VERDICT)."""
    if failed:
        save_verdicts(connection, file_id, failed)


# An Amounts' four parts in Amounts.FIELDS order, as a tuple (one C call per line of a big file).
AMOUNT_PARTS = operator.attrgetter(*Amounts.FIELDS)
LINE_COLUMNS = (
    "refund_id",
    "item_id",
    "return_id",
    "row_number",
    "quantity_returned",
    "quantity_refunded",
    "reason",
    "feedback",
    "notes",
    *Amounts.FIELDS,
)


def amount_parts(connection: Connection) -> Callable[[Amounts], tuple[Any, ...]]:
    """An Amounts' four parts in Amounts.FIELDS order, as this backend binds them (see
    bulk.money), each distinct Amounts converted once: the lines of a file repeat their amounts
    (parse_row hands out one Amounts per distinct four cells)."""
    as_money = bulk.money(connection)
    known: dict[int, tuple[Amounts, tuple[Any, ...]]] = {}  # by id, the Amounts kept alive with it

    def parts(amounts: Amounts) -> tuple[Any, ...]:
        found = known.get(id(amounts))
        if found is None:
            found = known[id(amounts)] = (amounts, tuple(map(as_money, AMOUNT_PARTS(amounts))))
        return found[1]

    return parts


def insert_lines(connection: Connection, lines: Iterable[Sequence[Any]]) -> None:
    """Refund lines as tuples of LINE_COLUMNS, their amounts as amount_parts gives them."""
    bulk.insert(connection, "refund_lines", LINE_COLUMNS, lines)


def set_refunded(connection: Connection, totals: list[tuple[int, int, Amounts]]) -> None:
    """Store each item's new refunded totals (computed under the order's lock)."""
    as_money = bulk.money(connection)
    bulk.update(
        connection,
        "marketplace_order_items",
        set_columns=(
            ("refunded_quantity", "int"),
            *((f"refunded_{part}", "numeric") for part in Amounts.FIELDS),
        ),
        key=(("id", "int"),),
        rows=[
            (item_id, quantity, *map(as_money, AMOUNT_PARTS(amounts)))
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

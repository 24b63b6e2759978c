"""Every query about refund files and refunds, scoped to one file or one merchant."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, bindparam, false, func, select, update
from sqlalchemy.orm import Session, selectinload

from homeward.marketplace.models import MarketplaceOrder, MarketplaceOrderItem
from homeward.refunds.domain import RowResult
from homeward.refunds.models import Refund, RefundFile, RefundFileGroup, RefundFileRow, RefundLine
from homeward.refunds.records import FileStatus
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder

_rows = cast(Table, RefundFileRow.__table__)
_groups = cast(Table, RefundFileGroup.__table__)


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


def claim_group(session: Session, file_id: int, group_key: str) -> bool:
    """Lock a group for settling; False if another processor settled it already."""
    done = session.scalars(
        select(RefundFileGroup.done)
        .where(RefundFileGroup.file_id == file_id, RefundFileGroup.group_key == group_key)
        .with_for_update()
    ).first()
    return done is False


def group_rows(session: Session, file_id: int, group_key: str) -> list[tuple[int, list[str]]]:
    query = (
        select(_rows.c.row_number, _rows.c.cells)
        .where(_rows.c.file_id == file_id, _rows.c.group_key == group_key)
        .order_by(_rows.c.row_number)
    )
    return [(number, json.loads(cells)) for number, cells in session.execute(query)]


def settle(session: Session, file_id: int, group_key: str, results: Sequence[RowResult]) -> None:
    session.execute(
        update(_rows)
        .where(_rows.c.file_id == file_id, _rows.c.row_number == bindparam("b_row"))
        .values(ok=bindparam("b_ok"), error=bindparam("b_error")),
        [{"b_row": r.row_number, "b_ok": r.ok, "b_error": r.message or None} for r in results],
    )
    session.execute(
        update(_groups)
        .where(_groups.c.file_id == file_id, _groups.c.group_key == group_key)
        .values(done=True)
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


# --- orders and refunds --------------------------------------------------------------------------


def order_for_update(session: Session, merchant_id: int, merchant_order_id: str) -> MarketplaceOrder | None:
    """The order, locked: every refund of one order waits its turn, so totals cannot be overspent."""
    return session.scalars(
        select(MarketplaceOrder)
        .where(
            MarketplaceOrder.merchant_id == merchant_id,
            MarketplaceOrder.merchant_order_id == merchant_order_id,
        )
        .options(selectinload(MarketplaceOrder.items))
        .with_for_update(of=MarketplaceOrder)
    ).first()


def refund_exists(session: Session, merchant_id: int, merchant_order_id: str, alt_refund_id: str) -> bool:
    query = select(Refund.id).where(
        Refund.merchant_id == merchant_id,
        Refund.merchant_order_id == merchant_order_id,
        Refund.alt_refund_id == alt_refund_id,
    )
    return session.scalars(query.limit(1)).first() is not None


def return_for_item(session: Session, merchant_id: int, store_order_id: str, inventory_id: int) -> int | None:
    """The newest open return of the same Homeward order that holds this product, if any."""
    query = (
        select(ReturnOrder.id)
        .join(ReturnItem, ReturnItem.return_id == ReturnOrder.id)
        .where(
            ReturnOrder.merchant_id == merchant_id,
            ReturnOrder.store_order_id == store_order_id,
            ReturnOrder.status != ReturnStatus.CANCELLED.value,
            ReturnItem.inventory_id == inventory_id,
        )
        .order_by(ReturnOrder.id.desc())
        .limit(1)
    )
    return session.scalars(query).first()


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

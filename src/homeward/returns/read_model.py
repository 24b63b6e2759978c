"""The read side of returns: ReturnRecords built from plain rows in four queries, no ORM objects.

Lists and single reads are the hot path, and loading ORM objects (identity map, relationship
loaders, per-row instrumentation) costs several times what reading the same rows does, so reads
skip the domain model, as cosmicpython's CQRS chapter suggests. Writes keep the ORM model.
Every query is scoped by the caller's conditions, which always include the merchant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from homeward.catalog.models import FulfillmentCenter
from homeward.kit.orm import in_ids
from homeward.kit.pagination import Cursor
from homeward.receiving.models import Inspection
from homeward.returns.listing import ReturnFilter
from homeward.returns.models import ReturnItem, ReturnOrder, ReturnTransaction
from homeward.returns.records import ReturnRecord, build_record
from homeward.returns.repository import filter_conditions
from homeward.tenants.models import Channel, Merchant

_HEAD = select(
    ReturnOrder.id,
    ReturnOrder.reference_id,
    ReturnOrder.status,
    ReturnOrder.return_type,
    ReturnOrder.tracking_number,
    ReturnOrder.channel_id,
    ReturnOrder.fulfillment_center_id,
    ReturnOrder.original_shipment_id,
    ReturnOrder.store_order_id,
    ReturnOrder.customer_name,
    ReturnOrder.insert_date,
    ReturnOrder.completed_date,
    Channel.name.label("channel_name"),
    FulfillmentCenter.name.label("fulfillment_center_name"),
    Merchant.name.label("merchant_name"),
).select_from(
    ReturnOrder.__table__.join(Channel.__table__, Channel.id == ReturnOrder.channel_id)
    .join(FulfillmentCenter.__table__, FulfillmentCenter.id == ReturnOrder.fulfillment_center_id)
    .join(Merchant.__table__, Merchant.id == ReturnOrder.merchant_id)
)
_ITEMS = select(
    ReturnItem.return_id,
    ReturnItem.id,
    ReturnItem.inventory_id,
    ReturnItem.name,
    ReturnItem.quantity,
    ReturnItem.action,
    ReturnItem.action_source,
    ReturnItem.instructions,
    ReturnItem.lot_number,
    ReturnItem.lot_date,
    ReturnItem.bundle_parent_sku,
    ReturnItem.order_item_id,
    ReturnItem.reason_code,
).order_by(ReturnItem.id)
_TRANSACTIONS = select(
    ReturnTransaction.return_id, ReturnTransaction.transaction_type, ReturnTransaction.amount
).order_by(ReturnTransaction.id)
_INSPECTIONS = select(
    Inspection.return_id,
    Inspection.inventory_id,
    Inspection.name,
    Inspection.action,
    Inspection.reason,
    Inspection.quantity,
    Inspection.photo_key,
).order_by(Inspection.id)


@cache
def _batch_queries(dialect: str) -> tuple[Select[*tuple[Any, ...]], ...]:
    """Items, transactions and inspections of a batch of returns (ids bound as `ids`), built once
    per kind of database so each execution only binds values."""
    return (
        _ITEMS.where(in_ids(ReturnItem.return_id, dialect)),
        _TRANSACTIONS.where(in_ids(ReturnTransaction.return_id, dialect)),
        _INSPECTIONS.where(in_ids(Inspection.return_id, dialect)),
    )


def record(session: Session, merchant_id: int, return_id: int) -> ReturnRecord | None:
    """One of the merchant's returns, or None (another merchant's return is simply not there)."""
    found = records(session, _HEAD.where(ReturnOrder.id == return_id, ReturnOrder.merchant_id == merchant_id))
    return found[0] if found else None


def page(
    session: Session, merchant_id: int, filters: ReturnFilter, cursor: Cursor, limit: int
) -> list[ReturnRecord]:
    """Up to limit+1 returns in display order, seeking from the cursor by id (keyset pagination)."""
    descending = filters.newest_first != cursor.backwards  # reading backwards flips the order
    query = _HEAD.where(*filter_conditions(merchant_id, filters))
    if cursor.key is not None:
        query = query.where(ReturnOrder.id < cursor.key if descending else ReturnOrder.id > cursor.key)
    query = query.order_by(ReturnOrder.id.desc() if descending else ReturnOrder.id.asc()).limit(limit + 1)
    found = records(session, query)
    if cursor.backwards:
        found.reverse()
    return found


def numbered_page(
    session: Session, merchant_id: int, filters: ReturnFilter, offset: int, limit: int
) -> tuple[list[ReturnRecord], int]:
    """Numbered pages for the 1.0 dialect, with the total it reports in headers."""
    conditions = filter_conditions(merchant_id, filters)
    order = ReturnOrder.id.desc() if filters.newest_first else ReturnOrder.id.asc()
    found = records(session, _HEAD.where(*conditions).order_by(order).offset(offset).limit(limit))
    total = session.scalar(select(func.count()).select_from(ReturnOrder).where(*conditions)) or 0
    return found, int(total)


def records(session: Session, query: Select[*tuple[Any, ...]]) -> list[ReturnRecord]:
    """The returns a head query selects, in its order, each with its items, transactions and
    inspections read in one query per kind for the whole batch."""
    connection = session.connection()
    heads = connection.execute(query).all()
    if not heads:
        return []
    ids = {"ids": [head.id for head in heads]}
    items_query, transactions_query, inspections_query = _batch_queries(connection.dialect.name)
    items = _by_return(connection.execute(items_query, ids))
    transactions = _by_return(connection.execute(transactions_query, ids))
    inspections = _by_return(connection.execute(inspections_query, ids))
    return [
        build_record(
            head,
            items=items.get(head.id, ()),
            transactions=transactions.get(head.id, ()),
            inspections=inspections.get(head.id, ()),
            channel_name=head.channel_name,
            fc_name=head.fulfillment_center_name,
            merchant_name=head.merchant_name,
        )
        for head in heads
    ]


def names(
    session: Session, channel_id: int, fulfillment_center_id: int, merchant_id: int
) -> tuple[str, str, str]:
    """Channel, fulfillment center and merchant names in one query, for a return just written."""
    row = session.execute(
        select(
            select(Channel.name).where(Channel.id == channel_id).scalar_subquery(),
            select(FulfillmentCenter.name)
            .where(FulfillmentCenter.id == fulfillment_center_id)
            .scalar_subquery(),
            select(Merchant.name).where(Merchant.id == merchant_id).scalar_subquery(),
        )
    ).one()
    return row[0] or "", row[1] or "", row[2] or ""


def _by_return(rows: Iterable[Any]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.return_id].append(row)
    return grouped

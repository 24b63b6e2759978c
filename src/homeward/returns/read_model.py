"""The read side of returns: ReturnRecords built from plain rows, no ORM objects: two queries
(a page on PostgreSQL: one statement).

Lists and single reads are the hot path, and loading ORM objects (identity map, relationship
loaders, per-row instrumentation) costs several times what reading the same rows does, so reads
skip the domain model, as cosmicpython's CQRS chapter suggests. Writes keep the ORM model.
Every query is scoped by the caller's conditions, which always include the merchant.
"""

from __future__ import annotations

from collections import defaultdict, namedtuple
from collections.abc import Callable
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Integer,
    ScalarSelect,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.engine import Connection, Result
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from homeward.catalog.models import FulfillmentCenter
from homeward.db import DriverRead
from homeward.kit.orm import Base, Money, UTCDateTime, in_ids
from homeward.kit.pagination import Cursor
from homeward.receiving.models import Inspection
from homeward.returns.domain import ReturnStatus
from homeward.returns.listing import ReturnFilter
from homeward.returns.models import ReturnItem, ReturnOrder, ReturnTransaction
from homeward.returns.records import ReturnRecord, build_record
from homeward.returns.repository import (
    SHAPES_KEPT,
    FilterShape,
    filter_conditions,
    filter_params,
    filter_shape,
)
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
# A batch's items, transactions and inspections come back in one query: three selects united
# over one set of columns (each filling in what it has), told apart by `kind`. One round trip
# instead of three is most of what a page of fifty returns costs beyond its own rows.
_ITEM, _TRANSACTION, _INSPECTION = 0, 1, 2
_CHILD_COLUMNS: dict[str, TypeEngine[Any]] = {
    "return_id": Integer(),
    "id": Integer(),
    "inventory_id": Integer(),
    "name": String(),
    "quantity": Integer(),
    "action": String(),
    "action_source": String(),
    "instructions": String(),
    "lot_number": String(),
    "lot_date": UTCDateTime(),
    "bundle_parent_sku": String(),
    "order_item_id": Integer(),
    "reason_code": String(),
    "transaction_type": String(),
    "amount": Money(),
    "reason": String(),
    "photo_key": String(),
}


def _child_select(kind: int, model: type[Base], dialect: str) -> Select[*tuple[Any, ...]]:
    table = model.__table__
    columns = [
        (table.c[name] if name in table.c else cast(null(), type_)).label(name)
        for name, type_ in _CHILD_COLUMNS.items()
    ]
    return select(literal_column(str(kind)).label("kind"), *columns).where(in_ids(table.c.return_id, dialect))


@cache
def _children_query(dialect: str) -> DriverRead:
    """Items, transactions and inspections of a batch of returns (ids bound as `ids`), built once
    per kind of database so each execution only binds values."""
    return DriverRead(
        union_all(
            _child_select(_ITEM, ReturnItem, dialect),
            _child_select(_TRANSACTION, ReturnTransaction, dialect),
            _child_select(_INSPECTION, Inspection, dialect),
        ).order_by(literal_column("kind"), literal_column("id"))
    )


_ONE = DriverRead(
    _HEAD.where(ReturnOrder.id == bindparam("return_id"), ReturnOrder.merchant_id == bindparam("merchant_id"))
)


def record(session: Session, merchant_id: int, return_id: int) -> ReturnRecord | None:
    """One of the merchant's returns, or None (another merchant's return is simply not there)."""
    found = records(session, _ONE, {"return_id": return_id, "merchant_id": merchant_id})
    return found[0] if found else None


Widen = Callable[[Select[*tuple[Any, ...]]], Select[*tuple[Any, ...]]]


def page_rows(
    session: Session,
    merchant_id: int,
    filters: ReturnFilter,
    cursor: Cursor,
    limit: int,
    widen: Widen | None = None,
) -> list[tuple[ReturnRecord, Any]]:
    """Up to limit+1 returns in display order, seeking from the cursor by id (keyset pagination),
    each record beside the head row it was built from. `widen` (a module-level function,
    the statement is cached by it) adds to the head query what another package reads with each
    return (the labels their label, outer-joined): its columns come after the return's own, so a
    list reads them in the same round trip."""
    descending = filters.newest_first != cursor.backwards  # reading backwards flips the order
    connection = session.connection()
    dialect = connection.dialect.name
    shape, seeks = filter_shape(filters), cursor.key is not None
    params = filter_params(merchant_id, filters) | {"key": cursor.key, "limit": limit + 1}
    if dialect == "postgresql":
        # One statement, one round trip: the page and its children (_page_and_children_query).
        query = _page_and_children_query(shape, descending, seeks=seeks, limit=limit + 1, widen=widen)
        heads, children = _split(query.named(connection, params))
        if descending:
            heads.reverse()  # the statement gives heads by ascending id
    else:
        query = _page_query(shape, dialect, descending, seeks=seeks, widen=widen)
        heads = query.named(connection, params)
        children = _children_of(connection, heads)
    found = list(zip(_assemble(heads, children), heads, strict=True))
    if cursor.backwards:
        found.reverse()
    return found


def _page_select(
    shape: FilterShape, dialect: str, descending: bool, *, seeks: bool, limit: int | None, widen: Widen | None
) -> Select[*tuple[Any, ...]]:
    """A page's head query for one shape of filter (see filter_conditions). `limit` None: bound as
    `limit`; else written in the SQL."""
    query = _HEAD.where(*filter_conditions(shape, dialect))
    if seeks:
        key = bindparam("key", type_=Integer())
        query = query.where(ReturnOrder.id < key if descending else ReturnOrder.id > key)
    order = ReturnOrder.id.desc() if descending else ReturnOrder.id.asc()
    limited = query.order_by(order).limit(
        bindparam("limit", type_=Integer()) if limit is None else literal_column(str(int(limit)), Integer())
    )
    return widen(limited) if widen is not None else limited


@lru_cache(maxsize=SHAPES_KEPT)
def _page_query(
    shape: FilterShape, dialect: str, descending: bool, *, seeks: bool, widen: Widen | None
) -> DriverRead:
    """_page_select built and compiled once: handed to the driver, so a list request walks no
    SQLAlchemy statement either."""
    return DriverRead(_page_select(shape, dialect, descending, seeks=seeks, limit=None, widen=widen))


_HEAD_KIND = -1
_HEAD_NAMES = tuple(str(column.key) for column in _HEAD.selected_columns)


@lru_cache(maxsize=SHAPES_KEPT)
def _page_and_children_query(
    shape: FilterShape, descending: bool, *, seeks: bool, limit: int, widen: Widen | None
) -> DriverRead:
    """PostgreSQL: a page's heads and their items, transactions and inspections in ONE statement
    (one round trip where there were two, and one snapshot): the page as a CTE, united with the
    children of its ids. Every row has every column: `kind` (_HEAD_KIND for a head, else as
    _children_query), `id` (the return's for a head, the child's own for a child), the head's
    columns, the children's, then what `widen` added; a row fills in what it has. Ordered by
    kind and id, so heads come first by ascending id.

    The limit is written in the SQL: PostgreSQL keeps one generic plan for a prepared statement
    only if it looks no dearer than planning each execution, and a LIMIT it cannot see is costed
    as a tenth of the matching rows, so with a bound limit every list was planned again (~0.5 ms).
    One statement per limit, then; a list sends the default one."""
    dialect = "postgresql"
    page = _page_select(shape, dialect, descending, seeks=seeks, limit=limit, widen=widen).cte("page")
    head = [page.c[name] for name in _HEAD_NAMES]
    extra = [column for column in page.c if column.key not in _HEAD_NAMES]
    child = [(name, type_) for name, type_ in _CHILD_COLUMNS.items() if name != "id"]
    heads = select(
        literal_column(str(_HEAD_KIND), Integer()).label("kind"),
        *head,
        *(cast(null(), type_).label(name) for name, type_ in child),
        *extra,
    )
    page_ids = select(page.c.id)

    def children_of(kind: int, model: type[Base]) -> Select[*tuple[Any, ...]]:
        table = model.__table__
        return select(
            literal_column(str(kind), Integer()).label("kind"),
            *(table.c.id if c.key == "id" else cast(null(), c.type).label(str(c.key)) for c in head),
            *(
                (table.c[name] if name in table.c else cast(null(), type_)).label(name)
                for name, type_ in child
            ),
            *(cast(null(), c.type).label(str(c.key)) for c in extra),
        ).where(table.c.return_id.in_(page_ids))

    return DriverRead(
        union_all(
            heads,
            children_of(_ITEM, ReturnItem),
            children_of(_TRANSACTION, ReturnTransaction),
            children_of(_INSPECTION, Inspection),
        ).order_by(literal_column("kind"), literal_column("id"))
    )


def _split(rows: list[Any]) -> tuple[list[Any], dict[tuple[int, int], list[Any]]]:
    """The heads (in the rows' order) and children (by kind and return id) of a page's rows."""
    heads: list[Any] = []
    children: dict[tuple[int, int], list[Any]] = defaultdict(list)
    for row in rows:
        if row.kind == _HEAD_KIND:
            heads.append(row)
        else:
            children[row.kind, row.return_id].append(row)
    return heads, children


def numbered_page(
    session: Session, merchant_id: int, filters: ReturnFilter, offset: int, limit: int
) -> tuple[list[ReturnRecord], int]:
    """Numbered pages for the 1.0 dialect, with the total it reports in headers."""
    conditions = filter_conditions(filter_shape(filters), session.connection().dialect.name)
    params = filter_params(merchant_id, filters)
    order = ReturnOrder.id.desc() if filters.newest_first else ReturnOrder.id.asc()
    found = records(session, _HEAD.where(*conditions).order_by(order).offset(offset).limit(limit), params)
    total = session.scalar(select(func.count()).select_from(ReturnOrder).where(*conditions), params) or 0
    return found, int(total)


def status_counts(
    session: Session, merchant_id: int, filters: ReturnFilter, cap: int
) -> dict[ReturnStatus, int]:
    """How many of the merchant's returns match the filters in each status, counting at most `cap`
    per status: one statement whose cost is bounded by the cap, whatever the merchant's size."""
    others = filters.without_status()
    conditions = filter_conditions(filter_shape(others), session.connection().dialect.name)

    def capped(status: ReturnStatus) -> ScalarSelect[int]:
        matching = select(ReturnOrder.id).where(*conditions, ReturnOrder.status == status.value).limit(cap)
        return select(func.count()).select_from(matching.subquery()).scalar_subquery()

    query = select(*(capped(s) for s in ReturnStatus))
    row = session.connection().execute(query, filter_params(merchant_id, others)).one()
    return {status: int(count) for status, count in zip(ReturnStatus, row, strict=True)}


def records(
    session: Session, query: Select[*tuple[Any, ...]] | DriverRead, params: dict[str, Any] | None = None
) -> list[ReturnRecord]:
    """The returns a head query selects (with `params` bound), in its order, with their items,
    transactions and inspections read in one more query for the whole batch. The hot queries
    (a page, one return, the children) are DriverReads: rows as the driver reads them."""
    connection = session.connection()
    if isinstance(query, DriverRead):
        heads = query.named(connection, params or {})
    else:
        heads = _plain(connection.execute(query, params))
    return _assemble(heads, _children_of(connection, heads))


def _children_of(connection: Connection, heads: list[Any]) -> dict[tuple[int, int], list[Any]]:
    """Items, transactions and inspections of some returns, by kind and return id: one query."""
    children: dict[tuple[int, int], list[Any]] = defaultdict(list)
    if heads:
        batch = _children_query(connection.dialect.name)
        for child in batch.named(connection, {"ids": [head.id for head in heads]}):
            children[child.kind, child.return_id].append(child)
    return children


def _assemble(heads: list[Any], children: dict[tuple[int, int], list[Any]]) -> list[ReturnRecord]:
    return [
        build_record(
            head,
            items=children.get((_ITEM, head.id), ()),
            transactions=children.get((_TRANSACTION, head.id), ()),
            inspections=children.get((_INSPECTION, head.id), ()),
            channel_name=head.channel_name,
            fc_name=head.fulfillment_center_name,
            merchant_name=head.merchant_name,
        )
        for head in heads
    ]


def _plain(result: Result[Any]) -> list[Any]:
    """A result's rows as named tuples: building a page reads a thousand columns by name, and a
    Row answers a name a hundred times slower than a named tuple does."""
    make = _named_tuple(tuple(result.keys()))._make
    return [make(row) for row in result.all()]


@cache
def _named_tuple(fields: tuple[str, ...]) -> Any:
    return namedtuple("PlainRow", fields)  # type: ignore[misc]  # fields known only at run time


_NAMES = select(
    select(Channel.name).where(Channel.id == bindparam("channel_id")).scalar_subquery(),
    select(FulfillmentCenter.name).where(FulfillmentCenter.id == bindparam("fc_id")).scalar_subquery(),
    select(Merchant.name).where(Merchant.id == bindparam("merchant_id")).scalar_subquery(),
)


def names(
    session: Session, channel_id: int, fulfillment_center_id: int, merchant_id: int
) -> tuple[str, str, str]:
    """Channel, fulfillment center and merchant names in one query, for a return just written."""
    params = {"channel_id": channel_id, "fc_id": fulfillment_center_id, "merchant_id": merchant_id}
    row = session.connection().execute(_NAMES, params).one()
    return row[0] or "", row[1] or "", row[2] or ""

"""Every query about returns, always scoped to one merchant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Connection,
    Dialect,
    Integer,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import DriverInsert, DriverRead
from homeward.events.models import OutboxEvent
from homeward.kit import bulk
from homeward.kit.orm import in_values
from homeward.orders.models import Order, Shipment, ShipmentLine, ShipmentLineSerial
from homeward.receiving.models import Inspection
from homeward.returns.listing import ReturnFilter
from homeward.returns.models import ReturnedUnit, ReturnItem, ReturnOrder, ReturnStatusEvent
from homeward.returns.order_items import OrderItemFacts
from homeward.returns.units import UnitsHeld
from homeward.tenants.models import Channel, Merchant

if TYPE_CHECKING:
    from homeward.returns.domain import ReturnStatus


def get(
    session: Session, merchant_id: int, return_id: int, *, for_update: bool = False
) -> ReturnOrder | None:
    query = _loaded(select(ReturnOrder)).where(
        ReturnOrder.id == return_id, ReturnOrder.merchant_id == merchant_id
    )
    if for_update:
        query = query.with_for_update(of=ReturnOrder)
    return session.scalars(query).first()


_CHANNEL_OWNER = select(Channel.merchant_id).where(Channel.id == bindparam("channel_id"))


def channel_owner(session: Session, channel_id: int) -> int | None:
    """The merchant a channel belongs to (None: no such channel). Asked on every return request."""
    owner = session.connection().execute(_CHANNEL_OWNER, {"channel_id": channel_id}).scalar()
    return int(owner) if owner is not None else None


_FULFILLMENT_CENTER = select(FulfillmentCenter.id).where(FulfillmentCenter.id == bindparam("id"))


def fulfillment_center_exists(session: Session, fulfillment_center_id: int) -> bool:
    found = session.connection().execute(_FULFILLMENT_CENTER, {"id": fulfillment_center_id}).first()
    return found is not None


# Asked on every create and modify: built once, so each call only binds values.
_REFERENCE_TAKEN = (
    select(ReturnOrder.id)
    .where(ReturnOrder.merchant_id == bindparam("merchant_id"), ReturnOrder.reference_id == bindparam("ref"))
    .limit(1)
)
_REFERENCE_TAKEN_BY_OTHER = (
    select(ReturnOrder.id)
    .where(
        ReturnOrder.merchant_id == bindparam("merchant_id"),
        ReturnOrder.reference_id == bindparam("ref"),
        ReturnOrder.id != bindparam("excluding"),
    )
    .limit(1)
)


# What the rules need of a product, as plain columns (no ORM objects): id, name, sku, whether it
# is a bundle (a plain 0/1 on every database: nothing to convert), action, instructions, backup
# action, return-to-sender action.
PRODUCT_COLUMNS = (
    Product.id,
    Product.name,
    Product.sku,
    sql_cast(Product.is_bundle, Integer),
    Product.return_action,
    Product.return_instructions,
    Product.backup_action,
    Product.rts_action,
)


@dataclass(frozen=True)
class CreateFacts:
    """What a batch of creates must know: the channel's owner and name, the merchant's name,
    which fulfillment centers exist (with their names), which reference ids the merchant's
    returns already use, and the merchant's products named (rows of PRODUCT_COLUMNS)."""

    channel_owner: int | None
    channel_name: str
    merchant_name: str
    centers: dict[int, str]
    taken: set[str]
    products: list[tuple[Any, ...]]


def _create_facts_query(
    center_is: ColumnElement[bool], reference_is: ColumnElement[bool], product_is: ColumnElement[bool]
) -> CompoundSelect[*tuple[Any, ...]]:
    def padded(*columns: Any) -> list[Any]:  # every branch has the products' columns, typed
        rest = PRODUCT_COLUMNS[len(columns) - 1 :]
        return [*columns, *(sql_cast(null(), column.type) for column in rest)]

    return union_all(
        select(*padded(literal_column("'channel'"), Channel.merchant_id, Channel.name)).where(
            Channel.id == bindparam("channel_id")
        ),
        select(*padded(literal_column("'merchant'"), Merchant.id, Merchant.name)).where(
            Merchant.id == bindparam("merchant_id")
        ),
        select(*padded(literal_column("'center'"), FulfillmentCenter.id, FulfillmentCenter.name)).where(
            center_is
        ),
        select(*padded(literal_column("'taken'"), ReturnOrder.id, ReturnOrder.reference_id)).where(
            ReturnOrder.merchant_id == bindparam("merchant_id"), reference_is
        ),
        select(literal_column("'product'"), *PRODUCT_COLUMNS).where(
            Product.merchant_id == bindparam("merchant_id"), product_is
        ),
    )


# Asked on every create: one round trip for all five, built once. The usual batch of one (one
# center, reference id and product) compares and goes straight to the driver; others expand.
_CREATE_FACTS_OF_ONE = DriverRead(
    _create_facts_query(
        FulfillmentCenter.id == bindparam("center"),
        ReturnOrder.reference_id == bindparam("ref"),
        Product.id == bindparam("product"),
    )
)
_CREATE_FACTS = _create_facts_query(
    FulfillmentCenter.id.in_(bindparam("centers", expanding=True)),
    ReturnOrder.reference_id.in_(bindparam("refs", expanding=True)),
    Product.id.in_(bindparam("products", expanding=True)),
)


def create_facts(
    connection: Connection,
    merchant_id: int,
    channel_id: int,
    center_ids: set[int],
    reference_ids: set[str],
    product_ids: set[int],
) -> CreateFacts:
    params: dict[str, Any] = {"channel_id": channel_id, "merchant_id": merchant_id}
    if len(center_ids) == 1 and len(reference_ids) == 1 and len(product_ids) == 1:
        [params["center"]], [params["ref"]], [params["product"]] = center_ids, reference_ids, product_ids
        rows: Sequence[tuple[Any, ...]] = _CREATE_FACTS_OF_ONE.all(connection, params)
    else:
        params["centers"], params["refs"] = sorted(center_ids), sorted(reference_ids)
        params["products"] = sorted(product_ids)
        rows = connection.execute(_CREATE_FACTS, params).all()
    owner, channel_name, merchant_name = None, "", ""
    centers: dict[int, str] = {}
    taken: set[str] = set()
    products: list[tuple[Any, ...]] = []
    for kind, key, name, *rest in rows:
        if kind == "channel":
            owner, channel_name = key, name or ""
        elif kind == "merchant":
            merchant_name = name or ""
        elif kind == "center":
            centers[key] = name or ""
        elif kind == "taken":
            taken.add(name)
        else:
            products.append((key, name, *rest))
    return CreateFacts(owner, channel_name, merchant_name, centers, taken, products)


def lock_shipments(session: Session, ids: set[int]) -> None:
    """Lock shipments in id order: batches that name several never wait on each other in a cycle."""
    session.connection().execute(
        select(Shipment.id).where(Shipment.id.in_(ids)).order_by(Shipment.id).with_for_update()
    )


# --- writes (batch use cases: Core statements, many rows each, nothing read back) ---------------


def insert_returns(connection: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert returns; the ids by reference id. A reference id a concurrent transaction stored
    since it was checked is skipped (the unique constraint decides), so it is missing here."""
    # In reference id order: two batches naming some of the same ids wait on each other's rows in
    # one order, so they queue instead of deadlocking.
    ordered = sorted(rows, key=lambda row: str(row["reference_id"]))
    found = _INSERT_RETURNS[connection.dialect.name].run(connection, ordered)
    return {reference_id: return_id for return_id, reference_id in found}


# Run on every create: handed to the driver (db.DriverInsert), each row's values given in full.
_INSERT_RETURNS = {
    name: DriverInsert(
        dialect.insert(ReturnOrder)
        .on_conflict_do_nothing(index_elements=["merchant_id", "reference_id"])
        .returning(ReturnOrder.id, ReturnOrder.reference_id)
    )
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}
_INSERT_ITEMS = DriverInsert(insert(ReturnItem).returning(ReturnItem.id))
_INSERT_HISTORY = DriverInsert(insert(ReturnStatusEvent))


def inserts_at_once(connection: Connection) -> bool:
    """Whether insert_return_at_once works here: PostgreSQL (data-modifying CTEs)."""
    return bool(connection.dialect.name == "postgresql")


def insert_return_at_once(
    connection: Connection,
    head: dict[str, Any],
    items: list[dict[str, Any]],
    status: ReturnStatus,
    occurred_at: datetime,
    event: dict[str, Any] | None,
) -> tuple[int, list[int]] | None:
    """PostgreSQL: a return, its items, its first status history entry and its outbox event in
    ONE statement (data-modifying CTEs, the return's id feeding the rest: one round trip, and in
    autocommit its own transaction). The items and the event are given without their return_id.
    The return's id and its items' ids in the order given; None when the reference id was taken
    by a concurrent create since it was checked (the unique constraint decides: nothing stored).
    Without an event, none is written: bench/webhooks.py measures what the event costs a create.
    """
    item_columns = tuple(items[0]) if items else ()
    event_columns = tuple(event) if event is not None else None
    sql, binds = _at_once(connection.dialect, tuple(head), item_columns, len(items), event_columns)
    values = {"h_status": status.value, "h_occurred_at": occurred_at}
    values.update((f"r_{k}", v) for k, v in head.items())
    values.update((f"e_{k}", v) for k, v in (event or {}).items())
    for n, item in enumerate(items):
        values.update((f"i{n}_{k}", v) for k, v in item.items())
    params = {name: convert(values[name]) if convert else values[name] for name, convert in binds}
    cursor = connection.connection.cursor()
    try:
        with bulk.driver_errors(connection, sql, params, cursor):
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return None
    return rows[0][0], [
        item_id for _, _, item_id in sorted(rows, key=lambda row: int(row[1]))
    ] if items else []


@lru_cache(maxsize=64)
def _at_once(
    dialect: Dialect,
    head: tuple[str, ...],
    item_columns: tuple[str, ...],
    count: int,
    event: tuple[str, ...] | None,
) -> tuple[str, list[tuple[str, Any]]]:
    """insert_return_at_once's statement for one shape of values (the columns given, how many
    items), built once: its text, and each parameter with its column type's bind processor."""
    binds: list[tuple[str, Any]] = []

    def bound(table: Table, column: str, name: str) -> str:
        kind = table.c[column].type
        binds.append((name, kind.dialect_impl(dialect).bind_processor(dialect)))
        return f"CAST(%({name})s AS {kind.compile(dialect=dialect)})"

    returns, items = cast(Table, ReturnOrder.__table__), cast(Table, ReturnItem.__table__)
    history, outbox = cast(Table, ReturnStatusEvent.__table__), cast(Table, OutboxEvent.__table__)
    for table, given in ((returns, head), (items, item_columns if count else None), (outbox, event)):
        wanted = {c.name for c in table.c} - {"id", "return_id"}
        if given is not None and set(given) != wanted:
            raise ValueError(f"{table.name}: give every column but its id (and return_id), got {given}")
    parts = [
        f"WITH r AS (INSERT INTO {returns.name} ({', '.join(head)}) "
        f"VALUES ({', '.join(bound(returns, c, f'r_{c}') for c in head)}) "
        "ON CONFLICT (merchant_id, reference_id) DO NOTHING RETURNING id)"
    ]
    final = "SELECT r.id, 0, 0 FROM r"
    if count:
        names = ", ".join(item_columns)
        rows = ", ".join(
            f"({n}, {', '.join(bound(items, c, f'i{n}_{c}') for c in item_columns)})" for n in range(count)
        )
        # Each item's id is drawn here, beside its position, so the ids come back in the order given.
        item_id = f"nextval(pg_get_serial_sequence('{items.name}', 'id'))"
        parts.append(
            f"i AS (SELECT {item_id} AS id, r.id AS return_id, v.* "
            f"FROM r CROSS JOIN (VALUES {rows}) AS v(position, {names}))"
        )
        parts.append(
            f"ii AS (INSERT INTO {items.name} (id, return_id, {names}) SELECT id, return_id, {names} FROM i)"
        )
        final = "SELECT r.id, i.position, i.id FROM r LEFT JOIN i ON true"
    status, occurred_at = bound(history, "status", "h_status"), bound(history, "occurred_at", "h_occurred_at")
    parts.append(
        f"h AS (INSERT INTO {history.name} (return_id, status, occurred_at) "
        f"SELECT r.id, {status}, {occurred_at} FROM r)"
    )
    if event is not None:
        parts.append(
            f"e AS (INSERT INTO {outbox.name} (return_id, {', '.join(event)}) "
            f"SELECT r.id, {', '.join(bound(outbox, c, f'e_{c}') for c in event)} FROM r)"
        )
    return ", ".join(parts) + " " + final, binds


def insert_items(connection: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert return items; their ids, in the order of the rows."""
    return [item_id for (item_id,) in _INSERT_ITEMS.run(connection, rows)]


def insert_history(connection: Connection, entries: Sequence[tuple[int, ReturnStatus, datetime]]) -> None:
    rows = [{"return_id": i, "status": status.value, "occurred_at": when} for i, status, when in entries]
    _INSERT_HISTORY.run(connection, rows)


def set_status(session: Session, ids: list[int], columns: dict[str, object]) -> None:
    session.connection().execute(update(ReturnOrder).where(ReturnOrder.id.in_(ids)).values(columns))


def reference_taken(
    session: Session, merchant_id: int, reference_id: str, *, excluding: int | None = None
) -> bool:
    params: dict[str, Any] = {"merchant_id": merchant_id, "ref": reference_id}
    query = _REFERENCE_TAKEN
    if excluding is not None:
        query, params["excluding"] = _REFERENCE_TAKEN_BY_OTHER, excluding
    return session.connection().execute(query, params).first() is not None


def units_held_by_open_returns(
    session: Session, shipment_id: int, *, excluding: int | None = None
) -> dict[int, int]:
    """Units per inventory id that non-cancelled returns of a shipment already claim."""
    from homeward.returns.domain import ReturnStatus

    query = (
        select(ReturnItem.inventory_id, func.sum(ReturnItem.quantity))
        .join(ReturnOrder, ReturnOrder.id == ReturnItem.return_id)
        .where(
            ReturnOrder.original_shipment_id == shipment_id,
            ReturnOrder.status != ReturnStatus.CANCELLED.value,
        )
        .group_by(ReturnItem.inventory_id)
    )
    if excluding is not None:
        query = query.where(ReturnOrder.id != excluding)
    held: dict[int, int] = defaultdict(int)
    for inventory_id, quantity in session.execute(query):
        held[inventory_id] = int(quantity)
    return dict(held)


def order_item_facts(
    session: Session,
    merchant_id: int,
    *,
    ids: set[int] | None = None,
    shipment_id: int | None = None,
    excluding: int | None = None,
) -> dict[int, OrderItemFacts]:
    """The merchant's shipment lines by id (those named, or a shipment's), with what open returns
    (but `excluding`) already hold of each. Another merchant's lines are simply not there."""
    query = (
        select(ShipmentLine, Shipment, Order)
        .join(Shipment, Shipment.id == ShipmentLine.shipment_id)
        .join(Order, Order.id == Shipment.order_id)
        .where(Shipment.merchant_id == merchant_id)
    )
    if ids is not None:
        query = query.where(ShipmentLine.id.in_(ids))
    if shipment_id is not None:
        query = query.where(ShipmentLine.shipment_id == shipment_id)
    rows = session.execute(query).all()
    line_ids = [line.id for line, _, _ in rows]
    if not line_ids:
        return {}
    serials: dict[int, set[str]] = defaultdict(set)
    for line_id, serial in session.execute(
        select(ShipmentLineSerial.shipment_line_id, ShipmentLineSerial.serial_number).where(
            ShipmentLineSerial.shipment_line_id.in_(line_ids)
        )
    ):
        serials[line_id].add(serial)
    held, units = _order_item_usage(session, line_ids, excluding)
    return {
        line.id: OrderItemFacts(
            order_item_id=line.id,
            shipment_id=shipment.id,
            order_id=order.id,
            store_order_id=order.store_order_id,
            channel_id=order.channel_id,
            fulfillment_center_id=shipment.fulfillment_center_id,
            inventory_id=line.inventory_id,
            quantity=line.quantity,
            lot_number=line.lot_number,
            unit_price=line.unit_price,
            serials_shipped=frozenset(serials[line.id]),
            held=held.get(line.id, 0),
            units_held=units.get(line.id, UnitsHeld()),
        )
        for line, shipment, order in rows
    }


def _order_item_usage(
    session: Session, line_ids: list[int], excluding: int | None
) -> tuple[dict[int, int], dict[int, UnitsHeld]]:
    """Units per order item on open returns, and the identified units among them."""
    from homeward.returns.domain import ReturnStatus

    held_query = (
        select(ReturnItem.order_item_id, func.sum(ReturnItem.quantity))
        .join(ReturnOrder, ReturnOrder.id == ReturnItem.return_id)
        .where(
            ReturnItem.order_item_id.in_(line_ids),
            ReturnOrder.status != ReturnStatus.CANCELLED.value,
        )
        .group_by(ReturnItem.order_item_id)
    )
    units_query = select(ReturnedUnit.order_item_id, ReturnedUnit.unit_id, ReturnedUnit.serial_number).where(
        ReturnedUnit.order_item_id.in_(line_ids)
    )
    if excluding is not None:
        held_query = held_query.where(ReturnOrder.id != excluding)
        units_query = units_query.where(ReturnedUnit.return_id != excluding)
    held = {line_id: int(quantity) for line_id, quantity in session.execute(held_query) if line_id}
    serials: dict[int, set[str]] = defaultdict(set)
    unit_ids: dict[int, set[int]] = defaultdict(set)
    for line_id, unit_id, serial in session.execute(units_query):
        if unit_id is not None:
            unit_ids[line_id].add(unit_id)
        if serial is not None:
            serials[line_id].add(serial)
    units = {
        line_id: UnitsHeld(frozenset(serials[line_id]), frozenset(unit_ids[line_id]))
        for line_id in set(serials) | set(unit_ids)
    }
    return held, units


def photo_of_return(session: Session, merchant_id: int, return_id: int, photo_key: str) -> bool:
    """Whether an inspection of this return (of this merchant) holds the photo."""
    found = session.execute(
        select(Inspection.id)
        .join(ReturnOrder, ReturnOrder.id == Inspection.return_id)
        .where(
            Inspection.return_id == return_id,
            ReturnOrder.merchant_id == merchant_id,
            Inspection.photo_key == photo_key,
        )
        .limit(1)
    ).first()
    return found is not None


def _loaded(query: Select[ReturnOrder]) -> Select[ReturnOrder]:
    return query.options(
        selectinload(ReturnOrder.items),
        selectinload(ReturnOrder.transactions),
        selectinload(ReturnOrder.inspections),
    )


# A list filter matching one column against the caller's values: (ReturnFilter field, column).
_ONE_OF: tuple[tuple[str, InstrumentedAttribute[Any]], ...] = (
    ("ids", ReturnOrder.id),
    ("reference_ids", ReturnOrder.reference_id),
    ("statuses", ReturnOrder.status),
    ("fulfillment_center_ids", ReturnOrder.fulfillment_center_id),
    ("tracking_numbers", ReturnOrder.tracking_number),
    ("original_shipment_ids", ReturnOrder.original_shipment_id),
    ("store_order_ids", ReturnOrder.store_order_id),
    ("return_types", ReturnOrder.return_type),
    ("inventory_ids", ReturnItem.inventory_id),  # a return matches when one of its items does
    ("return_actions", ReturnItem.action),
)
# Date bounds: (ReturnFilter field, column, whether it is a lower bound).
_BOUNDS: tuple[tuple[str, InstrumentedAttribute[Any], bool], ...] = (
    ("start_date", ReturnOrder.insert_date, True),
    ("end_date", ReturnOrder.insert_date, False),
    ("completed_start_date", ReturnOrder.completed_date, True),
    ("completed_end_date", ReturnOrder.completed_date, False),
)
# Which filters are set: per _ONE_OF field none (0), one value (1) or several (2), then whether
# there is a search text, then per _BOUNDS field whether it is set.
FilterShape = tuple[int, ...]


def filter_shape(f: ReturnFilter) -> FilterShape:
    counts = tuple(min(len(getattr(f, field)), 2) for field, _ in _ONE_OF)
    return (*counts, f.search is not None, *(getattr(f, field) is not None for field, _, _ in _BOUNDS))


def filter_params(merchant_id: int, f: ReturnFilter) -> dict[str, Any]:
    """The values filter_conditions' conditions bind, the merchant's id among them."""
    params: dict[str, Any] = {"merchant_id": merchant_id, "search": f.search}
    for field, _ in _ONE_OF:
        values = [v.value if isinstance(v, Enum) else v for v in getattr(f, field)]
        params[field] = values[0] if len(values) == 1 else values
    for field, _, _ in _BOUNDS:
        params[field] = getattr(f, field)
    return params


# Bounded: a caller choosing which filters to set must not grow the process without end.
SHAPES_KEPT = 256


@lru_cache(maxsize=SHAPES_KEPT)
def filter_conditions(shape: FilterShape, dialect: str) -> tuple[ColumnElement[bool], ...]:
    """A list's filters as WHERE conditions, always scoped to the merchant, with every value bound
    by name (filter_params). Built once per shape of filter and kind of database, so a statement
    made of them is too: a list request only binds values, no SQL is built or rendered for it."""
    r = ReturnOrder
    conditions: list[ColumnElement[bool]] = [r.merchant_id == bindparam("merchant_id")]
    counts, search, bounds = shape[: len(_ONE_OF)], shape[len(_ONE_OF)], shape[len(_ONE_OF) + 1 :]
    for (field, column), count in zip(_ONE_OF, counts, strict=True):
        if not count:
            continue
        condition = _one_of(column, field, several=count > 1, dialect=dialect)
        if column.class_ is ReturnItem:
            condition = r.id.in_(select(ReturnItem.return_id).where(condition))
        conditions.append(condition)
    if search:
        # Each column has a (merchant_id, column) index: the database unites three index lookups.
        text = bindparam("search", type_=String())
        conditions.append(or_(r.reference_id == text, r.tracking_number == text, r.store_order_id == text))
    for (field, column, lower), is_set in zip(_BOUNDS, bounds, strict=True):
        if is_set:
            conditions.append(column >= bindparam(field) if lower else column <= bindparam(field))
    return tuple(conditions)


def _one_of(
    column: InstrumentedAttribute[Any], name: str, *, several: bool, dialect: str
) -> ColumnElement[bool]:
    """`column = :name` for the usual single value (an index seek the planner can order by),
    `column IN (:name)` for several, bound as one list (kit.orm.in_values)."""
    if not several:
        return column == bindparam(name)  # type: ignore[no-any-return]
    element = Integer if isinstance(column.type, Integer) else String
    return in_values(column, dialect, name, element)

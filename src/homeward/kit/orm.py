"""Declarative base shared by every domain package's models.py."""

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    DateTime,
    Integer,
    MetaData,
    Numeric,
    SQLColumnExpression,
    String,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    func,
    select,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeEngine

# Stable constraint names so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use homeward.kit.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Money(TypeDecorator[Decimal]):
    """Exact decimal amounts; SQLite stores them as text so no cent is lost to floats."""

    impl = Numeric(14, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        from sqlalchemy import String

        return dialect.type_descriptor(String(32) if dialect.name == "sqlite" else Numeric(14, 2))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


class _IntegerArrayText(TypeDecorator[list[int]]):
    """Integers bound as one PostgreSQL array literal (`{1,2,3}`) that the statement casts to an
    integer array: psycopg writes a list value by value (a regular expression each, a sixth of
    the CPU a page's ids cost), a string at once."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Iterable[int] | None, dialect: Dialect) -> str | None:
        return None if value is None else "{" + ",".join([str(int(v)) for v in value]) + "}"


class _JsonList(TypeDecorator[list[Any]]):
    """A list of plain values (ids, texts) bound as one JSON text (SQLite's json_each reads it
    back as rows)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value: Iterable[Any] | None, dialect: Dialect) -> str | None:
        return None if value is None else json.dumps(list(value))


def in_values(
    column: SQLColumnExpression[Any], dialect: str, name: str, element: type[TypeEngine[Any]] = Integer
) -> ColumnElement[bool]:
    """`column IN (:name)` for a list bound at execution as one value, so the statement's text is
    the same whatever the count: compiled once, only bound on each execution (an expanding IN is
    re-rendered every time, which cost more than the query on a page of fifty). PostgreSQL gets
    an array (`= ANY(:name)`; integers as one literal, unnested in a subquery), SQLite a JSON array
    read by json_each. `element`: the values' type (Integer or String)."""
    if dialect == "postgresql":
        if element is Integer:
            # One array literal, cast (see _IntegerArrayText), unnested in a subquery: the cast
            # runs once. Compared with `= ANY(CAST(...))`, which PostgreSQL evaluates again for
            # every row it filters (a cast is not folded into a constant), parsing the whole
            # list each time: 40 µs a row for 500 ids, 90 ms for one batch of webhook payloads.
            ids = cast(bindparam(name, type_=_IntegerArrayText()), ARRAY(Integer()))
            return column.in_(select(func.unnest(ids)))
        return column == any_(bindparam(name, type_=ARRAY(element())))
    values = func.json_each(bindparam(name, type_=_JsonList())).table_valued("value")
    return column.in_(select(values.c.value))


def in_ids(column: SQLColumnExpression[int], dialect: str, name: str = "ids") -> ColumnElement[bool]:
    """`column IN (:ids)` for a list of integer ids (see in_values)."""
    return in_values(column, dialect, name)

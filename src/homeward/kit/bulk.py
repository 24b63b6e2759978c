"""Driver-level bulk writes (refund files, their events): tens of thousands of rows per statement.

At these sizes SQLAlchemy's per-row parameter handling costs more than the database's own work,
so these few statements go straight to the driver, in the caller's transaction: PostgreSQL gets
COPY and array parameters (one round trip whatever the count), SQLite `executemany` (in-process,
no round trips). Values arrive as Python values; money is Decimal (SQLite stores it as text, like
`homeward.kit.orm.Money`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

Row = Sequence[Any]


def is_postgres(connection: Connection) -> bool:
    return bool(connection.dialect.name == "postgresql")


def money(connection: Connection) -> Callable[[Decimal], Any]:
    """How a Decimal amount is bound on this backend (SQLite keeps money as exact text)."""
    return (lambda amount: amount) if is_postgres(connection) else str


def timestamp(connection: Connection, value: datetime) -> Any:
    """How an aware UTC datetime is bound (SQLite keeps it naive, as UTCDateTime does)."""
    if is_postgres(connection):
        return value
    return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def new_ids(connection: Connection, table: str, count: int) -> list[int]:
    """`count` fresh ids for rows about to be inserted with them (so no RETURNING is needed).

    PostgreSQL draws them from the table's sequence; a SQLite write transaction holds the only
    writer lock, so the ids after the highest one are ours until it commits.
    """
    if is_postgres(connection):
        query = text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)")
        return sorted(int(id_) for (id_,) in connection.execute(query, {"n": count}))
    start = int(connection.execute(text(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar_one())
    return list(range(start + 1, start + 1 + count))


def fetch_all(connection: Connection, statement: Any, params: dict[str, Any] | None = None) -> list[Any]:
    """A query's rows as the driver's own tuples: SQLAlchemy's per-row Result handling costs more
    than the query for the 100,000 rows of a big file. No type conversion: the caller reads raw
    values (SQLite booleans as 0/1, money as text)."""
    result = connection.execute(statement, params or {})
    try:
        return list(result.cursor.fetchall())  # type: ignore[attr-defined]
    finally:
        result.close()


@contextmanager
def driver_errors(
    connection: Connection, statement: str, params: Any = None, cursor: Any = None
) -> Iterator[None]:
    """Driver errors raised as Core would raise them (IntegrityError above all), the connection
    invalidated if it was lost, so a lost database is a 503 here as everywhere else."""
    dialect = connection.dialect
    error = dialect.loaded_dbapi.Error
    try:
        yield
    except error as exc:
        lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
        if lost:
            connection.invalidate(exc)
        raise DBAPIError.instance(
            statement, params, exc, error, connection_invalidated=lost, dialect=dialect
        ) from exc


def insert(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Row]) -> int:
    """Insert rows (streamed: an iterator is never held whole); returns how many (the driver's
    count: no generator of ours around every row)."""
    names = ", ".join(columns)
    cursor: Any = cast(Any, connection.connection).cursor()
    try:
        if is_postgres(connection):
            statement = f"COPY {table} ({names}) FROM STDIN"
            with driver_errors(connection, statement, cursor=cursor), cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            with driver_errors(connection, statement, cursor=cursor):
                cursor.executemany(statement, rows)
        return int(cursor.rowcount)
    finally:
        cursor.close()


# Array kinds whose values (int, Decimal, bool) print as PostgreSQL reads them, with nothing to quote.
_LITERAL_KINDS = frozenset({"int", "bigint", "numeric", "boolean"})


def _array_literal(values: Iterable[Any]) -> str:
    """One PostgreSQL array literal (`{1,2.50,NULL}`), cast by the statement: psycopg dumps a
    list value by value, a regular expression each (a tenth of a big file's CPU); this is one join."""
    return "{" + ",".join(["NULL" if value is None else str(value) for value in values]) + "}"


def update(
    connection: Connection,
    table: str,
    set_columns: Sequence[tuple[str, str]],
    key: Sequence[tuple[str, str]],
    rows: Sequence[Row],
    *,
    fixed: Sequence[tuple[str, Any]] = (),
) -> None:
    """UPDATE table SET column = value ... WHERE key = value ..., for many rows in one go.

    `set_columns` and `key` are (column, PostgreSQL array type) pairs; each row holds the key's
    values then the new values. `fixed` adds conditions with the same value for every row.
    """
    if not rows:
        return
    cursor: Any = cast(Any, connection.connection).cursor()
    try:
        if is_postgres(connection):
            named = [*key, *set_columns]
            arrays = ", ".join(f"%s::{kind}[]" for _, kind in named)
            assignments = ", ".join(f"{name} = v.{name}" for name, _ in set_columns)
            conditions = " AND ".join(
                [*(f"t.{name} = v.{name}" for name, _ in key), *(f"t.{name} = %s" for name, _ in fixed)]
            )
            statement = (
                f"UPDATE {table} AS t SET {assignments} "
                f"FROM unnest({arrays}) AS v({', '.join(name for name, _ in named)}) WHERE {conditions}"
            )
            columns = [
                _array_literal(column) if kind in _LITERAL_KINDS else list(column)
                for column, (_, kind) in zip(zip(*rows, strict=True), named, strict=True)
            ]
            with driver_errors(connection, statement, cursor=cursor):
                cursor.execute(statement, [*columns, *(value for _, value in fixed)])
        else:
            assignments = ", ".join(f"{name} = ?" for name, _ in set_columns)
            conditions = " AND ".join(f"{name} = ?" for name, _ in [*key, *fixed])
            statement = f"UPDATE {table} SET {assignments} WHERE {conditions}"
            width = len(key)
            extra = tuple(value for _, value in fixed)
            with driver_errors(connection, statement, cursor=cursor):
                cursor.executemany(statement, ((*row[width:], *row[:width], *extra) for row in rows))
    finally:
        cursor.close()

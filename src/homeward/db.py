"""Engines, sessions and migrations. The only module that knows which database we run on."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from contextvars import ContextVar
from functools import lru_cache
from importlib.resources import files
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import CompoundSelect, Connection, Dialect, Engine, Insert, Select, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from homeward.config import get_settings
from homeward.kit import bulk
from homeward.kit.errors import Unavailable

# Threads a server process runs blocking handlers on (anyio's limiter is set to it at startup);
# pools hold at least as many connections, plus one for the event loop's own short reads.
HTTP_THREADS = 16

# How long opening a PostgreSQL connection may take before the request is answered 503.
CONNECT_TIMEOUT_SECONDS = 5

# Execution option set by write units of work: on SQLite they begin with BEGIN IMMEDIATE, so two
# writers queue up on the database lock instead of failing half-way when one upgrades its lock.
WRITE_OPTION = "homeward_write"
# Execution option of Database.connect()'s connections on SQLite: no BEGIN. A lone SELECT is its
# own consistent snapshot, so a BEGIN (and the ROLLBACK after it) would buy it nothing.
STATEMENT_OPTION = "homeward_single_statements"

# The connection Database.connect() hands out while Database.one_connection() is open.
T = TypeVar("T")

# With the engine whose pool it came from (engine_for's): a Database of another URL ignores it.
_SHARED: ContextVar[tuple[Connection, Engine] | None] = ContextVar("homeward_shared_connection", default=None)
# Set by Database.write_now(): the next write's BEGIN IMMEDIATE gives up at once if it would wait.
_NO_WAIT: ContextVar[bool] = ContextVar("homeward_write_no_wait", default=False)


class WriterBusy(Exception):
    """Database.write_now() found SQLite's write lock held (by another process) and did nothing."""


class NotNow:
    """What Database.write_now() returns when the write could not start at once."""


NOT_NOW = NotNow()


def normalize_url(url: str) -> str:
    """`postgresql://` means psycopg 3 here (the driver we ship), not SQLAlchemy's psycopg2 default."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, pool_size: int | None = None) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    settings = get_settings()
    pool = pool_size or settings.db_pool_size
    # LIFO: the most recently used connection serves next, so a quiet server keeps answering from
    # a few warm connections (their statements prepared, their server-side caches filled) instead
    # of cycling through every connection a burst once opened.
    # A connection is opened on the event loop when a read finds the pool empty: a server that
    # does not answer must not hold every request for as long as TCP would try.
    engine = create_engine(
        url,
        pool_size=pool,
        max_overflow=pool,
        pool_use_lifo=True,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_SECONDS},
    )
    _ping_when_idle(engine, settings.db_idle_ping_seconds)
    return engine


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before use only when it sat idle: a connection used moments ago
    is almost surely alive, and pinging every checkout would add a round trip to every request.

    A connection that died while busy (the server restarted) fails its statement instead;
    SQLAlchemy then drops every pooled connection, and the caller gets a 503 (doors/http/errors).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # new, or used moments ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError("pooled connection is dead") from exc  # pool retries
            raise


def _sqlite_engine(url: str) -> Engine:
    # A pool as large as the server's thread pool: a connection closed on check-in (overflow) has
    # to be opened and set up again (four PRAGMAs) by the next request.
    size = get_settings().db_pool_size
    in_memory = url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url
    pool = {} if in_memory else {"pool_size": max(size, HTTP_THREADS), "max_overflow": size}
    engine = create_engine(
        url, connect_args={"check_same_thread": False, "timeout": get_settings().db_busy_timeout}, **pool
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below); pysqlite's own transaction handling gets in the way.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(get_settings().db_busy_timeout * 1000)}")
        cursor.close()

    busy_ms = int(get_settings().db_busy_timeout * 1000)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get(STATEMENT_OPTION, False):
            return
        if options.get(WRITE_OPTION, False) and _NO_WAIT.get():
            _NO_WAIT.set(False)  # only a write_now()'s first BEGIN may give up; later ones wait
            _begin_immediate_or_give_up(conn.connection.driver_connection, busy_ms)
            return
        conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION, False) else "BEGIN")

    return engine


def _begin_immediate_or_give_up(raw: sqlite3.Connection, busy_ms: int) -> None:
    raw.execute("PRAGMA busy_timeout=0")
    try:
        raw.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            raise WriterBusy from exc
        raise
    finally:
        raw.execute(f"PRAGMA busy_timeout={busy_ms}")


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine (and pool) per URL per process."""
    return make_engine(url)


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine_for(url or get_settings().database_url), expire_on_commit=False)


_SQLITE_WRITERS: dict[str, threading.RLock] = {}


def _writer_lock(factory: sessionmaker[Session]) -> AbstractContextManager[Any]:
    """SQLite allows one writer at a time. Threads of one process queue on a lock here, so the
    next one starts the moment the last commits; waiting inside SQLite instead means sleeping in
    its busy handler (1, 2, 5 ... 100 ms steps) while the database sits idle. Other processes
    are still kept out by BEGIN IMMEDIATE and the busy timeout, which bounds this wait too."""
    lock = _sqlite_writer(factory)
    return nullcontext() if lock is None else _turn(lock, get_settings().db_busy_timeout)


def _sqlite_writer(factory: sessionmaker[Session]) -> threading.RLock | None:
    bind = factory.kw.get("bind")
    if bind is None or bind.dialect.name != "sqlite":
        return None
    return _SQLITE_WRITERS.setdefault(str(bind.url), threading.RLock())


@contextmanager
def _turn(lock: threading.RLock, timeout: float) -> Iterator[None]:
    if not lock.acquire(timeout=timeout):
        raise Unavailable("The database is busy with other writers; please retry")
    try:
        yield
    finally:
        lock.release()


@contextmanager
def unit_of_work(factory: sessionmaker[Session], *, write: bool = True) -> Iterator[Session]:
    """One use case, one transaction: commit on success, roll back on any error."""
    with _writer_lock(factory) if write else nullcontext(), factory() as session:
        if write:
            session.connection(execution_options={WRITE_OPTION: True})
        try:
            yield session
            if write:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def _session_on(connection: Connection) -> Iterator[Session]:
    """A read session on a connection already checked out (see Database.one_connection). Closing
    it ends its transaction (a ROLLBACK, free in autocommit); a rollback of the session itself
    first would also restore its snapshot of objects a read has none of: a quarter of the cost."""
    with Session(bind=connection, expire_on_commit=False) as session:
        yield session


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("homeward") / "migrations"))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str | None = None) -> None:
    """Bring the schema to the newest revision (the app never uses create_all)."""
    from alembic import command

    command.upgrade(alembic_config(url or get_settings().database_url), "head")


def read_session_factory(url: str | None = None) -> sessionmaker[Session]:
    """Sessions for reads. On PostgreSQL they run in autocommit: under READ COMMITTED each statement
    takes its own snapshot even inside a transaction, so BEGIN and ROLLBACK would buy a read nothing
    but two round trips. On SQLite a read keeps its BEGIN: there it pins one snapshot, for free."""
    engine = engine_for(url or get_settings().database_url)
    if engine.dialect.name == "postgresql":
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")  # same pool, option per checkout
    return sessionmaker(bind=engine, expire_on_commit=False)


class Database:
    """What services are handed: a way to open one read or write transaction."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or get_settings().database_url
        self.factory = session_factory(self.url)
        self.read_factory = read_session_factory(self.url)
        self._read_engine = self.read_factory.kw["bind"]
        self._statement_engine = self._read_engine.execution_options(**{STATEMENT_OPTION: True})
        self._reads_autocommit = self._read_engine.dialect.name == "postgresql"
        self._pooled = engine_for(self.url)
        self._kept = _kept_for(self._pooled, self._statement_engine) if self._reads_autocommit else None

    def write(self) -> Any:
        return unit_of_work(self.factory, write=True)

    def read(self) -> Any:
        shared = self._shared()
        if shared is not None and self._reads_autocommit:
            return _session_on(shared)
        return unit_of_work(self.read_factory, write=False)

    def write_at_once(self) -> Any:
        """A use case whose only write is ONE statement (its reads before it may be several).

        On PostgreSQL it runs in autocommit, on connect()'s connection: the statement is its own
        transaction, so BEGIN and COMMIT cost no round trips, and its reads see what READ
        COMMITTED would show them anyway (each statement its own snapshot; nothing is locked).
        On SQLite it is write() (the writer's turn, BEGIN IMMEDIATE). The caller answers for
        the single write: a second statement would commit apart from the first."""
        if not self._reads_autocommit:
            return self.write()
        return self._autocommitted()

    @contextmanager
    def _autocommitted(self) -> Iterator[Session]:
        with self.connect() as connection, _session_on(connection) as session:
            yield session

    def ping(self) -> None:
        """One round trip to the database (raises when it is away)."""
        with self.connect() as connection:
            connection.exec_driver_sql("SELECT 1")

    def writer_turn(self) -> AbstractContextManager[Any]:
        """For writes made outside write(): wait for this process's SQLite writer turn (see
        _writer_lock); nothing to wait for on PostgreSQL."""
        return _writer_lock(self.factory)

    def write_now(self, work: Callable[[], T]) -> T | NotNow:
        """Run `work` (its writes through write()) on this thread if it need not wait: on SQLite,
        when neither another thread of this process nor another process is writing. Else NOT_NOW,
        nothing done, for the caller to run it where waiting is fine (a thread).

        A write runs in well under a millisecond of CPU: on the event loop it costs less than
        the hop to a thread and the threads' contention for the GIL and the writer turn. Only its
        first BEGIN may give up, so `work` must not write before it (a use case opens its one
        write unit first). On PostgreSQL it is always NOT_NOW: a write there makes the server
        work (indexes, foreign keys, the WAL) for longer than a read, and a thread lets other
        requests run meanwhile; the event loop waiting for it cost more throughput than the hop.
        """
        lock = _sqlite_writer(self.factory)
        if lock is None or not lock.acquire(blocking=False):
            return NOT_NOW
        token = _NO_WAIT.set(True)
        try:
            return work()
        except WriterBusy:
            return NOT_NOW
        finally:
            _NO_WAIT.reset(token)
            lock.release()

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A bare connection for short reads of one statement each, no ORM session: what
        authentication uses on every request. Each statement sees its own snapshot (several
        statements that must agree belong in read()). Inside one_connection(), its connection."""
        shared = self._shared()
        if shared is not None:
            yield shared
            return
        with self._statement_engine.connect() as connection:
            yield connection

    def _shared(self) -> Connection | None:
        shared = _SHARED.get()
        return shared[0] if shared is not None and shared[1] is self._pooled else None

    @contextmanager
    def one_connection(self) -> Iterator[None]:
        """Every connect() inside (in this context: this task or thread) shares one connection:
        a request that authenticates and then reads a little uses one connection, not two. On
        PostgreSQL read() shares it too: a read session runs in autocommit there, just as this
        connection does, so it is the same thing; SQLite's read() keeps its own BEGIN. On
        PostgreSQL it is the connection kept out of the pool for this (_KeptConnection) when no
        other thread is using it, else one checked out of the pool."""
        with self._kept_or_pooled() as connection:
            token = _SHARED.set((connection, self._pooled))
            try:
                yield
            finally:
                _SHARED.reset(token)

    @contextmanager
    def _kept_or_pooled(self) -> Iterator[Connection]:
        if self._kept is not None:
            with self._kept.connection() as kept:
                if kept is not None:
                    yield kept
                    return
        with self._statement_engine.connect() as connection:
            yield connection

    @property
    def is_postgres(self) -> bool:
        return self.url.startswith("postgresql")


class _KeptConnection:
    """One pooled connection kept checked out, in autocommit, for the event loop's short reads.

    The event loop runs a request's reads one at a time and to their end, with no await in
    between (doors/http/deps.py, Access.read), so one connection serves them all; checking one
    out of the pool and in again for every request (the pool's bookkeeping, the isolation level
    set to autocommit and back) cost more CPU than a GET's two queries on PostgreSQL (~0.1 ms).
    Whoever finds it in use (another thread: a test's second event loop, say) checks one out of
    the pool as before. Kept idle for longer than the pool pings after, it goes back to the pool
    and the next use checks one out, pinged; a statement that finds it dead invalidates it (a 503,
    as anywhere) and it is dropped; disposing of the engine (its pool) closes it.
    """

    def __init__(self, engine: Engine, idle_seconds: float) -> None:
        self._engine, self._idle_seconds = engine, idle_seconds
        self._lock = threading.Lock()
        self._connection: Connection | None = None
        self._used_at = 0.0

    @contextmanager
    def connection(self) -> Iterator[Connection | None]:
        """The kept connection, or None when another thread is using it."""
        if not self._lock.acquire(blocking=False):
            yield None
            return
        try:
            if self._connection is not None and time.monotonic() - self._used_at >= self._idle_seconds:
                self.close()
            if self._connection is None:
                self._connection = self._engine.connect()
            connection = self._connection
            try:
                yield connection
            finally:
                self._used_at = time.monotonic()
                self._end_use(connection)
        finally:
            self._lock.release()

    def _end_use(self, connection: Connection) -> None:
        """What a pool check-in would do: end SQLAlchemy's transaction (a read session's), and
        drop a connection found dead."""
        try:
            if connection.invalidated:
                self.close()
            elif connection.in_transaction():
                connection.rollback()
        except DBAPIError:
            self.close()

    def close(self, *, hard: bool = False) -> None:
        """Give the connection back to the pool; `hard`: close it (its pool was disposed of, and
        a disposed pool keeps what is checked in after it)."""
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(DBAPIError):  # dead already: the pool drops it
                if hard:
                    connection.invalidate()
                connection.close()


_KEPT: WeakKeyDictionary[Engine, _KeptConnection] = WeakKeyDictionary()


def _kept_for(pooled: Engine, statements: Engine) -> _KeptConnection:
    """The kept connection of `pooled`'s pool (one per pool, whichever Database asks), checked out
    through `statements` (its autocommit twin)."""
    kept = _KEPT.get(pooled)
    if kept is None:
        kept = _KEPT[pooled] = _KeptConnection(statements, get_settings().db_idle_ping_seconds)
        event.listen(pooled, "engine_disposed", lambda _engine: kept.close(hard=True))
    return kept


@contextmanager
def pipelined(connection: Connection) -> Iterator[None]:
    """On PostgreSQL, what is handed to the driver inside goes out together: the server is waited
    for once, when rows are first fetched (psycopg's pipeline mode). For DriverInsert only (not
    SQLAlchemy's statements); elsewhere, nothing changes. Pipeline mode costs some CPU of its
    own: worth it for three statements, not for one (a BEGIN sent along with a read was slower)."""
    if connection.dialect.name != "postgresql":
        yield
        return
    driver = connection.connection.driver_connection
    assert driver is not None, "a connection checked out of the pool has its driver's"
    with driver.pipeline():
        yield


class DriverRead:
    """A select run on every request, handed straight to the driver's connection.

    Through SQLAlchemy, a one-row lookup by a unique index costs several times the query itself
    (execution context, a cache key walked over the whole statement, result object, rows); the
    driver alone does it in a fraction. Compiled once per kind of database; values go through
    their binds' types' bind processors and columns through their types' result processors, as
    SQLAlchemy would (only where a type has one: most columns are handed back as the driver read
    them). What the driver cannot take as compiled (expanding or literal-rendered binds, escaped
    names, another paramstyle) and any driver error take SQLAlchemy's usual path, so a lost
    connection is noticed, dropped and answered (503) as everywhere else.
    """

    def __init__(self, statement: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]) -> None:
        self.statement = statement
        # The columns' names, as SQLAlchemy's result would give them (`keys()`).
        self.keys = tuple(str(column.key) for column in statement.selected_columns)
        self._named_row: Any = None
        self._compiled: dict[str, _DriverSelect | None] = {}

    def first(self, connection: Connection, params: dict[str, Any]) -> tuple[Any, ...] | None:
        rows = self._rows(connection, params, one=True)
        return rows[0] if rows else None

    def all(self, connection: Connection, params: dict[str, Any]) -> list[tuple[Any, ...]]:
        return self._rows(connection, params, one=False)

    def named(self, connection: Connection, params: dict[str, Any]) -> list[Any]:
        """all(), each row a named tuple of the columns' keys: code that reads many columns by
        name (a page of returns) does so at a tuple's cost, where a Row answers a name far slower."""
        if self._named_row is None:
            self._named_row = namedtuple("DriverRow", self.keys)  # type: ignore[misc]  # keys known at run time
        make = self._named_row._make
        return [make(row) for row in self._rows(connection, params, one=False)]

    def _rows(self, connection: Connection, params: dict[str, Any], *, one: bool) -> list[tuple[Any, ...]]:
        dialect = connection.dialect
        if dialect.name not in self._compiled:
            self._compiled[dialect.name] = _DriverSelect.compile(self.statement, dialect)
        compiled = self._compiled[dialect.name]
        if compiled is not None:
            try:
                return compiled.rows(connection, params, one=one)
            except dialect.loaded_dbapi.Error:
                pass  # SQLAlchemy's path below raises what it should, or succeeds on a retry
        result = connection.execute(self.statement, params)
        found = [result.first()] if one else result.all()
        return [tuple(row) for row in found if row is not None]


class _DriverSelect:
    """A DriverRead's statement compiled for one kind of database."""

    def __init__(
        self,
        sql: str,
        positions: tuple[str, ...] | None,
        binds: Mapping[str, Callable[[Any], Any]],
        fixed: dict[str, Any],
        types: list[Any],
    ) -> None:
        self.sql, self.positions, self.binds, self.fixed, self.types = sql, positions, binds, fixed, types
        # (index, processor) of the columns whose type converts what the driver read; known once
        # the driver has described the columns (a processor may depend on the column's type code).
        self.converts: list[tuple[int, Callable[[Any], Any]]] | None = None

    @classmethod
    def compile(
        cls, statement: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]], dialect: Dialect
    ) -> _DriverSelect | None:
        if dialect.paramstyle not in ("qmark", "pyformat"):
            return None
        compiled = statement.compile(dialect=dialect)
        if (
            compiled.escaped_bind_names
            or compiled.literal_execute_params
            or compiled.post_compile_params
            or any(bind.expanding or bind.callable is not None for bind in compiled.binds.values())
        ):
            return None
        binds = {
            name: processor
            for name, bind in compiled.binds.items()
            if (processor := bind.type._cached_bind_processor(dialect)) is not None
        }
        fixed = {name: bind.value for name, bind in compiled.binds.items() if not bind.required}
        positions = tuple(compiled.positiontup or ()) if dialect.paramstyle == "qmark" else None
        types = [column.type for column in statement.selected_columns]
        return cls(compiled.string, positions, binds, fixed, types)

    def rows(self, connection: Connection, params: dict[str, Any], *, one: bool) -> list[tuple[Any, ...]]:
        if self.fixed:
            params = self.fixed | params
        if self.binds:
            params = params | {
                name: convert(params[name]) for name, convert in self.binds.items() if name in params
            }
        cursor = connection.connection.cursor()
        try:
            cursor.execute(
                self.sql, params if self.positions is None else [params[p] for p in self.positions]
            )
            found = [cursor.fetchone()] if one else cursor.fetchall()
            if self.converts is None:
                self.converts = self._processors(connection.dialect, cursor.description)
        finally:
            cursor.close()
        rows = [tuple(row) for row in found if row is not None]
        if not self.converts:
            return rows
        converts = self.converts
        converted = []
        for row in rows:
            values = list(row)
            for index, convert in converts:
                # A NULL stays None (what every processor makes of it): a wide row of a union,
                # mostly NULLs, then costs no call for them.
                if (value := values[index]) is not None:
                    values[index] = convert(value)
            converted.append(tuple(values))
        return converted

    def _processors(self, dialect: Dialect, description: Any) -> list[tuple[int, Callable[[Any], Any]]]:
        found = []
        for index, type_ in enumerate(self.types):
            type_code = description[index][1] if description else None
            processor = type_._cached_result_processor(dialect, type_code)
            if processor is not None:
                found.append((index, processor))
        return found


class DriverInsert:
    """An INSERT run on every create, its rows handed straight to the driver's cursor.

    SQLAlchemy's execution costs several times what SQLite takes to insert a row (as DriverRead
    says of a read). The statement is compiled once per kind of database and set of columns,
    each value converted by its column type's own bind processor, as SQLAlchemy would; every
    column is given (no Python-side defaults to fill, checked when compiling). A driver error is
    raised as SQLAlchemy raises it, the connection invalidated if it was lost (so: a 503).
    """

    def __init__(self, statement: Insert) -> None:
        self.statement = statement
        self.returns = bool(statement.returning_column_descriptions)
        self._compiled: dict[tuple[str, tuple[str, ...]], tuple[str, list[tuple[str, Any]]]] = {}

    def run(self, connection: Connection, rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        """Insert the rows in order; what RETURNING gave, row by row (a row skipped gives none)."""
        if not rows:
            return []
        dialect = connection.dialect
        sql, binds = self._compile(dialect, tuple(rows[0]))
        positional = dialect.paramstyle == "qmark"
        params: list[Any] = [
            [convert(row[name]) if convert else row[name] for name, convert in binds]
            if positional
            else {name: convert(row[name]) if convert else row[name] for name, convert in binds}
            for row in rows
        ]
        cursor = connection.connection.cursor()
        try:
            with bulk.driver_errors(connection, sql, params, cursor):
                if not self.returns:
                    cursor.executemany(sql, params)
                    return []
                if positional or len(params) == 1:  # sqlite3 cannot return rows from executemany
                    found: list[tuple[Any, ...]] = []
                    for values in params:
                        cursor.execute(sql, values)
                        found.extend(tuple(row) for row in cursor.fetchall())
                    return found
                cursor.executemany(sql, params, returning=True)  # type: ignore[call-arg]  # psycopg: pipelined
                found = []
                while True:
                    found.extend(tuple(row) for row in cursor.fetchall())
                    if not cursor.nextset():
                        return found
        finally:
            cursor.close()

    def _compile(self, dialect: Dialect, columns: tuple[str, ...]) -> tuple[str, list[tuple[str, Any]]]:
        key = (dialect.name, columns)
        if key not in self._compiled:
            # As for executemany: no RETURNING of the primary key but what the statement asks for.
            compiled = self.statement.compile(
                dialect=dialect, column_keys=list(columns), for_executemany=True
            )
            names = (
                list(compiled.positiontup or ()) if dialect.paramstyle == "qmark" else list(compiled.binds)
            )
            if set(names) != set(columns):
                raise ValueError(f"{self.statement.table} insert: give every column, got {columns}")
            binds = [
                (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
                for name in names
            ]
            self._compiled[key] = (compiled.string, binds)
        return self._compiled[key]

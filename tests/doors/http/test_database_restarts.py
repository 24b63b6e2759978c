"""A PostgreSQL restart (every server connection killed) costs at most one clear 503, never a 500.

PostgreSQL only: SQLite has no server to restart or connections to lose.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from homeward.app import create_app
from homeward.config import get_settings
from homeward.db import Database, engine_for, make_engine, normalize_url
from homeward.demo.data import load as load_demo
from tests import support


def _others(url: str, what: str) -> int:
    """`what` over this database's other server connections (pg_stat_activity), counted."""
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return int(
                conn.execute(
                    text(
                        f"SELECT count({what}) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        admin.dispose()


def kill_connections(url: str) -> int:
    """What a server restart does to the clients' connections: terminates every one of them."""
    return _others(url, "pg_terminate_backend(pid)")


@pytest.fixture
def postgres_url(_postgres_url: str) -> Iterator[str]:
    support.empty_postgres(_postgres_url)
    yield _postgres_url
    # The connections were killed under the worker's shared pool too: later tests start afresh.
    engine_for(_postgres_url).dispose()


@pytest.fixture
def engine_pinging_after(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    engines: list[Engine] = []

    def build(idle_seconds: float) -> Engine:
        monkeypatch.setenv("HOMEWARD_DB_IDLE_PING_SECONDS", str(idle_seconds))
        get_settings.cache_clear()
        engines.append(make_engine(postgres_url))
        return engines[-1]

    yield build
    for engine in engines:
        engine.dispose()
    get_settings.cache_clear()


def test_an_idle_pooled_connection_found_dead_is_replaced_before_use(
    postgres_url: str, engine_pinging_after: Any
) -> None:
    engine = engine_pinging_after(0)  # every connection counts as idle: each checkout pings
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
    assert kill_connections(postgres_url) >= 1
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 2")).scalar_one() == 2


def test_a_connection_used_moments_ago_is_not_pinged_so_its_death_surfaces(
    postgres_url: str, engine_pinging_after: Any
) -> None:
    engine = engine_pinging_after(3600)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    kill_connections(postgres_url)
    with pytest.raises(DBAPIError) as raised, engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert raised.value.connection_invalidated
    with engine.connect() as conn:  # the pool was emptied: the next use gets a live connection
        assert conn.execute(text("SELECT 3")).scalar_one() == 3


def test_a_request_cut_off_by_a_restart_gets_a_503_and_its_retry_succeeds(postgres_url: str) -> None:
    demo = load_demo(Database(postgres_url))
    client = TestClient(create_app(postgres_url))
    headers = {"Authorization": f"Bearer {demo['token']}"}
    assert client.get("/2025-07/return", headers=headers).status_code == 200
    assert kill_connections(postgres_url) >= 1

    cut_off = client.get("/2025-07/return", headers=headers)
    assert cut_off.status_code == 503, cut_off.text
    assert cut_off.headers["Retry-After"] == "1"
    assert "retry" in cut_off.json()["detail"].lower()
    assert client.get("/2025-07/return", headers=headers).status_code == 200


def _connections_to(url: str) -> int:
    return _others(url, "*")


@pytest.fixture
def fresh_engine(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Settings given here apply to a pool (and its kept connection) built afresh for the test."""

    def configure(**env: str) -> None:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        engine_for(postgres_url).dispose()
        engine_for.cache_clear()

    yield configure
    engine_for(postgres_url).dispose()
    engine_for.cache_clear()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_reads_on_the_event_loop_after_an_idle_spell_find_a_live_connection(
    postgres_url: str, fresh_engine: Any
) -> None:
    # The event loop's reads keep one connection out of the pool (db._KeptConnection); one kept
    # idle past the ping interval goes back, and the pool's ping replaces it if it died meanwhile.
    fresh_engine(HOMEWARD_DB_IDLE_PING_SECONDS="0")
    demo = load_demo(Database(postgres_url))
    client = TestClient(create_app(postgres_url))
    headers = {"Authorization": f"Bearer {demo['token']}"}
    assert client.get("/2025-07/fulfillment-center", headers=headers).status_code == 200
    assert kill_connections(postgres_url) >= 1
    assert client.get("/2025-07/fulfillment-center", headers=headers).status_code == 200


def test_reads_of_two_threads_at_once_each_get_a_connection(postgres_url: str, fresh_engine: Any) -> None:
    fresh_engine()
    db = Database(postgres_url)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with db.one_connection(), db.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
            holding.set()
            release.wait(10)

    first = threading.Thread(target=hold)
    first.start()
    try:
        assert holding.wait(10)
        with db.one_connection(), db.connect() as connection:  # the kept one is taken: the pool's
            assert connection.exec_driver_sql("SELECT 2").scalar_one() == 2
    finally:
        release.set()
        first.join(10)


def test_disposing_of_the_pool_closes_the_kept_connection_too(postgres_url: str, fresh_engine: Any) -> None:
    fresh_engine()
    db = Database(postgres_url)
    with db.one_connection(), db.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
    assert _connections_to(postgres_url) >= 1
    engine_for(postgres_url).dispose()
    assert _connections_to(postgres_url) == 0

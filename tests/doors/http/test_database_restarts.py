"""A PostgreSQL restart (every server connection killed) costs at most one clear 503, never a 500.

PostgreSQL only: SQLite has no server to restart or connections to lose.
"""

from __future__ import annotations

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


def kill_connections(url: str) -> int:
    """What a server restart does to the clients' connections: terminates every one of them."""
    admin = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
    finally:
        admin.dispose()
    return int(killed)


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

"""Database.write_now: a write runs at once, on the caller's thread (the server's event loop), when
nothing makes it wait, and does nothing otherwise, for a thread to run it then."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import text

from homeward.db import NOT_NOW, Database
from tests.builders import merchant_headers, return_body
from tests.support import live_server


def _rename_channel(db: Database, channel_id: int, name: str) -> str:
    with db.write() as session:
        session.execute(
            text("UPDATE channels SET name = :name WHERE id = :id"), {"name": name, "id": channel_id}
        )
    return name


def _channel_name(db: Database, channel_id: int) -> str:
    with db.connect() as connection:
        return str(
            connection.execute(text("SELECT name FROM channels WHERE id = :id"), {"id": channel_id}).scalar()
        )


def test_a_write_runs_now_on_sqlite_and_on_a_thread_on_postgres(db: Database, demo: dict[str, Any]) -> None:
    channel = demo["channel_id"]
    done = db.write_now(lambda: _rename_channel(db, channel, "Now"))
    if db.is_postgres:  # the server works on a write a while: a thread lets others run meanwhile
        assert done is NOT_NOW
        assert _channel_name(db, channel) != "Now"
    else:
        assert done == "Now"
        assert _channel_name(db, channel) == "Now"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_write_that_would_wait_for_another_process_does_nothing(db: Database, demo: dict[str, Any]) -> None:
    channel = demo["channel_id"]
    other = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holding SQLite's one write lock
        assert db.write_now(lambda: _rename_channel(db, channel, "Blocked")) is NOT_NOW
        assert _channel_name(db, channel) != "Blocked"
        # An ordinary write (on the connection that gave up, the pool's last in) waits its turn.
        release = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
        release.start()
        assert _rename_channel(db, channel, "Later") == "Later"
        release.join()
        assert db.write_now(lambda: _rename_channel(db, channel, "Free")) == "Free"
    finally:
        other.close()
    assert _channel_name(db, channel) == "Free"


@contextmanager
def _shipment_locked(db: Database, shipment_id: int) -> Iterator[None]:
    """Another process in the middle of a transaction that holds what a create must wait for:
    on PostgreSQL the shipment's row, on SQLite the one write lock."""
    if db.is_postgres:
        url = db.url.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(url) as other:
            other.execute("SELECT id FROM shipments WHERE id = %s FOR UPDATE", (shipment_id,))
            yield
            other.rollback()
        return
    other = sqlite3.connect(db.url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_a_create_waiting_on_a_lock_leaves_the_server_answering(
    database_url: str, db: Database, demo: dict[str, Any]
) -> None:
    """Waiting is done on a thread: the event loop goes on answering everyone else."""
    body = return_body(demo)
    with live_server(database_url) as base, ThreadPoolExecutor(1) as pool:
        with _shipment_locked(db, body["original_shipment_id"]):
            create = pool.submit(
                requests.post, f"{base}/2025-07/return", json=body, headers=merchant_headers(demo), timeout=60
            )
            time.sleep(0.5)
            assert not create.done()  # it is waiting for the lock
            started = time.monotonic()
            listed = requests.get(f"{base}/2025-07/return", headers=merchant_headers(demo), timeout=10)
            health = requests.get(f"{base}/healthz", timeout=10)
            assert (listed.status_code, health.status_code) == (200, 200)
            assert listed.json()["items"] == []
            assert time.monotonic() - started < 3
            assert not create.done()
        assert create.result().status_code == 201

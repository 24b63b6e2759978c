"""Database.write_now: a write runs at once when nothing makes it wait, and does nothing otherwise."""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy import text

from homeward.db import NOT_NOW, Database


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


def test_a_write_runs_now_when_nobody_else_writes_on_sqlite_only(db: Database, demo: dict[str, Any]) -> None:
    channel = demo["channel_id"]
    done = db.write_now(lambda: _rename_channel(db, channel, "Now"))
    if db.is_postgres:  # a write there waits on the network: never on the caller's thread
        assert done is NOT_NOW
        assert _channel_name(db, channel) != "Now"
    else:
        assert done == "Now"
        assert _channel_name(db, channel) == "Now"


def test_a_write_that_would_wait_for_another_process_does_nothing(db: Database, demo: dict[str, Any]) -> None:
    if db.is_postgres:
        return
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

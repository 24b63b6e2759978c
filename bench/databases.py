"""Throw-away, migrated databases: a SQLite file in a temporary directory, or a PostgreSQL database."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from homeward.db import engine_for, normalize_url, upgrade

POSTGRES_ADMIN_URL = os.environ.get("HOMEWARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="homeward-bench-") as directory:
        url = f"sqlite:///{Path(directory) / 'bench.db'}"
        try:
            upgrade(url)
            yield url
        finally:
            _forget(url)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh database named homeward_bench_<random>, dropped (even if still in use) afterwards."""
    admin = create_engine(normalize_url(POSTGRES_ADMIN_URL), isolation_level="AUTOCOMMIT")
    name = f"homeward_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
        try:
            upgrade(url)
            yield url
        finally:
            _forget(url)
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def _forget(url: str) -> None:
    """Close this process's pooled connections to a database that is about to disappear."""
    engine_for(url).dispose()
    engine_for.cache_clear()

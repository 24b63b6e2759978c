"""Throw-away databases on SQLite and PostgreSQL, and a real server on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from homeward.db import upgrade
from homeward.tables import metadata

POSTGRES_ADMIN_URL = os.environ.get("HOMEWARD_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = [b for b in os.environ.get("HOMEWARD_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


def _psycopg(url: str) -> str:
    return (
        url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    )


@contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database named homeward_test_<random>, dropped afterwards."""
    admin_url = _psycopg(POSTGRES_ADMIN_URL)
    name = f"homeward_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        from homeward.db import engine_for

        engine_for(url).dispose()
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_postgres(url: str) -> None:
    """Remove every row and restart ids: each test starts from an empty, migrated schema."""
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@contextmanager
def sqlite_template(directory: Path) -> Iterator[Path]:
    template = directory / "template.db"
    upgrade(f"sqlite:///{template}")
    yield template


def sqlite_copy(template: Path, directory: Path) -> str:
    target = directory / f"{uuid.uuid4().hex[:8]}.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(database_url: str, workers: int = 1) -> Iterator[str]:
    """`homeward serve` in a real subprocess on a free port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "HOMEWARD_DATABASE_URL": database_url, "HOMEWARD_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "homeward", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise RuntimeError(f"server did not start: {err[-2000:]}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def demo_server(backend: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh database on `backend` with the demo loaded, served over real HTTP: (base URL, demo)."""
    with demo_database(backend) as (url, demo), live_server(url) as base:
        yield base, demo


@contextmanager
def demo_database(backend: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh database on `backend` with the demo loaded: (database URL, demo)."""
    from homeward.db import Database
    from homeward.demo.data import load

    with ExitStack() as stack:
        if backend == "sqlite":
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = f"sqlite:///{directory / 'served.db'}"
            upgrade(url)
        else:
            url = stack.enter_context(postgres_database())
        yield url, load(Database(url))

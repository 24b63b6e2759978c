"""PostgreSQL restarted under load: 503 with Retry-After while it is away, then creates go on
without Homeward being restarted. On a PostgreSQL server of the test's own (initdb + pg_ctl in a
temporary directory, on a free port), never the shared one other tests use."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import requests
from bench.server import free_port, running_server

from homeward.db import Database, engine_for, upgrade
from homeward.demo.data import load
from tests.faults.test_faults import Creator, assert_every_201_stored_whole, base, merchant

pytestmark = pytest.mark.e2e


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name) or name


@contextmanager
def own_postgres() -> Iterator[tuple[str, Any]]:
    """A throw-away PostgreSQL cluster; yields its URL and a function that runs pg_ctl."""
    directory = Path(tempfile.mkdtemp(prefix="homeward-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root: the cluster belongs to postgres
        shutil.chown(directory, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    data, port = directory / "data", free_port()

    def pg_ctl(*args: str) -> None:
        command = [*as_postgres, _bin("pg_ctl"), "-D", str(data), "-l", str(directory / "log"), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    subprocess.run(
        [*as_postgres, _bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg_ctl("-o", options, "-w", "start")
    try:
        subprocess.run(
            [
                *as_postgres,
                _bin("createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "hw",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        yield f"postgresql://postgres@127.0.0.1:{port}/hw", lambda *a: pg_ctl("-o", options, *a)
    finally:
        subprocess.run(
            [*as_postgres, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(directory, ignore_errors=True)


def test_postgres_restarted_under_load_answers_503_then_recovers_without_restarting_homeward() -> None:
    with own_postgres() as (url, pg_ctl):
        upgrade(url)
        db = Database(url)
        demo = load(db)
        with running_server(url, workers=1) as server:
            pid = server.pid
            with Creator(f"{base(server)}/2025-07/return", merchant(demo), "PGR-", threads=4) as creator:
                creator.wait_for(201, 10)
                pg_ctl("-m", "fast", "-w", "stop")
                creator.wait_for(503, 3)  # the database is away: 503, not 500
                assert requests.get(f"{base(server)}/readyz", timeout=30).status_code == 503
                assert requests.get(f"{base(server)}/healthz", timeout=30).status_code == 200  # alive
                pg_ctl("-w", "start")
                creator.wait_for(201, 10, timeout=90)  # the pool healed; Homeward was not restarted
                assert requests.get(f"{base(server)}/readyz", timeout=30).status_code == 200
            assert server.process.poll() is None and server.pid == pid
            statuses = creator.statuses()
        assert not [s for s in statuses if s >= 500 and s != 503], statuses
        refused = [headers for _, status, _, headers in creator.answers if status == 503]
        assert refused and all(h.get("retry-after") == "1" for h in refused)
        engine_for(url).dispose()  # this process's pooled connections died with the restart too
        assert_every_201_stored_whole(db, creator)
        engine_for(url).dispose()

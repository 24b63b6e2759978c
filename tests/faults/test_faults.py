"""Faults, each with real processes: a worker killed mid-create, the database restarted under load,
the photo disk full, SQLite locked by another writer. Homeward answers 503/507 with Retry-After
(never a 500), stores nothing half, and recovers without being restarted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import requests
from bench.server import Server, running_server
from sqlalchemy import func, select

from homeward.db import Database
from homeward.receiving.models import Inspection
from homeward.returns.models import ReturnItem, ReturnOrder, ReturnStatusEvent
from tests.warehouse.flow import PNG

pytestmark = pytest.mark.e2e


def merchant(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['token']}", "shipbob_channel_id": str(demo["channel_id"])}


def create_body(reference: str) -> dict[str, Any]:
    return {
        "fulfillment_center": {"id": 1},
        "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
        "reference_id": reference,
    }


def base(server: Server) -> str:
    return f"http://{server.host}:{server.port}"


def stored_returns(db: Database, prefix: str) -> dict[str, tuple[int, int, int]]:
    """Returns whose reference starts with prefix: (id, item rows, status events)."""
    with db.read() as session:
        items = select(func.count()).where(ReturnItem.return_id == ReturnOrder.id).scalar_subquery()
        events = select(func.count()).where(ReturnStatusEvent.return_id == ReturnOrder.id).scalar_subquery()
        rows = session.execute(
            select(ReturnOrder.reference_id, ReturnOrder.id, items, events).where(
                ReturnOrder.reference_id.like(f"{prefix}%")
            )
        )
        return {ref: (id_, n_items, n_events) for ref, id_, n_items, n_events in rows}


class Creator:
    """Threads posting creates until stopped; every answer (or broken connection) written down."""

    def __init__(self, url: str, headers: dict[str, str], prefix: str, threads: int = 4) -> None:
        self.url, self.headers, self.prefix = url, headers, prefix
        self.answers: list[tuple[str, int, dict[str, Any] | None, dict[str, str]]] = []
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(threads)]

    def __enter__(self) -> Creator:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def _run(self, n: int) -> None:
        session, i = requests.Session(), 0
        while not self.stop.is_set():
            reference, i = f"{self.prefix}{n}-{i}", i + 1
            try:
                response = session.post(
                    self.url, json=create_body(reference), headers=self.headers, timeout=30
                )
                body = response.json() if response.status_code in (201, 503) else None
                answer = (reference, response.status_code, body, dict(response.headers))
            except requests.RequestException:
                session = requests.Session()
                answer = (reference, 0, None, {})  # the connection broke: no answer at all
            with self.lock:
                self.answers.append(answer)
            time.sleep(0.01)

    def statuses(self) -> Counter[int]:
        with self.lock:
            return Counter(status for _, status, _, _ in self.answers)

    def wait_for(self, status: int, count: int = 1, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        start = self.statuses()[status]
        while self.statuses()[status] < start + count:
            assert time.monotonic() < deadline, f"no {status} within {timeout}s: {self.statuses()}"
            time.sleep(0.05)


def assert_every_201_stored_whole(db: Database, creator: Creator) -> None:
    stored = stored_returns(db, creator.prefix)
    for reference, status, body, _ in creator.answers:
        if status == 201:
            assert body is not None and stored.get(reference) == (body["id"], 1, 1), (reference, body)
    for reference, (_, items, events) in stored.items():
        assert (items, events) == (1, 1), f"{reference} stored half: {items} items, {events} events"


def test_a_worker_killed_with_sigkill_during_creates_leaves_every_201_whole_and_none_half(
    database_url: str, db: Database, demo: dict[str, Any]
) -> None:
    with running_server(database_url, workers=2) as server:
        workers = [pid for pid in server.processes()[1:] if b"resource_tracker" not in _cmdline(pid)]
        assert len(workers) == 2, workers
        with Creator(f"{base(server)}/2025-07/return", merchant(demo), "KILL-", threads=4) as creator:
            creator.wait_for(201, 10)
            os.kill(workers[0], signal.SIGKILL)
            creator.wait_for(201, 10)  # the other worker (and uvicorn's replacement) go on
        statuses = creator.statuses()
    assert not [s for s in statuses if s >= 500], statuses
    assert_every_201_stored_whole(db, creator)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def test_sqlite_locked_by_another_writer_is_a_503_with_retry_after_then_creates_resume(
    database_url: str, db: Database, demo: dict[str, Any]
) -> None:
    if not database_url.startswith("sqlite"):
        return  # PostgreSQL has row locks, no database lock; its restart is tested below
    path = database_url.removeprefix("sqlite:///")
    holder = (
        "import sqlite3, sys, time\n"
        "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
        "c.execute('BEGIN EXCLUSIVE')\n"
        "print('locked', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
    )
    extra = {"HOMEWARD_DB_BUSY_TIMEOUT": "1"}
    with running_server(database_url, extra_env=extra) as server:
        url = f"{base(server)}/2025-07/return"
        assert (
            requests.post(url, json=create_body("LOCK-0"), headers=merchant(demo), timeout=30).status_code
            == 201
        )
        lock = subprocess.Popen([sys.executable, "-c", holder, path, "4"], stdout=subprocess.PIPE, text=True)
        try:
            assert lock.stdout is not None and lock.stdout.readline().strip() == "locked"
            refused = requests.post(url, json=create_body("LOCK-1"), headers=merchant(demo), timeout=30)
            assert refused.status_code == 503, refused.text
            assert refused.headers["Retry-After"] == "1"
            assert "database" in refused.text.lower()
            listed = requests.get(url, headers=merchant(demo), timeout=30)  # readers are not held up
            assert listed.status_code == 200
        finally:
            lock.wait(timeout=30)
        again = requests.post(url, json=create_body("LOCK-1"), headers=merchant(demo), timeout=30)
        assert again.status_code == 201, again.text
    assert set(stored_returns(db, "LOCK-")) == {"LOCK-0", "LOCK-1"}


def test_a_full_photo_disk_is_a_507_and_nothing_of_the_inspection_is_kept(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    mounted = _mount_tiny_filesystem(photos)
    # Without mount rights (an unprivileged CI), the server's file-size limit plays the full disk.
    prefix = [] if mounted else ["prlimit", f"--fsize={4 * 1024 * 1024}", "--"]
    extra = {"HOMEWARD_PHOTO_STORE": f"disk:{photos}"}
    try:
        with running_server(database_url, extra_env=extra, prefix=prefix) as server:
            created = requests.post(
                f"{base(server)}/2025-07/return",
                json=create_body("DISK-1"),
                headers=merchant(demo),
                timeout=30,
            )
            assert created.status_code == 201, created.text
            return_id = created.json()["id"]
            scanner = {"Authorization": f"Bearer {demo['warehouse_tokens']['1']}"}
            arrival = requests.post(
                f"{base(server)}/warehouse/v1/arrivals",
                json={"barcode": "DISK-1"},
                headers=scanner,
                timeout=30,
            )
            assert arrival.status_code in (200, 201), arrival.text
            inspection = {"items": [{"inventory_id": 1001, "quantity": 1, "photo": "p"}]}

            def inspect(photo: bytes) -> requests.Response:
                return requests.post(
                    f"{base(server)}/warehouse/v1/returns/{return_id}/inspections",
                    data={"inspection": json.dumps(inspection)},
                    files={"p": ("p.png", photo, "image/png")},
                    headers=scanner,
                    timeout=60,
                )

            refused = inspect(PNG + b"\x00" * (5 * 1024 * 1024))  # 5 MB: more than either will take
            assert refused.status_code == 507, refused.text
            assert refused.headers["Retry-After"] == "1"
            assert "disk is full" in refused.json()["detail"]
            assert sorted(p.name for p in photos.iterdir() if not p.name.startswith("lost+found")) == []
            small = inspect(PNG)  # the store still takes what fits; the server never stopped
            assert small.status_code == 200, small.text
    finally:
        if mounted:
            subprocess.run(["umount", str(photos)], check=False)
    with db.read() as session:
        kept = session.scalars(select(Inspection.quantity).where(Inspection.return_id == return_id)).all()
    assert list(kept) == [1]  # only the inspection that fitted


def _mount_tiny_filesystem(directory: Path) -> bool:
    """A 1 MB tmpfs over `directory`, when this process may mount (root in a container)."""
    if os.geteuid() != 0:
        return False
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(directory)], capture_output=True, check=False
    )
    return done.returncode == 0

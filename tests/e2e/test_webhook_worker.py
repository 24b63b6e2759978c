"""`homeward worker` as a real process next to a real server: killed with SIGKILL while a receiver
holds its request, a restarted worker sends the event again; nothing is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from homeward.db import Database
from homeward.demo.data import load
from tests.builders import merchant_headers, return_body
from tests.support import live_server
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.e2e


def start_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "HOMEWARD_DATABASE_URL": database_url,
        "HOMEWARD_WEBHOOK_ALLOW_PRIVATE": "1",
        "HOMEWARD_WEBHOOK_LEASE_SECONDS": "2",
        "HOMEWARD_WEBHOOK_TIMEOUT_SECONDS": "30",
        "HOMEWARD_WEBHOOK_POLL_SECONDS": "0.1",
        "HOMEWARD_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "homeward", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def served(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, dict[str, Any]]]:
    monkeypatch.setenv("HOMEWARD_WEBHOOK_ALLOW_PRIVATE", "1")
    demo = load(Database(database_url))
    with live_server(database_url) as base:
        yield base, demo


def test_a_worker_killed_mid_delivery_loses_no_event(
    served: tuple[str, dict[str, Any]], database_url: str
) -> None:
    base, demo = served
    headers = merchant_headers(demo)
    release = threading.Event()
    with webhook_receiver() as receiver:

        def answer(n: int) -> int:
            if n == 0:
                release.wait(30)  # the first request hangs until the worker that sent it is dead
            return 204

        receiver.answer = answer

        subscription = requests.post(
            f"{base}/2025-07/webhook", json={"url": receiver.url}, headers=headers, timeout=30
        )
        assert subscription.status_code == 201, subscription.text
        receiver.secret = subscription.json()["secret"]
        tee = demo["shipments"]["regular"]["inventory"][0]["id"]
        ids = []
        for n in range(3):  # created, cancelled, created, cancelled, created: five events
            body = return_body(
                demo,
                reference_id=f"KILL-{n}",
                inventory=[{"id": tee, "quantity": 1, "requested_action": "Default"}],
            )
            created = requests.post(f"{base}/2025-07/return", json=body, headers=headers, timeout=30)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
            if n < 2:
                cancel = requests.post(f"{base}/2025-07/return/{ids[-1]}:cancel", headers=headers, timeout=30)
                assert cancel.status_code == 200

        first = start_worker(database_url)
        try:
            _wait(lambda: receiver.arrivals >= 1)
            os.kill(first.pid, signal.SIGKILL)  # while the receiver holds the first request
            first.wait(10)
        finally:
            first.kill()
        release.set()

        second = start_worker(database_url)
        try:
            # Every event answered 204, and the one the dead worker was sending came again (it may
            # come last: the first worker's copy is recorded when the receiver lets it go).
            seen = receiver.wait_for(
                lambda got: (
                    len({r.event_id for r in got if r.answered == 204}) == 5
                    and sum(1 for r in got if r.event_id == got[0].event_id) >= 2
                )
            )
            log = _log(base, headers, subscription.json()["id"], expect=5)
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(15)

    assert all(r.signed for r in seen)
    assert sum(1 for r in seen if r.event_id == seen[0].event_id) >= 2  # the interrupted one came again
    order = [(r.data["id"], r.topic) for r in _first_of_each(seen)]
    assert order == [
        (ids[0], "return.created"),
        (ids[0], "return.cancelled"),
        (ids[1], "return.created"),
        (ids[1], "return.cancelled"),
        (ids[2], "return.created"),
    ]
    assert {a["delivery_status"] for a in log} == {"delivered"}


def _first_of_each(seen: list[Any]) -> list[Any]:
    firsts: dict[str, Any] = {}
    for received in seen:
        firsts.setdefault(received.event_id, received)
    return sorted(firsts.values(), key=lambda r: (r.data["id"], r.topic != "return.created"))


def _log(base: str, headers: dict[str, str], subscription_id: int, expect: int) -> list[dict[str, Any]]:
    def delivered() -> list[dict[str, Any]] | None:
        log: list[dict[str, Any]] = requests.get(
            f"{base}/2025-07/webhook/{subscription_id}/deliveries", headers=headers, timeout=30
        ).json()
        done = {a["event_id"] for a in log if a["delivery_status"] == "delivered"}
        return log if len(done) == expect else None

    return _wait(delivered)


def _wait(condition: Any, timeout: float = 60) -> Any:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")

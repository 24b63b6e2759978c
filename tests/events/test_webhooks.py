"""Outbound webhooks through the doors a merchant uses: subscribe over HTTP, change returns over
HTTP, and a real receiver on a free port sees every event, signed, in order, retried."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.config import Settings, get_settings
from homeward.db import Database
from homeward.doors.webhooks.payloads import render
from homeward.events.worker import Worker
from tests.builders import merchant_headers, return_body
from tests.refund_files import refund_csv, refund_row
from tests.warehouse.flow import arrive, inspect
from tests.webhook_receiver import Receiver, webhook_receiver

HOOKS = "/2025-07/webhook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as found:
        yield found


def fast_worker(db: Database, **overrides: Any) -> Worker:
    fast: dict[str, Any] = {
        "webhook_allow_private": True,
        "webhook_retry_base_seconds": 0.02,
        "webhook_retry_max_seconds": 0.1,
        "webhook_timeout_seconds": 5,
    }
    settings = Settings(database_url=db.url, **{**fast, **overrides})
    return Worker(db, render, settings)


def drain(worker: Worker, until: Any = None, rounds: int = 400) -> None:
    """Run the worker until nothing is left to do (or `until()` holds)."""
    import time

    for _ in range(rounds):
        busy = worker.run_once()
        if until is not None and until():
            return
        if not busy:
            if until is None:
                return
            time.sleep(0.02)
    raise AssertionError("the worker did not finish")


def subscribe(client: TestClient, demo: dict[str, Any], receiver: Receiver, **body: Any) -> dict[str, Any]:
    response = client.post(HOOKS, json={"url": receiver.url, **body}, headers=merchant_headers(demo))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    receiver.secret = created["secret"]
    return created


def create_return(client: TestClient, demo: dict[str, Any], reference_id: str, case: str = "regular") -> int:
    response = client.post(
        "/2025-07/return",
        json=return_body(demo, case, reference_id=reference_id),
        headers=merchant_headers(demo),
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.mark.usefixtures("allow_private")
def test_a_receiver_sees_every_event_of_a_return_life_signed_and_in_order(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    created = subscribe(client, demo, receiver)
    assert created["secret"].startswith("whsec_") and created["status"] == "active"
    listed = client.get(HOOKS, headers=merchant_headers(demo)).json()
    assert [s["id"] for s in listed] == [created["id"]] and "secret" not in listed[0]

    kept = create_return(client, demo, "HOOK-1")
    dropped = create_return(client, demo, "HOOK-2", case="bundle")
    assert client.post(f"/2025-07/return/{dropped}:cancel", headers=merchant_headers(demo)).status_code == 200
    assert arrive(client, demo, "HOOK-1").status_code == 200
    shipment = demo["shipments"]["regular"]
    steps = {1002: {"no chips or cracks": True}}  # the mug's inspection step
    lines = [
        {"inventory_id": i["id"], "quantity": i["quantity"], "steps": steps.get(i["id"], {})}
        for i in shipment["inventory"]
    ]
    answer = inspect(client, demo, kept, *lines)
    assert answer.status_code == 200, answer.text

    drain(fast_worker(db))

    got = receiver.accepted()
    assert all(r.signed for r in got)
    assert [r.topic for r in got if r.data["id"] == kept] == [
        "return.created",
        "return.arrived",
        "return.processing",
        "return.completed",
    ]
    assert [r.topic for r in got if r.data["id"] == dropped] == ["return.created", "return.cancelled"]
    assert len({r.event_id for r in got}) == len(got)
    first = next(r.data for r in got if r.data["id"] == kept)  # the return in the 2025-07 shape
    assert first["reference_id"] == "HOOK-1" and "inventory" in first and "status" in first


@pytest.mark.usefixtures("allow_private")
def test_only_the_topics_asked_for_are_sent(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    subscribe(client, demo, receiver, topics=["return.cancelled"])
    kept = create_return(client, demo, "TOPIC-1")
    dropped = create_return(client, demo, "TOPIC-2", case="bundle")
    client.post(f"/2025-07/return/{dropped}:cancel", headers=merchant_headers(demo))
    drain(fast_worker(db))
    assert [(r.topic, r.data["id"]) for r in receiver.accepted()] == [("return.cancelled", dropped)]
    assert kept != dropped


@pytest.mark.usefixtures("allow_private")
def test_a_failing_receiver_gets_retries_with_the_same_event_id_and_the_log_shows_them(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    receiver.answer = lambda n: 500 if n < 3 else 204
    subscription = subscribe(client, demo, receiver)
    create_return(client, demo, "RETRY-1")

    drain(fast_worker(db), until=lambda: len(receiver.accepted()) == 1)

    seen = receiver.requests
    assert [r.answered for r in seen] == [500, 500, 500, 204]
    assert len({r.event_id for r in seen}) == 1 and all(r.signed for r in seen)
    log = client.get(f"{HOOKS}/{subscription['id']}/deliveries", headers=merchant_headers(demo)).json()
    assert [(a["attempt"], a["status_code"]) for a in reversed(log)] == [
        (1, 500),
        (2, 500),
        (3, 500),
        (4, 204),
    ]
    assert {a["event_id"] for a in log} == {seen[0].event_id}
    assert log[0]["delivery_status"] == "delivered" and all(a["latency_ms"] >= 0 for a in log)


@pytest.mark.usefixtures("allow_private")
def test_a_receiver_down_past_the_retry_window_marks_the_subscription_failing(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    receiver.answer = lambda n: 500
    subscription = subscribe(client, demo, receiver)
    down = create_return(client, demo, "DOWN-1")
    worker = fast_worker(db, webhook_retry_for_seconds=0.3)

    def failing() -> bool:
        found = client.get(f"{HOOKS}/{subscription['id']}", headers=merchant_headers(demo)).json()
        return bool(found["status"] == "failing")

    drain(worker, until=failing)
    attempts = len(receiver.requests)
    assert attempts >= 2
    drain(worker)  # given up: nothing more is sent for that event
    assert len(receiver.requests) == attempts
    log = client.get(f"{HOOKS}/{subscription['id']}/deliveries", headers=merchant_headers(demo)).json()
    assert log[0]["delivery_status"] == "failed"

    receiver.answer = lambda n: 204  # back up: the next event is delivered and the subscription heals
    client.post(f"/2025-07/return/{down}:cancel", headers=merchant_headers(demo))
    drain(worker, until=lambda: len(receiver.accepted()) == 1)
    assert (
        client.get(f"{HOOKS}/{subscription['id']}", headers=merchant_headers(demo)).json()["status"]
        == "active"
    )


def test_receivers_on_private_addresses_are_refused_at_subscription(
    client: TestClient, demo: dict[str, Any]
) -> None:
    for url in (
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://10.1.2.3/",
        "http://169.254.169.254/latest",
    ):
        response = client.post(HOOKS, json={"url": url}, headers=merchant_headers(demo))
        assert response.status_code == 422, (url, response.text)
        assert "private" in response.text and "url" in response.text
    for url, why in (("ftp://example.com/", "https://"), ("http:///nohost", "host")):
        response = client.post(HOOKS, json={"url": url}, headers=merchant_headers(demo))
        assert response.status_code == 422 and why in response.text
    assert client.get(HOOKS, headers=merchant_headers(demo)).json() == []


def test_a_receiver_that_became_private_is_refused_at_delivery(
    client: TestClient,
    demo: dict[str, Any],
    db: Database,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOMEWARD_WEBHOOK_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    subscription = subscribe(client, demo, receiver)
    monkeypatch.delenv("HOMEWARD_WEBHOOK_ALLOW_PRIVATE")
    get_settings.cache_clear()
    create_return(client, demo, "SSRF-1")

    worker = fast_worker(db, webhook_allow_private=False)
    worker.dispatch()
    worker.deliver()

    assert receiver.requests == []
    log = client.get(f"{HOOKS}/{subscription['id']}/deliveries", headers=merchant_headers(demo)).json()
    assert log[0]["status_code"] is None and "private" in log[0]["error"]


@pytest.mark.usefixtures("allow_private")
def test_unsubscribing_stops_the_events_and_other_merchants_see_nothing(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    subscription = subscribe(client, demo, receiver)
    other = {"Authorization": f"Bearer {demo['other_token']}"}
    assert client.get(f"{HOOKS}/{subscription['id']}", headers=other).status_code == 404
    assert client.delete(f"{HOOKS}/{subscription['id']}", headers=other).status_code == 404
    assert client.get(HOOKS, headers=other).json() == []
    assert client.delete(f"{HOOKS}/{subscription['id']}", headers=merchant_headers(demo)).status_code == 204
    create_return(client, demo, "GONE-1")
    drain(fast_worker(db))
    assert receiver.requests == []


@pytest.mark.usefixtures("allow_private")
def test_a_refund_applied_from_a_file_is_announced(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    subscribe(client, demo, receiver, topics=["refund.applied"])
    response = client.post(
        "/refunds/v1/files",
        params={"name": "JET_REFUND_072316143000.csv"},
        content=refund_csv(refund_row()),
        headers={"Authorization": f"Bearer {demo['token']}"},
    )
    assert response.status_code == 200 and response.headers["X-Rows-Ok"] == "1", response.text
    drain(fast_worker(db))
    [event] = receiver.accepted()
    assert event.topic == "refund.applied" and event.signed
    assert event.data["merchant_order_id"] == "JET-ACME-1001" and event.data["alt_refund_id"] == "R-1"
    assert event.data["lines"][0]["amounts"]["principal"] == "19.99"

"""A merchant replays a delivery (API, CLI, web app); the operator's retention forgets what was
sent long ago (CLI and the worker) but never what is still to be sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.db import Database
from tests.builders import merchant_headers
from tests.events.test_webhooks import HOOKS, create_return, drain, fast_worker, subscribe
from tests.web.session_http import post_form, sign_in
from tests.webhook_receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.usefixtures("allow_private")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as found:
        yield found


def homeward(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "homeward", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOMEWARD_WEBHOOK_ALLOW_PRIVATE": "1"},
    )


def log_of(client: TestClient, demo: dict[str, Any], subscription_id: int) -> list[dict[str, Any]]:
    answer = client.get(f"{HOOKS}/{subscription_id}/deliveries", headers=merchant_headers(demo))
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()
    return found


def replay(client: TestClient, demo: dict[str, Any], subscription_id: int, delivery_id: int) -> Any:
    return client.post(
        f"{HOOKS}/{subscription_id}/deliveries/{delivery_id}/replay", headers=merchant_headers(demo)
    )


def test_a_replay_sends_the_same_event_again_and_the_log_shows_it(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    subscription = subscribe(client, demo, receiver, topics=["return.created"])
    create_return(client, demo, "REPLAY-1")
    drain(fast_worker(db))
    [first] = log_of(client, demo, subscription["id"])
    assert first["delivery_status"] == "delivered"

    answer = replay(client, demo, subscription["id"], first["delivery_id"])
    assert answer.status_code == 202, answer.text
    replayed = answer.json()
    assert replayed["event_id"] == first["event_id"] and replayed["replay_of"] == first["delivery_id"]
    assert replayed["status"] == "pending" and replayed["delivery_id"] != first["delivery_id"]
    drain(fast_worker(db))

    got = receiver.accepted()
    assert [r.event_id for r in got] == [first["event_id"]] * 2  # the receiver can drop the repeat
    assert all(r.signed for r in got) and got[0].data == got[1].data
    log = log_of(client, demo, subscription["id"])
    assert [(a["delivery_id"], a["event_id"], a["attempt"], a["delivery_status"]) for a in log] == [
        (replayed["delivery_id"], first["event_id"], 1, "delivered"),
        (first["delivery_id"], first["event_id"], 1, "delivered"),
    ]


def test_a_replay_of_a_pending_or_unknown_delivery_is_refused_and_sends_nothing(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    receiver.answer = lambda n: 500
    subscription = subscribe(client, demo, receiver)
    create_return(client, demo, "REPLAY-2")
    fast_worker(db, webhook_retry_base_seconds=60, webhook_retry_max_seconds=60).dispatch()
    [pending] = log_of(client, demo, subscription["id"])
    assert pending["delivery_status"] == "pending"

    refused = replay(client, demo, subscription["id"], pending["delivery_id"])
    assert refused.status_code == 422 and "pending" in refused.text
    assert replay(client, demo, subscription["id"], pending["delivery_id"] + 1000).status_code == 404
    other = {"Authorization": f"Bearer {demo['other_token']}"}
    stranger = client.post(
        f"{HOOKS}/{subscription['id']}/deliveries/{pending['delivery_id']}/replay", headers=other
    )
    assert stranger.status_code == 404
    assert len(log_of(client, demo, subscription["id"])) == 1 and len(receiver.requests) == 1


def test_the_web_app_and_the_cli_replay_a_delivery(
    client: TestClient, demo: dict[str, Any], db: Database, database_url: str, receiver: Receiver
) -> None:
    subscription = subscribe(client, demo, receiver)
    create_return(client, demo, "REPLAY-3")
    drain(fast_worker(db))
    [first] = log_of(client, demo, subscription["id"])

    sign_in(client, demo["web_users"]["merchant"])
    page = f"/settings/webhooks/{subscription['id']}"
    assert "Replay" in client.get(page).text
    answer = post_form(client, f"{page}/deliveries/{first['delivery_id']}/replay", {}, page=page)
    assert answer.status_code == 303 and answer.headers["location"] == page
    assert "will be sent again" in client.get(page).text

    merchant = str(demo["merchant_id"])
    cli = homeward(
        "webhook", "replay", str(subscription["id"]), str(first["delivery_id"]),
        "--merchant", merchant, "--database-url", database_url,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["event_id"] == first["event_id"]
    missing = homeward(
        "webhook", "replay", str(subscription["id"]), "999999", "--merchant", merchant,
        "--database-url", database_url,
    )  # fmt: skip
    assert missing.returncode == 1 and "not found" in missing.stderr

    drain(fast_worker(db))
    assert [r.event_id for r in receiver.accepted()] == [first["event_id"]] * 3


def test_pruning_forgets_what_was_sent_and_keeps_what_is_still_to_send(
    client: TestClient, demo: dict[str, Any], db: Database, database_url: str, receiver: Receiver
) -> None:
    receiver.answer = lambda n: 204 if n == 0 else 500  # the first event gets through, then it is down
    subscription = subscribe(client, demo, receiver, topics=["return.created"])
    create_return(client, demo, "PRUNE-1")
    drain(fast_worker(db))
    soon = fast_worker(db, webhook_retry_base_seconds=2, webhook_retry_max_seconds=2)
    create_return(client, demo, "PRUNE-2", case="bundle")
    soon.dispatch()  # tried once, refused: pending until its retry, 1 to 2 seconds later
    create_return(client, demo, "PRUNE-3", case="lot")  # not dispatched at all yet
    log = log_of(client, demo, subscription["id"])
    assert [a["delivery_status"] for a in log] == ["pending", "delivered"]

    kept = homeward("webhook", "prune", "--database-url", database_url)  # default: 30 days
    assert kept.returncode == 0, kept.stderr
    assert json.loads(kept.stdout) == {"deliveries": 0, "events": 0, "days": 30.0}
    pruned = homeward("webhook", "prune", "--days", "0", "--database-url", database_url)
    assert pruned.returncode == 0, pruned.stderr
    assert json.loads(pruned.stdout)["deliveries"] == 1

    assert log_of(client, demo, subscription["id"]) == [log[0]]  # the pending delivery and its log
    receiver.answer = lambda n: 204
    drain(fast_worker(db), until=lambda: len(receiver.accepted()) == 3)
    assert [r.data["reference_id"] for r in receiver.accepted()] == ["PRUNE-1", "PRUNE-3", "PRUNE-2"]


def test_the_worker_prunes_in_batches_past_the_retention(
    client: TestClient, demo: dict[str, Any], db: Database, receiver: Receiver
) -> None:
    subscription = subscribe(client, demo, receiver, topics=["return.created"])
    for n, case in enumerate(("regular", "bundle", "lot")):
        create_return(client, demo, f"HOUSE-{n}", case=case)
    drain(fast_worker(db))
    assert len(log_of(client, demo, subscription["id"])) == 3

    assert fast_worker(db).housekeeping() is False  # 30 days: all of it is kept
    assert len(log_of(client, demo, subscription["id"])) == 3
    assert fast_worker(db, event_retention_days=0).housekeeping() is False  # one batch was enough
    assert log_of(client, demo, subscription["id"]) == []
    drain(fast_worker(db))
    assert len(receiver.accepted()) == 3  # nothing was sent again

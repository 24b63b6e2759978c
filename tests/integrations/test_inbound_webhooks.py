"""AfterShip and Loop "return created" webhooks, signed with the merchant's secret, become returns
through the same create-return rules; replays create nothing twice; refusals are recorded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.db import Database
from homeward.integrations.domain import Platform, sign
from homeward.integrations.service import configure
from tests.builders import auth

FIXTURES = Path(__file__).parents[1] / "fixtures"
SECRET = "platform-webhook-secret"
HEADER = {"aftership": "as-signature-hmac-sha256", "loop": "X-Loop-Signature"}


def sample(platform: str) -> dict[str, Any]:
    name = "aftership_return_created.json" if platform == "aftership" else "loop_return_created.json"
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


def post(client: TestClient, platform: str, key: str, payload: Any, secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode() if not isinstance(payload, bytes) else payload
    return client.post(
        f"/integrations/{platform}/{key}",
        content=body,
        headers={HEADER[platform]: sign(secret, body), "content-type": "application/json"},
    )


def events(client: TestClient, demo: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get(
        "/2025-07/integration-events", headers=auth(demo["token"])
    ).json()
    return found


@pytest.mark.parametrize("platform", ["aftership", "loop"])
def test_a_signed_return_created_webhook_becomes_a_return_once(
    client: TestClient, demo: dict[str, Any], db: Database, platform: str
) -> None:
    key = configure(db, demo["merchant_id"], Platform(platform), SECRET).merchant_key
    first = post(client, platform, key, sample(platform))
    assert first.status_code == 201, first.text
    created = first.json()
    assert created["outcome"] == "created"
    shown = client.get(f"/2025-07/return/{created['return_id']}", headers=auth(demo["token"])).json()
    expected_rma = "AS7K2M9Q" if platform == "aftership" else "LOOP-90817263"
    assert shown["reference_id"] == created["reference_id"] == expected_rma
    assert shown["original_shipment_id"] == demo["shipments"]["regular"]["id"]
    assert shown["tracking_number"] == (
        "1Z999AA10000004242" if platform == "aftership" else "9400111899223344556677"
    )
    assert sorted((i["id"], i["quantity"]) for i in shown["inventory"]) == [(1001, 2), (1002, 1)]

    again = post(client, platform, key, sample(platform))
    assert again.status_code == 200 and again.json() == {**created, "outcome": "duplicate"}
    listed = client.get("/2025-07/return", headers=auth(demo["token"])).json()["items"]
    assert [r["id"] for r in listed] == [created["return_id"]]
    assert [(e["outcome"], e["return_id"]) for e in events(client, demo)] == [
        ("duplicate", created["return_id"]),
        ("created", created["return_id"]),
    ]


@pytest.mark.parametrize("platform", ["aftership", "loop"])
def test_a_bad_signature_is_refused_and_stores_nothing(
    client: TestClient, demo: dict[str, Any], db: Database, platform: str
) -> None:
    key = configure(db, demo["merchant_id"], Platform(platform), SECRET).merchant_key
    assert post(client, platform, key, sample(platform), secret="not-the-secret").status_code == 401
    unsigned = client.post(f"/integrations/{platform}/{key}", json=sample(platform))
    assert unsigned.status_code == 401
    assert post(client, platform, "no-such-key-here", sample(platform)).status_code == 404
    assert client.get("/2025-07/return", headers=auth(demo["token"])).json()["items"] == []
    assert events(client, demo) == []


def test_an_unknown_order_or_item_is_refused_with_the_reason_and_recorded(
    client: TestClient, demo: dict[str, Any], db: Database
) -> None:
    key = configure(db, demo["merchant_id"], Platform.AFTERSHIP, SECRET).merchant_key
    unknown_order = sample("aftership")
    unknown_order["data"]["order"]["order_number"] = "NOPE-1"
    answer = post(client, "aftership", key, unknown_order)
    assert answer.status_code == 422 and "NOPE-1" in answer.text and "order" in answer.json()["errors"]

    unknown_item = sample("aftership")
    unknown_item["data"]["items"][0]["sku"] = "NO-SUCH-SKU"
    answer = post(client, "aftership", key, unknown_item)
    assert answer.status_code == 422 and "NO-SUCH-SKU" in answer.text

    missing = sample("aftership")
    del missing["data"]["rma_number"]
    answer = post(client, "aftership", key, missing)
    assert answer.status_code == 400 and "data.rma_number" in answer.json()["errors"]
    assert post(client, "aftership", key, b"{not json").status_code == 400

    recorded = events(client, demo)
    assert [e["outcome"] for e in recorded] == ["refused"] * 4
    assert "NO-SUCH-SKU" in recorded[2]["reason"] and "NOPE-1" in recorded[3]["reason"]
    assert client.get("/2025-07/return", headers=auth(demo["token"])).json()["items"] == []
    assert events(client, {"token": demo["other_token"]}) == []  # the other merchant sees none of it


def test_other_events_are_acknowledged_and_create_nothing(
    client: TestClient, demo: dict[str, Any], db: Database
) -> None:
    key = configure(db, demo["merchant_id"], Platform.AFTERSHIP, SECRET).merchant_key
    approved = {**sample("aftership"), "event": "return.approved"}
    answer = post(client, "aftership", key, approved)
    assert answer.status_code == 200 and answer.json()["outcome"] == "ignored"
    assert client.get("/2025-07/return", headers=auth(demo["token"])).json()["items"] == []


def test_the_cli_connects_a_platform_and_shows_what_it_sent(
    client: TestClient, demo: dict[str, Any], database_url: str
) -> None:
    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "homeward", *args, "--database-url", database_url],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    done = cli("integration", "set", "loop", "--merchant", str(demo["merchant_id"]), stdin=SECRET + "\n")
    assert done.returncode == 0, done.stderr
    key = json.loads(done.stdout)["merchant_key"]
    assert json.loads(done.stdout)["path"] == f"/integrations/loop/{key}"
    assert post(client, "loop", key, sample("loop")).status_code == 201
    shown = cli("integration", "events", "--merchant", str(demo["merchant_id"]))
    assert json.loads(shown.stdout.splitlines()[0])["outcome"] == "created"
    assert cli("integration", "set", "shopify", "--merchant", "1", stdin="x\n").returncode == 1

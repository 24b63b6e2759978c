"""Parallel requests over real HTTP against two worker processes: no duplicates, no lost units."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from homeward.db import Database
from homeward.demo.data import load
from tests.builders import merchant_headers, return_body
from tests.support import live_server

PARALLEL = 20


def fire_together(url: str, bodies: list[dict[str, Any]], headers: dict[str, str]) -> list[requests.Response]:
    barrier = threading.Barrier(len(bodies))

    def post(body: dict[str, Any]) -> requests.Response:
        with requests.Session() as session:
            session.get(url.rsplit("/", 2)[0] + "/healthz", timeout=10)  # connect before the race
            barrier.wait()
            return session.post(url, json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, bodies))


def test_twenty_parallel_creates_with_one_reference_id_make_one_return(database_url: str) -> None:
    demo = load(Database(database_url))
    headers = merchant_headers(demo)
    body = return_body(
        demo,
        reference_id="RACE-1",
        original_shipment_id=None,
        inventory=[{"id": 1001, "quantity": 1, "requested_action": "Default"}],
    )
    with live_server(database_url, workers=2) as base:
        responses = fire_together(f"{base}/2025-07/return", [body] * PARALLEL, headers)
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {201: 1, 422: PARALLEL - 1}, statuses
        assert all("RACE-1" in " ".join(r.json()["errors"]) for r in responses if r.status_code == 422)
        listed = requests.get(f"{base}/2025-07/return", params={"ReferenceIds": "RACE-1"}, headers=headers)
        assert len(listed.json()["items"]) == 1


def test_parallel_returns_cannot_claim_more_units_than_shipped(database_url: str) -> None:
    demo = load(Database(database_url))
    headers = merchant_headers(demo)
    shipped = {i["id"]: i["quantity"] for i in demo["shipments"]["regular"]["inventory"]}
    bodies = [
        return_body(
            demo,
            reference_id=f"UNIT-{n}",
            inventory=[{"id": 1001, "quantity": 1, "requested_action": "Default"}],
        )
        for n in range(PARALLEL)
    ]
    with live_server(database_url, workers=2) as base:
        responses = fire_together(f"{base}/2025-07/return", bodies, headers)
        assert Counter(r.status_code for r in responses) == {
            201: shipped[1001],
            422: PARALLEL - shipped[1001],
        }
        listed = requests.get(
            f"{base}/2025-07/return", params={"InventoryIds": "1001"}, headers=headers
        ).json()
        assert (
            sum(i["quantity"] for r in listed["items"] for i in r["inventory"] if i["id"] == 1001)
            == shipped[1001]
        )


def test_parallel_creates_of_one_caller_are_each_answered_for_themselves(database_url: str) -> None:
    # A worker writes a caller's creates that arrive together in one transaction
    # (doors/http/together.py): each must still get its own return or its own refusal.
    demo = load(Database(database_url))
    headers = merchant_headers(demo)

    def body(reference_id: str, inventory_id: int = 1001) -> dict[str, Any]:
        inventory = [{"id": inventory_id, "quantity": 1, "requested_action": "Default"}]
        return return_body(demo, reference_id=reference_id, original_shipment_id=None, inventory=inventory)

    bodies = [body(f"MIX-{n}") for n in range(PARALLEL - 4)]
    bodies += [body("MIX-UNKNOWN-1", 999_999), body("MIX-UNKNOWN-2", 999_998)]
    bodies += [body("MIX-0"), body("MIX-1")]  # a reference id another request of the burst has
    with live_server(database_url, workers=1) as base:
        responses = fire_together(f"{base}/2025-07/return", bodies, headers)
        created = [r.json() for r in responses if r.status_code == 201]
        refused = {
            b["reference_id"]: r for b, r in zip(bodies, responses, strict=True) if r.status_code == 422
        }
        assert len(created) == PARALLEL - 4 and len({c["id"] for c in created}) == PARALLEL - 4
        for sent, response in zip(bodies, responses, strict=True):
            if response.status_code == 201:  # its own return: its reference id and its items
                assert response.json()["reference_id"] == sent["reference_id"]
                assert [i["id"] for i in response.json()["inventory"]] == [1001]
        # each refusal names its own request's fault, not another's
        assert "999999" in refused["MIX-UNKNOWN-1"].text and "999998" not in refused["MIX-UNKNOWN-1"].text
        assert "999998" in refused["MIX-UNKNOWN-2"].text and "999999" not in refused["MIX-UNKNOWN-2"].text
        taken = [r for r in responses if r.status_code == 422 and "already" in r.text]
        assert len(taken) == 2 and {"MIX-0", "MIX-1"} <= {c["reference_id"] for c in created}
        listed = requests.get(f"{base}/2025-07/return", params={"Limit": 100}, headers=headers).json()
        mine = sorted(r["reference_id"] for r in listed["items"] if r["reference_id"].startswith("MIX-"))
        assert mine == sorted(f"MIX-{n}" for n in range(PARALLEL - 4))

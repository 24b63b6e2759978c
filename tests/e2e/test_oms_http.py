"""The OMS dialect over real HTTP against two worker processes: the seed sample, the same return
through the ShipBob dialect, and parallel requests through both doors racing for one unit."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import requests

from homeward.db import Database
from homeward.demo.data import load
from tests.builders import merchant_headers, return_body
from tests.doors.oms.helpers import bearer, order_item, sample_request
from tests.support import live_server

PARALLEL = 10
Call = tuple[str, dict[str, Any], dict[str, str]]  # url, body, headers


def race(base: str, calls: list[Call]) -> list[requests.Response]:
    """POST every call at the same moment, each on its own connection."""
    barrier = threading.Barrier(len(calls))

    def post(call: Call) -> requests.Response:
        url, body, headers = call
        with requests.Session() as session:
            session.get(f"{base}/healthz", timeout=10)  # connect before the race
            barrier.wait()
            return session.post(url, json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(post, calls))


def test_the_oms_dialect_over_http_with_racing_clients(database_url: str) -> None:
    demo = load(Database(database_url))
    oms = bearer(demo["token"])
    with live_server(database_url, workers=2) as base:
        oms_url = f"{base}/oms/v1/returns"
        created = requests.post(oms_url, json=sample_request(order_item(demo)), headers=oms, timeout=30)
        assert created.status_code == 201, created.text
        answer = created.json()
        seen = requests.get(f"{base}/2025-07/return/{answer['returnID']}", headers=oms, timeout=10).json()
        assert (seen["reference_id"], seen["inventory"][0]["quantity"]) == (answer["referenceID"], 1)
        assert requests.get(f"{oms_url}/{answer['returnID']}", headers=oms, timeout=10).json() == answer

        # Ten clients name the same serial (each with its own unit id): one wins, nine are told why.
        earbuds = order_item(demo, "serialized")
        unit = [{"orderItemUnitID": 0, "serialNumber": 830001}]
        calls: list[Call] = [
            (oms_url, {"item": [{"orderItemID": earbuds, "quantity": 1, "orderItemUnits": unit}]}, oms)
            for _ in range(PARALLEL)
        ]
        responses = race(base, calls)
        assert Counter(r.status_code for r in responses) == {201: 1, 400: PARALLEL - 1}
        assert all(
            r.json()["errors"][0]["field"].startswith("item[0]") for r in responses if r.status_code == 400
        )

        # The one mug, claimed at the same moment through both doors: exactly one return gets it.
        mug = {"item": [{"orderItemID": order_item(demo, index=1), "quantity": 1}]}
        one_mug = [{"id": 1002, "quantity": 1, "requested_action": "Default"}]
        calls = [
            (oms_url, mug, oms)
            if n % 2
            else (
                f"{base}/2025-07/return",
                return_body(demo, reference_id=f"MUG-{n}", inventory=one_mug),
                merchant_headers(demo),
            )
            for n in range(PARALLEL)
        ]
        statuses = Counter(r.status_code for r in race(base, calls))
        assert statuses[201] == 1 and statuses[201] + statuses[400] + statuses[422] == PARALLEL, statuses

"""Scanners racing over real HTTP against two worker processes: no unit is processed twice, no
return is created twice, no quarantined unit is released twice."""

from __future__ import annotations

from collections import Counter

import requests

from homeward.db import Database
from homeward.demo.data import load
from tests.builders import auth, merchant_headers, return_body
from tests.e2e.test_concurrency import PARALLEL, fire_together
from tests.support import live_server


def test_parallel_scanners_never_process_a_unit_twice(database_url: str) -> None:
    demo = load(Database(database_url))
    merchant, scanner = merchant_headers(demo), auth(demo["warehouse_tokens"]["1"])
    body = return_body(
        demo,
        reference_id="RACE-INSPECT",
        original_shipment_id=None,
        tracking_number="1ZRACEINSPECT",
        inventory=[
            {"id": 1001, "quantity": 2, "requested_action": "Default"},
            {"id": 1002, "quantity": 3, "requested_action": "Quarantine"},
        ],
    )
    with live_server(database_url, workers=2) as base:
        created = requests.post(f"{base}/2025-07/return", json=body, headers=merchant, timeout=30).json()
        shipment = demo["shipments"]["lot"]
        scans = fire_together(
            f"{base}/warehouse/v1/arrivals",
            [{"barcode": shipment["tracking_number"], "rts": True}] * PARALLEL
            + [{"barcode": "1ZRACEINSPECT"}] * 4,
            scanner,
        )
        assert {r.status_code for r in scans} == {200}, [r.text for r in scans if r.status_code != 200]
        assert len({r.json()["id"] for r in scans[:PARALLEL]}) == 1  # one RTS return, every scan sees it
        listed = requests.get(
            f"{base}/2025-07/return",
            params={"OriginalShipmentIds": shipment["id"]},
            headers=merchant,
            timeout=30,
        )
        assert len(listed.json()["items"]) == 1

        url = f"{base}/warehouse/v1/returns/{created['id']}/inspections"
        one_tee = {"items": [{"inventory_id": 1001, "quantity": 1}]}
        mugs = {"items": [{"inventory_id": 1002, "quantity": 3, "steps": {"no chips or cracks": True}}]}
        assert requests.post(url, json=mugs, headers=scanner, timeout=30).status_code == 200
        inspected = fire_together(url, [one_tee] * PARALLEL, scanner)
        assert Counter(r.status_code for r in inspected) == {200: 2, 422: PARALLEL - 2}

        seen = requests.get(f"{base}/2025-07/return/{created['id']}", headers=merchant, timeout=30).json()
        tee = next(i for i in seen["inventory"] if i["id"] == 1001)
        assert sum(a["quantity_processed"] for a in tee["action_taken"]) == 2
        assert [t["transaction_type"] for t in seen["transactions"]] == [
            "ReturnProcessingFee",
            "ReturnPerUnitFee",
        ]
        history = requests.get(
            f"{base}/2025-07/return/{created['id']}/statushistory", headers=merchant, timeout=30
        ).json()
        assert [h["status"] for h in history] == ["Awaiting Arrival", "Arrived", "Processing", "Completed"]

        release = {"return_id": created["id"], "inventory_id": 1002, "quantity": 1, "action": "Restock"}
        released = fire_together(f"{base}/warehouse/v1/quarantine/releases", [release] * PARALLEL, scanner)
        assert Counter(r.status_code for r in released) == {200: 3, 422: PARALLEL - 3}
        stock = requests.get(
            f"{base}/warehouse/v1/inventory", params={"inventory_id": 1002}, headers=scanner, timeout=30
        ).json()
        assert (stock["sellable"], stock["quarantine"]) == (3, 0)
        tee_stock = requests.get(
            f"{base}/warehouse/v1/inventory", params={"inventory_id": 1001}, headers=scanner, timeout=30
        ).json()
        assert tee_stock["sellable"] == 2

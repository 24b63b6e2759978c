"""From scan to Completed over real HTTP, checked through the ShipBob dialect: a customer return
(with a photo) and a return to sender."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from homeward.db import Database
from homeward.demo.data import load
from tests.builders import auth, merchant_headers, return_body
from tests.support import live_server
from tests.warehouse.flow import PNG


@pytest.fixture
def server(database_url: str) -> Iterator[tuple[str, dict[str, Any]]]:
    demo = load(Database(database_url))
    with live_server(database_url) as base:
        yield base, demo


def test_a_customer_return_from_creation_to_completed(server: tuple[str, dict[str, Any]]) -> None:
    base, demo = server
    merchant, scanner = merchant_headers(demo), auth(demo["warehouse_tokens"]["1"])
    body = return_body(demo, reference_id="E2E-CUSTOMER", tracking_number="1ZE2ECUSTOMER")
    created = requests.post(f"{base}/2025-07/return", json=body, headers=merchant, timeout=30).json()
    assert created["status"] == "Awaiting Arrival"

    arrived = requests.post(
        f"{base}/warehouse/v1/arrivals", json={"barcode": "E2E-CUSTOMER"}, headers=scanner, timeout=30
    )
    assert arrived.json()["status"] == "Arrived" and arrived.json()["id"] == created["id"]
    inspection = {
        "items": [
            {"inventory_id": 1001, "quantity": 1},
            {"inventory_id": 1001, "quantity": 1, "damaged": True, "reason": "stained", "photo": "stain"},
            {"inventory_id": 1002, "quantity": 1, "steps": {"no chips or cracks": True}},
        ]
    }
    inspected = requests.post(
        f"{base}/warehouse/v1/returns/{created['id']}/inspections",
        data={"inspection": json.dumps(inspection)},
        files={"stain": ("stain.png", PNG, "image/png")},
        headers=scanner,
        timeout=30,
    )
    assert inspected.status_code == 200, inspected.text

    seen = requests.get(f"{base}/2025-07/return/{created['id']}", headers=merchant, timeout=30).json()
    assert seen["status"] == "Completed" and seen["completed_date"] is not None
    tee = next(i for i in seen["inventory"] if i["id"] == 1001)
    assert [(a["action"], a["quantity_processed"]) for a in tee["action_taken"]] == [
        ("Restock", 1),
        ("Dispose", 1),
    ]
    assert tee["action_taken"][1]["action_reason"] == "Damaged: backup action. Inspector: stained"
    photo = requests.get(tee["action_taken"][1]["image_url"], timeout=30)  # the server's own address
    assert photo.status_code == 200 and photo.content == PNG
    assert seen["invoice_amount"] == 3.75
    v1 = requests.get(f"{base}/1.0/return/{created['id']}", headers=merchant, timeout=30).json()
    assert (
        v1["status"] == "Completed"
        and sum(a["quantity_processed"] for i in v1["inventory"] for a in i["action_taken"]) == 3
    )
    history = requests.get(
        f"{base}/2025-07/return/{created['id']}/statushistory", headers=merchant, timeout=30
    ).json()
    assert [h["status"] for h in history] == ["Awaiting Arrival", "Arrived", "Processing", "Completed"]


def test_a_return_to_sender_from_scan_to_completed(server: tuple[str, dict[str, Any]]) -> None:
    base, demo = server
    merchant, scanner = merchant_headers(demo), auth(demo["warehouse_tokens"]["1"])
    shipment = demo["shipments"]["bundle"]  # a gift set: a tee and a mug
    scan = {"barcode": shipment["tracking_number"], "rts": True}
    arrived = requests.post(f"{base}/warehouse/v1/arrivals", json=scan, headers=scanner, timeout=30).json()
    assert arrived["return_type"] == "ReturnToSender"
    inspection = {
        "items": [
            {"inventory_id": 1001, "quantity": 1},
            {"inventory_id": 1002, "quantity": 1, "steps": {"no chips or cracks": True}},
        ]
    }
    url = f"{base}/warehouse/v1/returns/{arrived['id']}/inspections"
    assert requests.post(url, json=inspection, headers=scanner, timeout=30).json()["status"] == "Completed"

    listed = requests.get(
        f"{base}/2025-07/return", params={"ReturnTypes": "ReturnToSender"}, headers=merchant, timeout=30
    ).json()
    [seen] = listed["items"]
    assert seen["status"] == "Completed" and seen["original_shipment_id"] == shipment["id"]
    assert seen["reference_id"].startswith("RTS-")
    assert {i["id"]: i["bundle_parent_sku"] for i in seen["inventory"]} == {
        1001: "GIFTSET-TEE-MUG",
        1002: "GIFTSET-TEE-MUG",
    }
    assert [(i["id"], [a["action"] for a in i["action_taken"]]) for i in seen["inventory"]] == [
        (1001, ["Restock"]),
        (1002, ["Restock"]),  # the mug's RTS preference is the default, Restock
    ]
    assert [(t["transaction_type"], t["amount"]) for t in seen["transactions"]] == [
        ("ReturnToSenderFee", 5.0),
        ("ReturnPerUnitFee", 0.5),
    ]
    stock = requests.get(
        f"{base}/warehouse/v1/inventory",
        params={"inventory_id": 1002, "fulfillment_center_id": 1},
        headers=merchant,
        timeout=30,
    )
    assert stock.json()["sellable"] == 1

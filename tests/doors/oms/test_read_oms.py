"""GET /oms/v1/returns/{returnID}, and one return seen through both dialects."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.db import Database
from homeward.returns.domain import ReturnStatus
from tests.builders import auth, merchant_headers, return_body
from tests.doors.oms.helpers import URL, bearer, fields, oms_body, order_item
from tests.helpers import advance

SHIPBOB = "/2025-07/return"


def create(client: TestClient, demo: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(URL, json=body, headers=bearer(demo["token"]))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def read(client: TestClient, demo: dict[str, Any], return_id: int) -> dict[str, Any]:
    response = client.get(f"{URL}/{return_id}", headers=bearer(demo["readonly_token"]))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_get_answers_what_create_answered(client: TestClient, demo: dict[str, Any]) -> None:
    body = oms_body(demo, returnID=31, refundType="STANDARD")
    body["item"][0].update(
        partName="Classic Tee", SKU="TEE-CLASSIC-M", options=["Size: M"], returnSubtotal=19.99
    )
    created = create(client, demo, body)
    assert read(client, demo, created["returnID"]) == created


def test_status_follows_the_return_as_the_warehouse_works(
    client: TestClient, db: Database, demo: dict[str, Any]
) -> None:
    created = create(client, demo, oms_body(demo))
    return_id = created["returnID"]
    seen = []
    for status in (ReturnStatus.ARRIVED, ReturnStatus.PROCESSING, ReturnStatus.COMPLETED):
        advance(db, return_id, status)
        answer = read(client, demo, return_id)
        seen.append((answer["status"], answer["statusDetail"], answer["clearedTime"] is not None))
    assert seen == [
        ("OPEN", "Arrived", False),
        ("PROCESSING", "Processing", False),
        ("CLOSED", "Completed", True),
    ]
    completed = client.get(f"{SHIPBOB}/{return_id}", headers=auth(demo["token"])).json()["completed_date"]
    assert read(client, demo, return_id)["clearedTime"] == completed


def test_a_return_cancelled_through_shipbob_is_closed_and_cleared(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = create(client, demo, oms_body(demo))
    cancelled = client.post(f"{SHIPBOB}/{created['returnID']}:cancel", headers=merchant_headers(demo))
    assert cancelled.status_code == 200
    answer = read(client, demo, created["returnID"])
    assert (answer["status"], answer["statusDetail"]) == ("CLOSED", "Cancelled")
    history = client.get(f"{SHIPBOB}/{created['returnID']}/statushistory", headers=auth(demo["token"])).json()
    assert answer["clearedTime"] == history[-1]["time_stamp"]


def test_a_return_made_here_is_the_one_the_shipbob_dialect_lists(
    client: TestClient, demo: dict[str, Any]
) -> None:
    body = oms_body(demo, returnID=4242)
    body["item"].append(
        {"orderItemID": order_item(demo, index=1), "quantity": 1, "reason": "Arrived damaged"}
    )
    created = create(client, demo, body)
    shipment = demo["shipments"]["regular"]

    seen = client.get(f"{SHIPBOB}/{created['returnID']}", headers=auth(demo["token"])).json()
    assert seen["id"] == created["returnID"]
    assert seen["reference_id"] == created["referenceID"] == "OMS-4242"
    assert seen["status"] == "Awaiting Arrival" and seen["return_type"] == "Regular"
    assert seen["original_shipment_id"] == shipment["id"]
    assert seen["store_order_id"] == shipment["store_order_id"]
    assert seen["fulfillment_center"]["id"] == created["returnLocation"]
    assert seen["insert_date"] == created["createdTime"]
    assert [(i["id"], i["quantity"], i["action_requested"]["action"]) for i in seen["inventory"]] == [
        (1001, 1, "Restock"),  # the tee's preference: requested action Default
        (1002, 1, "Quarantine"),  # the mug's preference
    ]
    listed = client.get(SHIPBOB, params={"ReferenceIds": "OMS-4242"}, headers=auth(demo["token"])).json()
    assert [r["id"] for r in listed["items"]] == [created["returnID"]]
    v1 = client.get(f"/1.0/return/{created['returnID']}", headers=auth(demo["token"]))
    assert v1.status_code == 200 and v1.json()["reference_id"] == "OMS-4242"


def test_a_shipbob_return_seen_through_the_oms(client: TestClient, demo: dict[str, Any]) -> None:
    made = client.post(SHIPBOB, json=return_body(demo), headers=merchant_headers(demo)).json()
    answer = read(client, demo, made["id"])
    assert answer["referenceID"] == "RMA-0001" and answer["status"] == "OPEN"
    # Each inventory line names the only shipment line it can have come from.
    assert [(i["orderItemID"], i["quantity"], i["status"]) for i in answer["item"]] == [
        (order_item(demo, index=0), 2, None),
        (order_item(demo, index=1), 1, None),
    ]
    # ...so the OMS cannot take those units a second time.
    refused = client.post(URL, json=oms_body(demo), headers=bearer(demo["token"]))
    assert "0 unit(s) of order item" in refused.json()["errors"][0]["message"]


def test_a_shipbob_modify_replaces_the_items_and_gives_units_back(
    client: TestClient, demo: dict[str, Any]
) -> None:
    unit = {"orderItemUnitID": 1, "serialNumber": 830001}
    body = {
        "item": [{"orderItemID": order_item(demo, "serialized"), "quantity": 1, "orderItemUnits": [unit]}]
    }
    created = create(client, demo, body)
    shipment = demo["shipments"]["serialized"]
    modified = client.put(
        f"{SHIPBOB}/{created['returnID']}",
        json=return_body(demo, "serialized", reference_id=created["referenceID"]),
        headers=merchant_headers(demo),
    )
    assert modified.status_code == 200, modified.text
    [item] = read(client, demo, created["returnID"])["item"]
    assert (item["orderItemID"], item["quantity"], item["orderItemUnits"]) == (
        shipment["inventory"][0]["order_item_id"],
        2,
        [],
    )
    # The modify took every unit of the line, not that serial: the serial is free, the units are not.
    again = client.post(URL, json=body, headers=bearer(demo["token"]))
    assert fields(again) == ["item[0].quantity"]


@pytest.mark.parametrize(
    ("headers_of", "return_of", "status"),
    [
        (lambda d: bearer(d["other_token"]), lambda r: r, 404),
        (lambda d: bearer(d["token"]), lambda r: r + 1000, 404),
        (lambda d: {}, lambda r: r, 401),
        (lambda d: bearer(d["token"]), lambda r: 0, 400),
    ],
    ids=["another-merchant", "no-such-return", "no-token", "returnID-0"],
)
def test_reading_is_for_the_merchant_only(
    client: TestClient, demo: dict[str, Any], headers_of: Any, return_of: Any, status: int
) -> None:
    created = create(client, demo, oms_body(demo))
    response = client.get(f"{URL}/{return_of(created['returnID'])}", headers=headers_of(demo))
    assert response.status_code == status
    assert response.json()["errors"][0]["message"]


def test_an_oms_return_is_received_by_the_warehouse(client: TestClient, demo: dict[str, Any]) -> None:
    """Created here, scanned by its RMA at the fulfillment center, inspected, closed: one return."""
    from tests.warehouse.flow import arrive, inspect

    created = create(client, demo, oms_body(demo))
    return_id, rma = created["returnID"], created["referenceID"]
    item = demo["shipments"]["regular"]["inventory"][0]

    scanned = arrive(client, demo, rma)
    assert scanned.status_code == 200, scanned.text
    assert read(client, demo, return_id)["statusDetail"] == "Arrived"
    done = inspect(client, demo, return_id, {"inventory_id": item["id"], "quantity": 1})
    assert done.status_code == 200, done.text

    closed = read(client, demo, return_id)
    assert (closed["status"], closed["statusDetail"]) == ("CLOSED", "Completed")
    shipbob = client.get(f"{SHIPBOB}/{return_id}", headers=auth(demo["token"])).json()
    assert shipbob["inventory"][0]["action_taken"][0]["quantity_processed"] == 1

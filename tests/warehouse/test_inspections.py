"""Inspecting units: dispositions by rule, unit-exact counts, completion, fees, photos, quarantine."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.builders import auth, merchant_headers
from tests.warehouse.flow import (
    PNG,
    RETURNS,
    WAREHOUSE,
    arrive,
    balance,
    create,
    inspect,
    shipbob,
    staff,
    take_to,
    taken,
)

TEE, MUG, AEROSOL, SERUM = 1001, 1002, 1003, 1005


def received(client: TestClient, demo: dict[str, Any], reference: str, **overrides: Any) -> int:
    created = create(client, demo, reference, tracking_number=f"1Z{reference}", **overrides)
    assert arrive(client, demo, f"1Z{reference}").status_code == 200
    return int(created["id"])


def loose(*lines: tuple[int, int], action: str = "Default") -> dict[str, Any]:
    """A return not tied to a shipment, with these (inventory id, quantity) lines."""
    return {
        "original_shipment_id": None,
        "inventory": [{"id": i, "quantity": q, "requested_action": action} for i, q in lines],
    }


def test_inspections_take_a_return_through_processing_to_completed_with_fees_and_history(
    client: TestClient, demo: dict[str, Any]
) -> None:
    return_id = received(client, demo, "FLOW1")  # 2 tees (Restock) and a mug (Quarantine), demo shipment

    first = inspect(client, demo, return_id, {"inventory_id": TEE, "quantity": 1})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "Processing"
    assert {i["inventory_id"]: i["remaining"] for i in first.json()["items"]} == {TEE: 1, MUG: 1}
    assert shipbob(client, demo, return_id)["completed_date"] is None

    last = inspect(
        client,
        demo,
        return_id,
        {"inventory_id": TEE, "quantity": 1},
        {"inventory_id": MUG, "quantity": 1, "steps": {"no chips or cracks": True}},
    )
    assert last.json()["status"] == "Completed"

    body = shipbob(client, demo, return_id)
    assert body["status"] == "Completed" and body["completed_date"] is not None
    assert taken(body, TEE) == [("Restock", 1), ("Restock", 1)]
    assert taken(body, MUG) == [("Quarantine", 1)]
    [mug] = [i for i in body["inventory"] if i["id"] == MUG]
    assert mug["action_taken"][0]["action_reason"] == "Item's return preference"
    assert [(t["transaction_type"], t["amount"]) for t in body["transactions"]] == [
        ("ReturnProcessingFee", 3.0),
        ("ReturnPerUnitFee", 0.75),
    ]
    assert body["invoice_amount"] == 3.75
    history = client.get(f"{RETURNS}/{return_id}/statushistory", headers=merchant_headers(demo)).json()
    assert [h["status"] for h in history] == ["Awaiting Arrival", "Arrived", "Processing", "Completed"]
    assert balance(client, demo, TEE) == {"sellable": 2, "quarantine": 0, "disposed": 0}
    assert balance(client, demo, MUG) == {"sellable": 0, "quarantine": 1, "disposed": 0}
    v1 = client.get(f"/1.0/return/{return_id}", headers=merchant_headers(demo)).json()
    assert [a["quantity_processed"] for i in v1["inventory"] for a in i["action_taken"]] == [1, 1, 1]


def test_ineligible_items_are_disposed_whatever_was_requested_and_damaged_units_take_the_backup(
    client: TestClient, demo: dict[str, Any]
) -> None:
    return_id = received(client, demo, "RULES1", **loose((AEROSOL, 1), (TEE, 2), action="Restock"))

    wrong = inspect(client, demo, return_id, {"inventory_id": AEROSOL, "quantity": 1, "action": "Restock"})
    assert wrong.status_code == 422
    assert wrong.json()["errors"]["items[0].action"][0].startswith("must be Dispose: Not eligible for return")
    assert client.get(f"{WAREHOUSE}/returns/{return_id}", headers=staff(demo)).json()["status"] == "Arrived"

    done = inspect(
        client,
        demo,
        return_id,
        {"inventory_id": AEROSOL, "quantity": 1},
        {"inventory_id": TEE, "quantity": 1, "damaged": True, "reason": "torn seam"},
        {"inventory_id": TEE, "quantity": 1, "action": "Restock"},
    )
    assert done.status_code == 200, done.text
    reasons = {(line["inventory_id"], line["action"]): line["reason"] for line in done.json()["inspections"]}
    assert "hazardous materials" in reasons[(AEROSOL, "Dispose")]
    assert reasons[(TEE, "Dispose")] == "Damaged: backup action. Inspector: torn seam"
    assert balance(client, demo, TEE) == {"sellable": 1, "quarantine": 0, "disposed": 1}
    assert balance(client, demo, AEROSOL) == {"sellable": 0, "quarantine": 0, "disposed": 1}


def test_lot_units_need_lot_expiry_and_a_photo_and_short_dated_ones_take_the_backup(
    client: TestClient, demo: dict[str, Any]
) -> None:
    shipment = demo["shipments"]["lot"]  # 3 serums; RTS preference Restock, backup Dispose, 90 days
    return_id = arrive(client, demo, shipment["tracking_number"], rts=True).json()["id"]
    steps = {"seal intact": True, "expiry checked": True}
    url = f"{WAREHOUSE}/returns/{return_id}/inspections"

    missing = inspect(client, demo, return_id, {"inventory_id": SERUM, "quantity": 1, "steps": steps})
    assert missing.status_code == 422
    assert {"items[0].lot_number", "items[0].expiration_date", "items[0].photo"} <= set(
        missing.json()["errors"]
    )

    def line(expires: str) -> dict[str, Any]:
        return {
            "inventory_id": SERUM,
            "quantity": 1,
            "lot_number": "LOT-2026-09",
            "expiration_date": expires,
            "steps": steps,
            "photo": "label",
        }

    today = date.today()
    fresh, soon = (today + timedelta(days=800)).isoformat(), (today + timedelta(days=30)).isoformat()
    inspection = {"items": [line(fresh), line("2000-01-01"), line(soon)]}
    response = client.post(
        url,
        data={"inspection": json.dumps(inspection)},
        files={"label": ("label.png", PNG, "image/png")},
        headers=staff(demo),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "Completed"
    lines = response.json()["inspections"]
    assert [line["action"] for line in lines] == ["Restock", "Dispose", "Dispose"]
    assert "expired on 2000-01-01" in lines[1]["reason"] and "minimum shelf life" in lines[2]["reason"]

    body = shipbob(client, demo, return_id)
    [serum] = body["inventory"]
    urls = {a["image_url"] for a in serum["action_taken"]}
    assert len(urls) == 1 and None not in urls
    photo = client.get(urlsplit(urls.pop()).path)
    assert photo.status_code == 200 and photo.content == PNG and photo.headers["content-type"] == "image/png"
    assert [(t["transaction_type"], t["amount"]) for t in body["transactions"]] == [
        ("ReturnToSenderFee", 5.0),
        ("ReturnPerUnitFee", 0.75),
    ]


def test_units_beyond_the_announced_ones_must_be_recorded_as_extras(
    client: TestClient, demo: dict[str, Any]
) -> None:
    return_id = received(client, demo, "EXTRA1", **loose((TEE, 1)))

    too_many = inspect(client, demo, return_id, {"inventory_id": TEE, "quantity": 2})
    assert too_many.status_code == 422 and "extra: true" in too_many.json()["errors"]["items[0].quantity"][0]
    not_on_return = inspect(
        client, demo, return_id, {"inventory_id": MUG, "quantity": 1, "steps": {"no chips or cracks": True}}
    )
    assert not_on_return.status_code == 422 and "items[0].inventory_id" in not_on_return.json()["errors"]
    assert balance(client, demo, TEE) == {"sellable": 0, "quarantine": 0, "disposed": 0}

    done = inspect(
        client,
        demo,
        return_id,
        {"inventory_id": MUG, "quantity": 1, "extra": True, "steps": {"no chips or cracks": True}},
        {"inventory_id": TEE, "quantity": 1, "extra": True},
        {"inventory_id": TEE, "quantity": 1},
    )
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "Completed"
    progress = {i["inventory_id"]: (i["expected"], i["processed"], i["extra"]) for i in done.json()["items"]}
    assert progress == {TEE: (1, 1, 1), MUG: (0, 0, 1)}
    body = shipbob(client, demo, return_id)
    [mug] = [i for i in body["inventory"] if i["id"] == MUG]
    assert mug["quantity"] == 0 and mug["action_requested"]["action_type"] == "Extra"
    assert taken(body, MUG) == [("Quarantine", 1)]
    assert [t["amount"] for t in body["transactions"] if t["transaction_type"] == "ReturnPerUnitFee"] == [
        0.75
    ]
    assert balance(client, demo, TEE)["sellable"] == 2 and balance(client, demo, MUG)["quarantine"] == 1


def test_closing_a_return_records_missing_units_as_short(client: TestClient, demo: dict[str, Any]) -> None:
    return_id = received(client, demo, "SHORT1", **loose((TEE, 3)))
    waiting = create(client, demo, "SHORT2", **loose((TEE, 1)), tracking_number="1ZSHORT2")
    not_arrived = client.post(f"{WAREHOUSE}/returns/{waiting['id']}/close", headers=staff(demo))
    assert not_arrived.status_code == 422 and "Awaiting Arrival" in not_arrived.json()["detail"]

    inspect(client, demo, return_id, {"inventory_id": TEE, "quantity": 1})
    closed = client.post(
        f"{WAREHOUSE}/returns/{return_id}/close", json={"reason": "box was half empty"}, headers=staff(demo)
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "Completed"
    assert [(i["processed"], i["short"], i["remaining"]) for i in closed.json()["items"]] == [(1, 2, 0)]
    again = client.post(f"{WAREHOUSE}/returns/{return_id}/close", headers=staff(demo))
    assert again.json() == closed.json()

    body = shipbob(client, demo, return_id)
    assert taken(body, TEE) == [("Restock", 1), ("Short", 2)]
    assert [(t["transaction_type"], t["amount"]) for t in body["transactions"]] == [
        ("ReturnProcessingFee", 3.0),
        ("ReturnPerUnitFee", 0.25),
    ]
    late = inspect(client, demo, return_id, {"inventory_id": TEE, "quantity": 1, "extra": True})
    assert late.status_code == 422 and "Completed" in late.json()["detail"]
    assert balance(client, demo, TEE) == {"sellable": 1, "quarantine": 0, "disposed": 0}


def test_quarantined_units_are_released_by_new_ledger_entries_and_charged_storage(
    client: TestClient, demo: dict[str, Any]
) -> None:
    return_id = received(client, demo, "QUAR1", **loose((MUG, 3)))
    inspect(
        client, demo, return_id, {"inventory_id": MUG, "quantity": 3, "steps": {"no chips or cracks": True}}
    )
    url = f"{WAREHOUSE}/quarantine/releases"

    def release(quantity: int, action: str) -> Any:
        body = {"return_id": return_id, "inventory_id": MUG, "quantity": quantity, "action": action}
        return client.post(url, json=body, headers=staff(demo))

    restocked = release(2, "Restock")
    assert restocked.status_code == 200, restocked.text
    assert restocked.json()["return_balance"] == {"sellable": 2, "quarantine": 1, "disposed": 0}
    assert Decimal(restocked.json()["storage_fee"]) == Decimal("0.20")  # 2 units, 1 started day, 0.10
    too_many = release(2, "Dispose")
    assert too_many.status_code == 422 and "1 unit(s)" in too_many.json()["errors"]["quantity"][0]
    assert release(1, "Quarantine").status_code == 400
    assert release(1, "Dispose").status_code == 200
    assert balance(client, demo, MUG) == {"sellable": 2, "quarantine": 0, "disposed": 1}

    fees = [(t["transaction_type"], t["amount"]) for t in shipbob(client, demo, return_id)["transactions"]]
    assert fees.count(("QuarantineStorageFee", 0.2)) == 1 and fees.count(("QuarantineStorageFee", 0.1)) == 1
    other_center = client.post(
        url,
        json={"return_id": return_id, "inventory_id": MUG, "quantity": 1, "action": "Restock"},
        headers=staff(demo, 2),
    )
    assert other_center.status_code == 404


def test_merchants_read_their_own_items_balances_and_staff_only_their_centers(
    client: TestClient, demo: dict[str, Any]
) -> None:
    url = f"{WAREHOUSE}/inventory"
    mine = client.get(
        url, params={"inventory_id": TEE, "fulfillment_center_id": 1}, headers=auth(demo["token"])
    )
    assert mine.status_code == 200
    assert mine.json() == {
        "inventory_id": TEE,
        "fulfillment_center_id": 1,
        "sellable": 0,
        "quarantine": 0,
        "disposed": 0,
    }
    theirs = client.get(
        url, params={"inventory_id": TEE, "fulfillment_center_id": 1}, headers=auth(demo["other_token"])
    )
    assert theirs.status_code == 404
    no_center = client.get(url, params={"inventory_id": TEE}, headers=auth(demo["token"]))
    assert no_center.status_code == 400 and "fulfillment_center_id" in no_center.json()["errors"]
    elsewhere = client.get(
        url, params={"inventory_id": TEE, "fulfillment_center_id": 2}, headers=staff(demo, 1)
    )
    assert elsewhere.status_code == 403
    assert client.get(url, params={"inventory_id": 999999}, headers=staff(demo)).status_code == 404


def test_bad_inspection_input_is_refused_naming_the_field_and_changes_nothing(
    client: TestClient, demo: dict[str, Any]
) -> None:
    waiting = create(client, demo, "BAD0", **loose((TEE, 1)), tracking_number="1ZBAD0")
    not_arrived = inspect(client, demo, waiting["id"], {"inventory_id": TEE, "quantity": 1})
    assert not_arrived.status_code == 422 and "arrivals" in not_arrived.json()["detail"]

    return_id = received(client, demo, "BAD1", **loose((TEE, 1)))
    url = f"{WAREHOUSE}/returns/{return_id}/inspections"
    headers = staff(demo)
    cases = [
        (
            client.post(url, content=b"{not json", headers={**headers, "content-type": "application/json"}),
            "body",
        ),
        (
            client.post(url, json={"items": [{"inventory_id": TEE, "quantity": 0}]}, headers=headers),
            "items[0].quantity",
        ),
        (
            client.post(
                url, json={"items": [{"inventory_id": TEE, "quantity": 1, "colour": "red"}]}, headers=headers
            ),
            "items[0].colour",
        ),
        (client.post(url, json={"items": []}, headers=headers), "items"),
        (
            client.post(
                url,
                data={
                    "inspection": json.dumps({"items": [{"inventory_id": TEE, "quantity": 1, "photo": "p"}]})
                },
                files={"p": ("p.txt", b"hello", "image/png")},
                headers=headers,
            ),
            "photos.p",
        ),
        (client.post(url, files={"p": ("p.png", PNG, "image/png")}, headers=headers), "inspection"),
    ]
    for response, field in cases:
        assert response.status_code == 400, (field, response.text)
        assert field in response.json()["errors"], (field, response.json())
    assert client.get(f"{WAREHOUSE}/returns/{return_id}", headers=headers).json()["inspections"] == []
    assert client.get(f"{WAREHOUSE}/photos/r1-0123456789abcdef0123456789abcdef.png").status_code == 404


def test_a_list_page_shows_each_return_as_its_own_get_does(client: TestClient, demo: dict[str, Any]) -> None:
    """Pages read a batch's items, fees and inspections together: each must land on its own return."""
    inspected = received(client, demo, "PAGE1")
    assert inspect(client, demo, inspected, {"inventory_id": TEE, "quantity": 1}).status_code == 200
    arrived = received(client, demo, "PAGE2", **loose((MUG, 2), (TEE, 1)))
    completed = received(client, demo, "PAGE3", **loose((MUG, 1)))
    take_to(client, demo, completed, "Completed")
    waiting = int(create(client, demo, "PAGE4", **loose((SERUM, 1)))["id"])
    ids = [waiting, completed, arrived, inspected]

    query = "&".join(f"Ids={i}" for i in ids)
    page = client.get(f"{RETURNS}?{query}", headers=merchant_headers(demo))
    assert page.status_code == 200, page.text
    listed = page.json()["items"]
    assert [r["id"] for r in listed] == ids  # newest first
    assert listed == [shipbob(client, demo, i) for i in ids]
    assert taken(listed[3], TEE) and not any(item["action_taken"] for item in listed[2]["inventory"])
    assert listed[1]["transactions"] and not listed[0]["transactions"]

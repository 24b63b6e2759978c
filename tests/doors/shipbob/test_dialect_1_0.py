"""The 1.0 twins: same returns, numbered pages with headers, /cancel, ProblemDetails errors."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import auth, merchant_headers, return_body

URL = "/1.0/return"


def test_create_without_requested_action_uses_default(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo)
    for item in body["inventory"]:
        item.pop("requested_action")
    body["inventory"][1]["requested_action"] = None
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 201, response.text
    created = response.json()
    assert "bundle_parent_sku" not in created["inventory"][0]
    assert [i["action_requested"]["action_type"] for i in created["inventory"]] == ["InventoryDefault"] * 2
    assert created["customer_name"] == "Jordan Lee"  # 1.0: the customer on the related shipment


def test_the_same_return_is_seen_by_both_dialects(client: TestClient, demo: dict[str, Any]) -> None:
    created = client.post(URL, json=return_body(demo), headers=merchant_headers(demo)).json()
    in_2025 = client.get(f"/2025-07/return/{created['id']}", headers=merchant_headers(demo)).json()
    assert in_2025["reference_id"] == created["reference_id"]
    assert in_2025["inventory"][0]["id"] == created["inventory"][0]["id"]


def test_numbered_pages_carry_count_headers(client: TestClient, demo: dict[str, Any]) -> None:
    headers = merchant_headers(demo)
    for n in range(5):
        body = return_body(
            demo, reference_id=f"N-{n}", original_shipment_id=None, inventory=[{"id": 1001, "quantity": 1}]
        )
        assert client.post(URL, json=body, headers=headers).status_code == 201
    page2 = client.get(URL, params={"Page": 2, "Limit": 2}, headers=headers)
    assert page2.status_code == 200
    assert [r["reference_id"] for r in page2.json()] == ["N-2", "N-1"]
    assert (
        page2.headers["Page-Number"],
        page2.headers["Page-Size"],
        page2.headers["Total-Count"],
        page2.headers["Total-Pages"],
    ) == ("2", "2", "5", "3")
    oldest = client.get(URL, params={"SortOrder": "Oldest", "Limit": 1, "IDs": "1,2"}, headers=headers)
    assert [r["reference_id"] for r in oldest.json()] == ["N-0"] and oldest.headers["Total-Count"] == "2"


def test_cancel_and_history_paths(client: TestClient, demo: dict[str, Any]) -> None:
    created = client.post(URL, json=return_body(demo), headers=merchant_headers(demo)).json()
    cancelled = client.post(f"{URL}/{created['id']}/cancel", headers=merchant_headers(demo))
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "Cancelled"
    history = client.get(f"{URL}/{created['id']}/statushistory", headers=merchant_headers(demo)).json()
    assert [h["status"] for h in history] == ["Awaiting Arrival", "Cancelled"]


def test_rule_errors_are_validation_problem_details(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo)
    body["inventory"][0]["quantity"] = 10
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert "exceeds" in problem["errors"]["inventory[0].quantity"][0]


def test_modify_in_1_0(client: TestClient, demo: dict[str, Any]) -> None:
    created = client.post(URL, json=return_body(demo), headers=merchant_headers(demo)).json()
    changed = client.put(
        f"{URL}/{created['id']}",
        json=return_body(demo, tracking_number="T-NEW"),
        headers=merchant_headers(demo),
    )
    assert changed.status_code == 200 and changed.json()["tracking_number"] == "T-NEW"


def test_discovery_twins(client: TestClient, demo: dict[str, Any]) -> None:
    headers = auth(demo["token"])
    channels = client.get("/1.0/channel", headers=headers).json()
    assert [c["id"] for c in channels] == [demo["channel_id"]]
    assert (
        client.get("/1.0/fulfillment-center", headers=headers).json()
        == client.get("/1.0/fulfillmentCenter", headers=headers).json()
    )

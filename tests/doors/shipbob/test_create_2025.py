"""POST /2025-07/return: the seed 002 contract and the rules of the foundation issue."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import auth, merchant_headers, return_body

URL = "/2025-07/return"


def count_returns(client: TestClient, demo: dict[str, Any]) -> int:
    return len(client.get(URL, headers=merchant_headers(demo), params={"Limit": 250}).json()["items"])


def test_create_returns_every_field_of_the_public_dto(client: TestClient, demo: dict[str, Any]) -> None:
    response = client.post(URL, json=return_body(demo), headers=merchant_headers(demo))

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "channel",
        "completed_date",
        "customer_name",
        "fulfillment_center",
        "id",
        "insert_date",
        "inventory",
        "invoice_amount",
        "original_shipment_id",
        "reference_id",
        "return_type",
        "status",
        "store_order_id",
        "tracking_number",
        "transactions",
    }
    shipment = demo["shipments"]["regular"]
    assert body["status"] == "Awaiting Arrival"
    assert body["return_type"] == "Regular"
    assert body["reference_id"] == "RMA-0001"
    assert body["original_shipment_id"] == shipment["id"]
    assert body["store_order_id"] == shipment["store_order_id"]
    assert body["channel"] == {"id": demo["channel_id"], "name": "Acme Shopify Store"}
    assert body["fulfillment_center"]["id"] == shipment["fulfillment_center_id"]
    assert body["tracking_number"] == "1Z999AA19999999999"
    assert body["completed_date"] is None
    assert [(i["id"], i["quantity"]) for i in body["inventory"]] == [
        (i["id"], i["quantity"]) for i in shipment["inventory"]
    ]
    assert all(
        set(i) == {"action_requested", "action_taken", "bundle_parent_sku", "id", "name", "quantity"}
        for i in body["inventory"]
    )


def test_default_action_resolves_to_item_preference_and_override_is_marked(
    client: TestClient, demo: dict[str, Any]
) -> None:
    body = return_body(demo)
    body["inventory"][0]["requested_action"] = "Default"  # tee: no preference -> Restock
    body["inventory"][1]["requested_action"] = "Dispose"  # mug: preference Quarantine, overridden
    items = client.post(URL, json=body, headers=merchant_headers(demo)).json()["inventory"]

    assert items[0]["action_requested"] == {
        "action": "Restock",
        "action_type": "InventoryDefault",
        "instructions": None,
    }
    assert items[1]["action_requested"]["action"] == "Dispose"
    assert items[1]["action_requested"]["action_type"] == "Override"


def test_default_on_an_item_with_a_preference_uses_it(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo, inventory=[{"id": 1002, "quantity": 1, "requested_action": "Default"}])
    item = client.post(URL, json=body, headers=merchant_headers(demo)).json()["inventory"][0]
    assert item["action_requested"] == {
        "action": "Quarantine",
        "action_type": "InventoryDefault",
        "instructions": "Check for chips and cracks",
    }


def test_return_without_shipment_needs_only_merchant_items(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(
        demo,
        original_shipment_id=None,
        inventory=[{"id": 1001, "quantity": 5, "requested_action": "Restock"}],
    )
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 201
    assert response.json()["original_shipment_id"] is None
    assert response.json()["store_order_id"] is None


def test_bundle_components_remember_their_bundle(client: TestClient, demo: dict[str, Any]) -> None:
    response = client.post(URL, json=return_body(demo, "bundle"), headers=merchant_headers(demo))
    assert response.status_code == 201
    assert {i["bundle_parent_sku"] for i in response.json()["inventory"]} == {"GIFTSET-TEE-MUG"}


@pytest.mark.parametrize(
    ("headers_of", "status"),
    [
        (lambda d: {}, 401),
        (lambda d: auth("hw_not-a-real-token", d["channel_id"]), 401),
        (lambda d: {"Authorization": "Basic dXNlcjpwYXNz", "shipbob_channel_id": str(d["channel_id"])}, 401),
        (lambda d: auth(d["readonly_token"], d["channel_id"]), 403),
        (lambda d: auth(d["token"], d["other_channel_id"]), 403),
        (lambda d: auth(d["token"]), 400),
        (lambda d: auth(d["token"], 99999), 403),
        (lambda d: {**auth(d["token"]), "shipbob_channel_id": "abc"}, 400),
    ],
    ids=[
        "no-token",
        "unknown-token",
        "basic-auth",
        "read-only-scope",
        "other-merchants-channel",
        "missing-channel",
        "unknown-channel",
        "non-numeric-channel",
    ],
)
def test_auth_and_channel_rules(
    client: TestClient, demo: dict[str, Any], headers_of: Any, status: int
) -> None:
    response = client.post(URL, json=return_body(demo), headers=headers_of(demo))
    assert response.status_code == status
    assert response.json()  # every refusal explains itself
    assert count_returns(client, demo) == 0


@pytest.mark.parametrize(
    ("headers_of", "status"),
    [
        (lambda d: auth("hw_not-a-real-token", d["channel_id"]), 401),
        (lambda d: {**auth("hw_not-a-real-token"), "shipbob_channel_id": "abc"}, 401),
        (lambda d: auth(d["readonly_token"], d["channel_id"]), 403),
        (lambda d: auth(d["token"], d["channel_id"]), 400),
    ],
    ids=["unknown-token", "unknown-token-bad-channel-header", "read-only-scope", "allowed"],
)
def test_a_caller_without_the_right_hears_so_before_anything_about_the_body(
    client: TestClient, demo: dict[str, Any], headers_of: Any, status: int
) -> None:
    body = {**return_body(demo), "inventory": [{"id": "not a number", "quantity": 0}]}
    response = client.post(URL, json=body, headers=headers_of(demo))
    assert response.status_code == status
    assert count_returns(client, demo) == 0


def test_missing_channel_names_the_header(client: TestClient, demo: dict[str, Any]) -> None:
    response = client.post(URL, json=return_body(demo), headers=auth(demo["token"]))
    assert "shipbob_channel_id" in response.json()["errors"]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("reference_id"), "reference_id"),
        (lambda b: b.update(reference_id="R" * 47), "reference_id"),
        (lambda b: b.update(reference_id=""), "reference_id"),
        (lambda b: b.pop("fulfillment_center"), "fulfillment_center"),
        (lambda b: b.update(inventory=[]), "inventory"),
        (lambda b: b["inventory"][0].update(quantity=0), "inventory[0].quantity"),
        (lambda b: b["inventory"][0].update(quantity="two"), "inventory[0].quantity"),
        (lambda b: b["inventory"][1].update(requested_action="Recycle"), "inventory[1].requested_action"),
        (lambda b: b["inventory"][0].pop("requested_action"), "inventory[0].requested_action"),
        (lambda b: b["inventory"][0].update(id=2**31), "inventory[0].id"),
        (lambda b: b.update(tracking_number="1Z\x00"), "tracking_number"),
    ],
    ids=[
        "no-reference",
        "reference-47-chars",
        "empty-reference",
        "no-fc",
        "no-items",
        "quantity-0",
        "quantity-text",
        "unknown-action",
        "action-missing",
        "id-over-int32",
        "nul-in-text",
    ],
)
def test_schema_errors_are_400_problem_details_naming_the_field(
    client: TestClient, demo: dict[str, Any], mutate: Any, field: str
) -> None:
    body = return_body(demo)
    mutate(body)
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 400
    problem = response.json()
    assert problem["status"] == 400
    assert field in problem["errors"]
    assert count_returns(client, demo) == 0


def test_malformed_json_is_400(client: TestClient, demo: dict[str, Any]) -> None:
    response = client.post(
        URL,
        content=b'{"reference_id": ',
        headers={**merchant_headers(demo), "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["errors"]["body"][0]


def test_reference_id_of_46_characters_is_accepted(client: TestClient, demo: dict[str, Any]) -> None:
    response = client.post(URL, json=return_body(demo, reference_id="R" * 46), headers=merchant_headers(demo))
    assert response.status_code == 201


def rule_errors(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    body = response.json()
    assert set(body) >= {"message", "errors"}
    return list(body["errors"])


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda b, d: b["inventory"][0].update(quantity=3), "inventory[0].quantity: 3 exceeds"),
        (
            lambda b, d: b["inventory"].append({"id": 1005, "quantity": 1, "requested_action": "Default"}),
            "inventory[2].id: inventory 1005 is not on shipment",
        ),
        (lambda b, d: b["inventory"].append(dict(b["inventory"][0])), "is listed more than once"),
        (lambda b, d: b["inventory"][0].update(id=2001), "inventory[0].id: inventory 2001 does not exist"),
        (lambda b, d: b["inventory"][0].update(id=1004), "inventory[0].id: inventory 1004 is a bundle"),
        (
            lambda b, d: b.update(original_shipment_id=d["shipments"]["unshipped"]["id"]),
            "has not shipped yet",
        ),
        (
            lambda b, d: b.update(original_shipment_id=d["other_shipment"]["id"]),
            "original_shipment_id: shipment",
        ),
        (
            lambda b, d: b.update(original_shipment_id=424242),
            "original_shipment_id: shipment 424242 does not exist",
        ),
        (
            lambda b, d: b.update(fulfillment_center={"id": 999}),
            "fulfillment_center.id: fulfillment center 999",
        ),
    ],
    ids=[
        "more-than-shipped",
        "not-on-shipment",
        "duplicate-item",
        "other-merchants-item",
        "bundle-parent",
        "unshipped",
        "other-merchants-shipment",
        "unknown-shipment",
        "unknown-fc",
    ],
)
def test_business_rules_are_422_api_errors(
    client: TestClient, demo: dict[str, Any], mutate: Any, expected: str
) -> None:
    body = return_body(demo)
    mutate(body, demo)
    errors = rule_errors(client.post(URL, json=body, headers=merchant_headers(demo)))
    assert any(expected in e for e in errors), errors
    assert count_returns(client, demo) == 0


def test_quantity_counts_units_already_on_open_returns(client: TestClient, demo: dict[str, Any]) -> None:
    headers = merchant_headers(demo)
    one_tee = [{"id": 1001, "quantity": 1, "requested_action": "Default"}]
    assert (
        client.post(
            URL, json=return_body(demo, reference_id="A-1", inventory=one_tee), headers=headers
        ).status_code
        == 201
    )
    assert (
        client.post(
            URL, json=return_body(demo, reference_id="A-2", inventory=one_tee), headers=headers
        ).status_code
        == 201
    )
    errors = rule_errors(
        client.post(URL, json=return_body(demo, reference_id="A-3", inventory=one_tee), headers=headers)
    )
    assert "0 unit(s) still returnable (2 shipped, 2 already on open returns)" in errors[0]


def test_cancelled_returns_give_their_units_back(client: TestClient, demo: dict[str, Any]) -> None:
    headers = merchant_headers(demo)
    first = client.post(URL, json=return_body(demo, reference_id="B-1"), headers=headers).json()
    assert client.post(f"{URL}/{first['id']}:cancel", headers=headers).status_code == 200
    assert client.post(URL, json=return_body(demo, reference_id="B-2"), headers=headers).status_code == 201


def test_reference_id_is_unique_per_merchant_only(client: TestClient, demo: dict[str, Any]) -> None:
    headers = merchant_headers(demo)
    assert client.post(URL, json=return_body(demo, reference_id="SAME-1"), headers=headers).status_code == 201
    again = return_body(
        demo,
        reference_id="SAME-1",
        original_shipment_id=None,
        inventory=[{"id": 1001, "quantity": 1, "requested_action": "Default"}],
    )
    errors = rule_errors(client.post(URL, json=again, headers=headers))
    assert errors == ["reference_id: 'SAME-1' is already used by another return of this merchant"]

    other = {
        "fulfillment_center": {"id": 2},
        "reference_id": "SAME-1",
        "inventory": [{"id": 2001, "quantity": 1, "requested_action": "Default"}],
    }
    response = client.post(URL, json=other, headers=auth(demo["other_token"], demo["other_channel_id"]))
    assert response.status_code == 201


def test_every_broken_rule_is_reported_at_once(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo, fulfillment_center={"id": 999})
    body["inventory"][0]["quantity"] = 9
    errors = rule_errors(client.post(URL, json=body, headers=merchant_headers(demo)))
    assert any(e.startswith("fulfillment_center.id") for e in errors)
    assert any(e.startswith("inventory[0].quantity") for e in errors)

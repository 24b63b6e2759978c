"""Marketplace orders arrive through `homeward import` like other orders."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.db import Database
from homeward.importing.service import import_lines
from homeward.kit.errors import InvalidInput, RuleViolation
from tests.builders import auth
from tests.refund_files import ORDER, TEES, refund_csv, refund_row


def marketplace_order(**overrides: Any) -> str:
    record: dict[str, Any] = {
        "type": "marketplace_order",
        "merchant_id": 1,
        "merchant_order_id": "JET-NEW-1",
        "status": "inprogress",
        "items": [
            {
                "order_item_id": "I-1",
                "inventory_id": 1001,
                "quantity": 3,
                "principal": "30",
                "tax": "2.5",
                "shipping_cost": 0,
                "shipping_tax": "0",
            }
        ],
    }
    record.update(overrides)
    return json.dumps(record)


def test_import_creates_then_updates_in_place(client: TestClient, db: Database, demo: dict[str, Any]) -> None:
    assert import_lines(db, marketplace_order()).counts == {"marketplace_order": 1}
    body = client.get("/refunds/v1/orders/JET-NEW-1", headers=auth(demo["token"])).json()
    assert body["status"] == "In Progress"  # Jet's own spelling is understood
    assert body["items"][0]["charged"] == {
        "principal": "30.00",
        "tax": "2.50",
        "shipping_cost": "0.00",
        "shipping_tax": "0.00",
        "total": "32.50",
    }

    import_lines(db, marketplace_order(status="complete", store_order_id="ACME-1001"))
    body = client.get("/refunds/v1/orders/JET-NEW-1", headers=auth(demo["token"])).json()
    assert body["status"] == "Completed" and body["store_order_id"] == "ACME-1001" and len(body["items"]) == 1


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"status": "Shipped-ish"}, "unknown status"),
        ({"items": []}, "at least 1"),
        ({"merchant_order_id": ""}, "at least 1 character"),
        (
            {
                "items": [
                    {
                        "order_item_id": "I-1",
                        "quantity": 1,
                        "principal": "1.005",
                        "tax": 0,
                        "shipping_cost": 0,
                        "shipping_tax": 0,
                    }
                ]
            },
            "decimal places",
        ),
        (
            {
                "items": [
                    {
                        "order_item_id": "I-1",
                        "quantity": 1,
                        "principal": "-1",
                        "tax": 0,
                        "shipping_cost": 0,
                        "shipping_tax": 0,
                    }
                ]
            },
            "greater than or equal to 0",
        ),
        (
            {
                "items": [
                    {
                        "order_item_id": "I-1",
                        "quantity": 0,
                        "principal": "1",
                        "tax": 0,
                        "shipping_cost": 0,
                        "shipping_tax": 0,
                    }
                ]
            },
            "greater than or equal to 1",
        ),
    ],
)
def test_malformed_records_are_refused_naming_the_field(
    db: Database, demo: dict[str, Any], change: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        import_lines(db, marketplace_order(**change))
    assert any(words in e.message and e.field.startswith("line 1") for e in refused.value.errors), (
        refused.value.errors
    )


def test_rules_an_import_must_keep(db: Database, demo: dict[str, Any], client: TestClient) -> None:
    item = {
        "order_item_id": "I-1",
        "quantity": 1,
        "principal": "1",
        "tax": 0,
        "shipping_cost": 0,
        "shipping_tax": 0,
    }
    with pytest.raises(RuleViolation) as twice:
        import_lines(db, marketplace_order(items=[item, item]))
    assert "listed more than once" in str(twice.value.errors)
    with pytest.raises(RuleViolation) as foreign:
        import_lines(db, marketplace_order(items=[{**item, "inventory_id": 2001}]))
    assert "not a product of merchant 1" in str(foreign.value.errors)

    # A line cannot shrink below what was already refunded of it.
    sent = client.post(
        "/refunds/v1/files",
        params={"name": "JET_REFUND_010125000000.csv"},
        content=refund_csv(refund_row()),
        headers=auth(demo["token"]),
    )
    assert sent.status_code == 200 and b"TRUE" in sent.content
    shrunk = {
        "order_item_id": TEES,
        "quantity": 2,
        "principal": "10.00",
        "tax": "3.30",
        "shipping_cost": "5.00",
        "shipping_tax": "0.42",
    }
    with pytest.raises(RuleViolation) as below:
        import_lines(
            db,
            json.dumps(
                {
                    "type": "marketplace_order",
                    "merchant_id": 1,
                    "merchant_order_id": ORDER,
                    "status": "Completed",
                    "items": [shrunk],
                }
            ),
        )
    assert "principal 10.00 is less than the 19.99 already refunded" in str(below.value.errors)


def test_merchants_import_their_own_marketplace_orders_over_rest(
    client: TestClient, demo: dict[str, Any]
) -> None:
    record = json.loads(marketplace_order())
    del record["merchant_id"], record["items"][0]["inventory_id"]  # product 1001 is Acme's, not Globex's
    response = client.post(
        "/homeward/v1/import", content=json.dumps(record), headers=auth(demo["other_token"])
    )
    assert response.status_code == 200, response.text
    assert client.get("/refunds/v1/orders/JET-NEW-1", headers=auth(demo["other_token"])).status_code == 200
    assert client.get("/refunds/v1/orders/JET-NEW-1", headers=auth(demo["token"])).status_code == 404

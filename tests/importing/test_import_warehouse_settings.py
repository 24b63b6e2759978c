"""Import fields the warehouse reads: fee schedules and the dangerous-goods preference on the
merchant record, inspection steps on products; all additive and checked like the rest."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.billing.service import schedule_for
from homeward.db import Database
from homeward.importing.service import import_lines
from homeward.kit.errors import InvalidInput
from homeward.tenants.models import Merchant
from tests.warehouse.flow import arrive, create, inspect


def jsonl(*records: dict[str, Any]) -> str:
    return "\n".join(json.dumps(r) for r in records)


def test_fees_and_the_dangerous_goods_preference_are_kept_until_given_again(
    db: Database, demo: dict[str, Any]
) -> None:
    import_lines(
        db,
        jsonl(
            {
                "type": "merchant",
                "id": 2,
                "name": "Globex Goods",
                "fees": {"per_unit": "0.40"},
                "dispose_dangerous_goods": True,
            }
        ),
    )
    import_lines(db, jsonl({"type": "merchant", "id": 2, "name": "Globex Goods Inc"}))  # fees omitted
    with db.read() as session:
        schedule = schedule_for(session, 2)
        merchant = session.get(Merchant, 2)
        assert (
            merchant is not None and merchant.dispose_dangerous_goods and merchant.name == "Globex Goods Inc"
        )
    assert (schedule.per_unit, schedule.return_processing) == (Decimal("0.40"), Decimal("0.00"))


def test_bad_settings_are_refused_by_line_and_field(db: Database, demo: dict[str, Any]) -> None:
    with pytest.raises(InvalidInput) as refused:
        import_lines(
            db,
            jsonl(
                {"type": "merchant", "id": 3, "name": "M", "fees": {"per_unit": "-1"}},
                {"type": "merchant", "id": 4, "name": "M", "fees": {"per_unit": "0.001"}},
                {
                    "type": "product",
                    "id": 3200,
                    "merchant_id": 1,
                    "sku": "S",
                    "name": "S",
                    "inspection_steps": ["a", "b", "c", "d"],
                },
                {
                    "type": "product",
                    "id": 3201,
                    "merchant_id": 1,
                    "sku": "S",
                    "name": "S",
                    "inspection_steps": ["a", "a"],
                },
            ),
        )
    fields = {e.field for e in refused.value.errors}
    assert {
        "line 1: fees.per_unit",
        "line 2: fees.per_unit",
        "line 3: inspection_steps",
        "line 4: inspection_steps",
    } <= fields


def test_a_dangerous_item_is_disposed_only_when_its_merchant_says_so(
    client: TestClient, db: Database, demo: dict[str, Any]
) -> None:
    battery = {
        "type": "product",
        "id": 3300,
        "merchant_id": 1,
        "sku": "BATT",
        "name": "Power Bank",
        "dangerous_goods": True,
    }
    import_lines(db, jsonl(battery))
    lines = {
        "original_shipment_id": None,
        "inventory": [{"id": 3300, "quantity": 1, "requested_action": "Default"}],
    }
    for n, disposes in enumerate((True, False)):
        import_lines(
            db,
            jsonl(
                {"type": "merchant", "id": 1, "name": "Acme Outfitters", "dispose_dangerous_goods": disposes}
            ),
        )
        create(client, demo, f"DG-{n}", tracking_number=f"1ZDG{n}", **lines)
        return_id = arrive(client, demo, f"1ZDG{n}").json()["id"]
        done = inspect(client, demo, return_id, {"inventory_id": 3300, "quantity": 1}).json()
        assert done["inspections"][0]["action"] == ("Dispose" if disposes else "Restock")

"""Import rules: all or nothing, tenants kept apart, bundles expanded on shipments."""

from __future__ import annotations

import json
from typing import Any

import pytest

from homeward.db import Database
from homeward.importing.service import import_lines
from homeward.kit.errors import Forbidden, InvalidInput, RuleViolation


def jsonl(*records: dict[str, Any]) -> str:
    return "\n".join(json.dumps(r) for r in records)


def test_merchant_tokens_import_only_their_own_products(db: Database, demo: dict[str, Any]) -> None:
    with pytest.raises(Forbidden):
        import_lines(db, jsonl({"type": "merchant", "id": 5, "name": "Sneaky"}), tenant=1)
    with pytest.raises(RuleViolation, match="rules"):
        import_lines(db, jsonl({"type": "product", "id": 2001, "sku": "W", "name": "Hijack"}), tenant=1)
    summary = import_lines(db, jsonl({"type": "product", "id": 3100, "sku": "NEW", "name": "New"}), tenant=1)
    assert summary.counts == {"product": 1}


def test_a_bundle_on_a_shipment_is_stored_as_components(db: Database, demo: dict[str, Any]) -> None:
    bundle = demo["shipments"]["bundle"]
    assert sorted(i["id"] for i in bundle["inventory"]) == [1001, 1002]


def test_reimport_keeps_order_item_ids(db: Database, demo: dict[str, Any]) -> None:
    from homeward.demo.data import demo_jsonl, load

    before = demo["shipments"]["regular"]["inventory"]
    import_lines(db, demo_jsonl())
    assert load(db)["shipments"]["regular"]["inventory"] == before


@pytest.mark.parametrize("text", ["", "\n\n", "[1, 2]"])
def test_empty_or_wrong_shaped_files_are_refused(db: Database, text: str) -> None:
    with pytest.raises(InvalidInput):
        import_lines(db, text)


def test_rest_import_for_a_merchant(client: Any, demo: dict[str, Any]) -> None:
    from tests.builders import auth

    records = jsonl(
        {"type": "product", "id": 3200, "sku": "CAP", "name": "Cap"},
        {
            "type": "order",
            "id": 9200,
            "store_order_id": "ACME-9200",
            "channel_id": 11,
            "shipments": [
                {"id": 9201, "fulfillment_center_id": 1, "lines": [{"inventory_id": 3200, "quantity": 1}]}
            ],
        },
    )
    headers = {**auth(demo["token"]), "Content-Type": "application/x-ndjson"}
    response = client.post("/homeward/v1/import", content=records, headers=headers)
    assert response.status_code == 200, response.text
    assert response.json() == {"imported": {"product": 1, "order": 1}}

    readonly = {**auth(demo["readonly_token"]), "Content-Type": "application/x-ndjson"}
    assert client.post("/homeward/v1/import", content=records, headers=readonly).status_code == 403
    operator_only = jsonl({"type": "fulfillment_center", "id": 50, "name": "Mine", "country": "US"})
    assert client.post("/homeward/v1/import", content=operator_only, headers=headers).status_code == 403
    broken = client.post("/homeward/v1/import", content='{"type": "product"}', headers=headers)
    assert broken.status_code == 400 and "line 1: id" in broken.json()["errors"]


def test_rest_import_refuses_bytes_that_are_not_utf8(client: Any, demo: dict[str, Any]) -> None:
    from tests.builders import auth

    headers = {**auth(demo["token"]), "Content-Type": "application/x-ndjson"}
    response = client.post("/homeward/v1/import", content=b"\xff\xfe{}", headers=headers)
    assert response.status_code == 400

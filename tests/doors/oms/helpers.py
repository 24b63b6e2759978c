"""Requests in the OMS dialect built from the demo data, so tests read as scenarios."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

URL = "/oms/v1/returns"
SAMPLE = Path(__file__).parents[2] / "fixtures" / "seed_004_create_return_example.json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def order_item(demo: dict[str, Any], case: str = "regular", index: int = 0) -> int:
    """The orderItemID of a demo shipment line."""
    return int(demo["shipments"][case]["inventory"][index]["order_item_id"])


def sample_request(order_item_id: int) -> dict[str, Any]:
    """Seed 004's full request: one item, quantity one, 'Item did not fit.'"""
    body: dict[str, Any] = json.loads(SAMPLE.read_text())
    body["item"][0]["orderItemID"] = order_item_id
    return body


def oms_body(demo: dict[str, Any], case: str = "regular", **overrides: Any) -> dict[str, Any]:
    body = sample_request(order_item(demo, case))
    body.update(overrides)
    return body


def total_returns(client: TestClient, token: str) -> int:
    """How many returns the merchant has, whatever door made them (1.0's Total-Count header)."""
    response = client.get("/1.0/return", params={"Limit": 1}, headers=bearer(token))
    assert response.status_code == 200, response.text
    return int(response.headers["Total-Count"])


def fields(response: Any) -> list[str]:
    """The JSON paths an OMS 400 names; fails unless the answer is a 400 in this dialect's shape."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert set(body) == {"message", "errors"}
    assert all(set(e) == {"field", "message"} and e["message"] for e in body["errors"])
    return [e["field"] for e in body["errors"]]

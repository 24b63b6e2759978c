"""Getting returns into the states the Returns pages show, over the APIs a live server or a
TestClient answers alike (both are httpx clients)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.builders import auth, merchant_headers, return_body


def create(api: httpx.Client, demo: dict[str, Any], rma: str, **overrides: Any) -> dict[str, Any]:
    answer = api.post(
        "/2025-07/return",
        json=return_body(demo, reference_id=rma, **overrides),
        headers=merchant_headers(demo),
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def complete_with_photo(
    api: httpx.Client, demo: dict[str, Any], created: dict[str, Any], photo: tuple[str, bytes, str]
) -> None:
    """The warehouse scans the package and inspects every unit, every step passed; the first unit
    is damaged and photographed (`photo`: file name, bytes, content type)."""
    staff = auth(demo["warehouse_tokens"][str(created["fulfillment_center"]["id"])])
    arrived = api.post("/warehouse/v1/arrivals", json={"barcode": created["reference_id"]}, headers=staff)
    assert arrived.status_code == 200, arrived.text
    view = api.get(f"/warehouse/v1/returns/{created['id']}", headers=staff).json()
    lines = [
        {
            "inventory_id": i["inventory_id"],
            "quantity": 1,
            "steps": dict.fromkeys(i["inspection_steps"], True),
        }
        for i in view["items"]
        for _ in range(i["remaining"])
    ]
    lines[0] |= {"damaged": True, "photo": "stain", "reason": "stain on the front"}
    answer = api.post(
        f"/warehouse/v1/returns/{created['id']}/inspections",
        data={"inspection": json.dumps({"items": lines})},
        files={"stain": photo},
        headers=staff,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "Completed"

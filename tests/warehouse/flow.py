"""Warehouse steps over HTTP, so tests read as what happens on the floor."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import auth, merchant_headers, return_body

WAREHOUSE = "/warehouse/v1"
RETURNS = "/2025-07/return"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64  # enough of a PNG for the store, which checks the signature


def staff(demo: dict[str, Any], fc: int = 1) -> dict[str, str]:
    return auth(demo["warehouse_tokens"][str(fc)])


def create(client: TestClient, demo: dict[str, Any], reference_id: str, **overrides: Any) -> dict[str, Any]:
    response = client.post(
        RETURNS,
        json=return_body(demo, reference_id=reference_id, **overrides),
        headers=merchant_headers(demo),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def arrive(client: TestClient, demo: dict[str, Any], barcode: str, *, rts: bool = False, fc: int = 1) -> Any:
    return client.post(
        f"{WAREHOUSE}/arrivals", json={"barcode": barcode, "rts": rts}, headers=staff(demo, fc)
    )


def inspect(
    client: TestClient, demo: dict[str, Any], return_id: int, *items: dict[str, Any], fc: int = 1
) -> Any:
    return client.post(
        f"{WAREHOUSE}/returns/{return_id}/inspections", json={"items": list(items)}, headers=staff(demo, fc)
    )


def shipbob(client: TestClient, demo: dict[str, Any], return_id: int) -> dict[str, Any]:
    response = client.get(f"{RETURNS}/{return_id}", headers=merchant_headers(demo))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def taken(body: dict[str, Any], inventory_id: int) -> list[tuple[str, int]]:
    """(action, quantity_processed) of one item's action_taken in the ShipBob dialect."""
    [item] = [i for i in body["inventory"] if i["id"] == inventory_id]
    return [(a["action"], a["quantity_processed"]) for a in item["action_taken"]]


def balance(client: TestClient, demo: dict[str, Any], inventory_id: int, fc: int = 1) -> dict[str, int]:
    response = client.get(
        f"{WAREHOUSE}/inventory", params={"inventory_id": inventory_id}, headers=staff(demo, fc)
    )
    assert response.status_code == 200, response.text
    return {k: response.json()[k] for k in ("sellable", "quarantine", "disposed")}


def take_to(client: TestClient, demo: dict[str, Any], return_id: int, status: str) -> None:
    """Move a return to Arrived, Processing or Completed the way the warehouse does: scan its
    package, inspect one unit, inspect the rest (every inspection step passed)."""
    seen = shipbob(client, demo, return_id)
    fc = seen["fulfillment_center"]["id"]
    assert arrive(client, demo, seen["reference_id"], fc=fc).status_code == 200
    if status == "Arrived":
        return
    view = client.get(f"{WAREHOUSE}/returns/{return_id}", headers=staff(demo, fc)).json()
    lines = [
        {"inventory_id": i["inventory_id"], "steps": dict.fromkeys(i["inspection_steps"], True)}
        for i in view["items"]
        for _ in range(i["remaining"])
    ]
    first, rest = lines[:1], lines[1:] if status == "Completed" else []
    for batch in (first, rest):
        if batch:
            response = inspect(client, demo, return_id, *({**line, "quantity": 1} for line in batch), fc=fc)
            assert response.status_code == 200, response.text
    assert shipbob(client, demo, return_id)["status"] == status

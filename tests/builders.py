"""Small helpers that build requests from the demo data, so tests read as scenarios."""

from __future__ import annotations

from typing import Any


def auth(token: str, channel_id: int | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if channel_id is not None:
        headers["shipbob_channel_id"] = str(channel_id)
    return headers


def merchant_headers(demo: dict[str, Any]) -> dict[str, str]:
    return auth(demo["token"], demo["channel_id"])


def return_body(
    demo: dict[str, Any], case: str = "regular", reference_id: str = "RMA-0001", **overrides: Any
) -> dict[str, Any]:
    """A valid create request returning every unit of one demo shipment."""
    shipment = demo["shipments"][case]
    body: dict[str, Any] = {
        "fulfillment_center": {"id": shipment["fulfillment_center_id"]},
        "inventory": [
            {"id": item["id"], "quantity": item["quantity"], "requested_action": "Default"}
            for item in shipment["inventory"]
        ],
        "reference_id": reference_id,
        "original_shipment_id": shipment["id"],
        "tracking_number": "1Z999AA19999999999",
    }
    body.update(overrides)
    return body

"""Shipments that exercise each label rule, imported next to the demo data (merchant 1, channel 11)."""

from __future__ import annotations

import io
import json
from typing import Any

import pypdfium2
import zxingcpp
from pypdf import PdfReader

from homeward.db import Database
from homeward.importing.service import import_lines

CHICAGO = {
    "address1": "410 W Adams St",
    "city": "Chicago",
    "state": "IL",
    "zip_code": "60606",
    "country": "US",
}
DUMBBELL, KETTLEBELL, ANVIL = 1101, 1102, 1103  # 5 kg, 30 kg, 75 kg

# case -> (shipment id, recipient overrides, [(inventory id, quantity)])
SHIPMENTS: dict[str, tuple[int, dict[str, str], list[tuple[int, int]]]] = {
    "po_box": (7101, {"address1": "PO Box 1234"}, [(1001, 1)]),
    "military": (
        7102,
        {"address1": "Unit 2050 Box 4190", "city": "APO", "state": "AE", "zip_code": "09012"},
        [(1001, 1)],
    ),
    "canada": (
        7103,
        {
            "address1": "220 Yonge St",
            "city": "Toronto",
            "state": "ON",
            "zip_code": "M5B 2H1",
            "country": "CA",
        },
        [(1001, 1)],
    ),
    "medium": (7104, {}, [(DUMBBELL, 1)]),
    "heavy": (7105, {}, [(KETTLEBELL, 1)]),
    "too_heavy": (7106, {}, [(ANVIL, 1)]),
    "no_postal_code": (7107, {"zip_code": ""}, [(1001, 1)]),
    "ten_tees": (7108, {"zip_code": "94103", "city": "San Francisco", "state": "CA"}, [(1001, 10)]),
}


def load_label_cases(db: Database) -> dict[str, int]:
    """Import the cases; returns case -> shipment id."""
    records: list[dict[str, Any]] = [
        {
            "type": "product",
            "id": DUMBBELL,
            "merchant_id": 1,
            "sku": "DUMBBELL-5",
            "name": "Dumbbell 5 kg",
            "weight_kg": "5.0",
        },
        {
            "type": "product",
            "id": KETTLEBELL,
            "merchant_id": 1,
            "sku": "KETTLEBELL-30",
            "name": "Kettlebell 30 kg",
            "weight_kg": "30.0",
        },
        {
            "type": "product",
            "id": ANVIL,
            "merchant_id": 1,
            "sku": "ANVIL-75",
            "name": "Anvil",
            "weight_kg": "75.0",
        },
    ]
    for n, (case, (shipment_id, address, lines)) in enumerate(SHIPMENTS.items()):
        records.append(
            {
                "type": "order",
                "id": 5100 + n,
                "merchant_id": 1,
                "channel_id": 11,
                "store_order_id": f"ACME-LBL-{case}",
                "shipments": [
                    {
                        "id": shipment_id,
                        "status": "Shipped",
                        "fulfillment_center_id": 1,
                        "tracking_number": None,
                        "recipient": {"name": "Sam Rivera", **CHICAGO, **address},
                        "lines": [{"inventory_id": i, "quantity": q} for i, q in lines],
                    }
                ],
            }
        )
    import_lines(db, "\n".join(json.dumps(r) for r in records))
    return {case: shipment_id for case, (shipment_id, _, _) in SHIPMENTS.items()}


def body_for(
    shipment_id: int, reference_id: str, label: dict[str, Any] | None, **overrides: Any
) -> dict[str, Any]:
    """A create request for every unit of one of the cases above."""
    lines = next(lines for sid, _, lines in SHIPMENTS.values() if sid == shipment_id)
    body: dict[str, Any] = {
        "fulfillment_center": {"id": 1},
        "reference_id": reference_id,
        "original_shipment_id": shipment_id,
        "inventory": [{"id": i, "quantity": q, "requested_action": "Default"} for i, q in lines],
    }
    if label is not None:
        body["label"] = label
    body.update(overrides)
    return body


# --- reading a label back ----------------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def pdf_page_inches(content: bytes) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(content)).pages[0].mediabox
    return float(box.width) / 72, float(box.height) / 72


def barcodes(content: bytes, dpi: int = 300) -> dict[str, str]:
    """Every barcode a scanner finds on the rendered first page: text -> symbology."""
    page = pypdfium2.PdfDocument(content)[0]
    image = page.render(scale=dpi / 72).to_pil()
    return {found.text: found.format.name for found in zxingcpp.read_barcodes(image)}

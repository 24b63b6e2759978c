"""Shipment lines may carry a unit price and the serial numbers shipped (both optional)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from homeward.db import Database
from homeward.demo.data import load
from homeward.importing.service import import_lines
from homeward.kit.errors import HomewardError, InvalidInput, RuleViolation
from homeward.orders.models import ShipmentLine, ShipmentLineSerial


def order(*lines: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": "order",
            "id": 9900,
            "merchant_id": 1,
            "store_order_id": "ACME-9900",
            "shipments": [{"id": 9901, "fulfillment_center_id": 1, "lines": list(lines)}],
        }
    )


def shipped_line(db: Database) -> dict[str, Any]:
    with db.read() as session:
        line = session.scalars(select(ShipmentLine).where(ShipmentLine.shipment_id == 9901)).one()
        serials = session.scalars(
            select(ShipmentLineSerial.serial_number).where(ShipmentLineSerial.shipment_line_id == line.id)
        ).all()
        return {"id": line.id, "unit_price": line.unit_price, "serials": sorted(serials)}


def test_the_demo_shows_prices_and_serials(demo: dict[str, Any]) -> None:
    [earbuds] = demo["shipments"]["serialized"]["inventory"]
    assert earbuds["serial_numbers"] == ["830001", "830002"] and earbuds["unit_price"] == "59.00"
    assert [i["unit_price"] for i in demo["shipments"]["regular"]["inventory"]] == ["19.99", "12.50"]


def test_a_reimport_replaces_the_serials_and_keeps_the_line(db: Database, demo: dict[str, Any]) -> None:
    import_lines(
        db, order({"inventory_id": 1001, "quantity": 2, "unit_price": "5.00", "serial_numbers": ["A", "B"]})
    )
    first = shipped_line(db)
    import_lines(db, order({"inventory_id": 1001, "quantity": 2, "serial_numbers": ["B", "C"]}))
    second = shipped_line(db)
    assert first["serials"] == ["A", "B"] and second["serials"] == ["B", "C"]
    assert first["id"] == second["id"]
    assert (str(first["unit_price"]), second["unit_price"]) == ("5.00", None)
    assert load(db)["shipments"]["regular"] == demo["shipments"]["regular"]


@pytest.mark.parametrize(
    ("line", "error", "message"),
    [
        (
            {"inventory_id": 1001, "quantity": 1, "serial_numbers": ["A", "B"]},
            RuleViolation,
            "2 serial numbers for 1",
        ),
        (
            {"inventory_id": 1001, "quantity": 2, "serial_numbers": ["A", "A"]},
            RuleViolation,
            "more than once",
        ),
        ({"inventory_id": 1004, "quantity": 1, "unit_price": "30.00"}, RuleViolation, "is a bundle"),
        ({"inventory_id": 1004, "quantity": 1, "serial_numbers": ["A"]}, RuleViolation, "is a bundle"),
        ({"inventory_id": 1001, "quantity": 1, "unit_price": "-1"}, InvalidInput, "unit_price"),
        ({"inventory_id": 1001, "quantity": 1, "unit_price": "1.001"}, InvalidInput, "unit_price"),
        ({"inventory_id": 1001, "quantity": 1, "serial_numbers": [""]}, InvalidInput, "serial_numbers"),
        (
            {"inventory_id": 1001, "quantity": 1, "serial_numbers": ["S" * 101]},
            InvalidInput,
            "serial_numbers",
        ),
    ],
    ids=[
        "more-serials-than-units",
        "serial-twice",
        "bundle-price",
        "bundle-serials",
        "negative-price",
        "price-in-tenths-of-cents",
        "empty-serial",
        "serial-101",
    ],
)
def test_bad_prices_and_serials_import_nothing(
    db: Database, demo: dict[str, Any], line: dict[str, Any], error: type[HomewardError], message: str
) -> None:
    with pytest.raises(error) as raised:
        import_lines(db, order(line))
    assert message in " ".join(str(e) for e in raised.value.errors)
    with pytest.raises(Exception, match="No row was found"):
        shipped_line(db)

"""Whatever mix of OMS and ShipBob creates and cancels, open returns never hold more units of an
order item (or of an inventory item of a shipment) than were shipped, and a serial is on one open
return at most. Hypothesis drives both doors against one database; every answer is a 201 or a
refusal, never a 5xx."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from homeward.db import Database
from homeward.orders.models import ShipmentLine
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnedUnit, ReturnItem, ReturnOrder
from tests.builders import merchant_headers, return_body
from tests.doors.oms.helpers import URL, bearer

CASES = ("regular", "serialized")
SERIALS = ("830001", "830002")
references = itertools.count(1)

operation = st.one_of(
    st.tuples(
        st.just("oms"),
        st.sampled_from(CASES),
        st.integers(0, 1),
        st.integers(1, 3),
        st.booleans(),
        st.lists(st.sampled_from(SERIALS), max_size=2),
    ),
    st.tuples(st.just("shipbob"), st.sampled_from(CASES), st.integers(0, 1), st.integers(1, 3)),
    st.tuples(st.just("cancel"), st.integers(0, 20)),
)


def run(client: TestClient, demo: dict[str, Any], created: list[int], op: tuple[Any, ...]) -> None:
    if op[0] == "cancel":
        if created:
            response = client.post(
                f"/2025-07/return/{created[op[1] % len(created)]}:cancel", headers=merchant_headers(demo)
            )
            assert response.status_code in (200, 422), response.text
        return
    _, case, index, quantity, *rest = op
    lines = demo["shipments"][case]["inventory"]
    line = lines[index % len(lines)]
    if op[0] == "oms":
        rejected, serials = rest
        units = (
            [{"orderItemUnitID": n, "serialNumber": s} for n, s in enumerate(serials)]
            if case == "serialized"
            else []
        )
        item = {"orderItemID": line["order_item_id"], "quantity": quantity, "orderItemUnits": units}
        if rejected:
            item["status"] = "REJECTED"
        response = client.post(URL, json={"item": [item]}, headers=bearer(demo["token"]))
        assert response.status_code in (201, 400), response.text
        if response.status_code == 201:
            created.append(response.json()["returnID"])
    else:
        inventory = [{"id": line["id"], "quantity": quantity, "requested_action": "Default"}]
        body = return_body(demo, case, reference_id=f"INV-{next(references)}", inventory=inventory)
        response = client.post("/2025-07/return", json=body, headers=merchant_headers(demo))
        assert response.status_code in (201, 422), response.text
        if response.status_code == 201:
            created.append(response.json()["id"])


def assert_nothing_over_claimed(db: Database) -> None:
    with db.read() as session:
        lines = session.execute(
            select(
                ShipmentLine.id, ShipmentLine.shipment_id, ShipmentLine.inventory_id, ShipmentLine.quantity
            )
        ).all()
        held = session.execute(
            select(
                ReturnItem.order_item_id,
                ReturnItem.inventory_id,
                ReturnOrder.original_shipment_id,
                ReturnItem.quantity,
            )
            .join(ReturnOrder, ReturnOrder.id == ReturnItem.return_id)
            .where(ReturnOrder.status != ReturnStatus.CANCELLED.value)
        ).all()
        claims = session.execute(
            select(ReturnedUnit.order_item_id, ReturnedUnit.serial_number, ReturnOrder.status).join(
                ReturnOrder, ReturnOrder.id == ReturnedUnit.return_id
            )
        ).all()
    per_item: Counter[int] = Counter()
    per_inventory: Counter[tuple[int, int]] = Counter()
    for order_item_id, inventory_id, shipment_id, quantity in held:
        if order_item_id is not None:
            per_item[order_item_id] += quantity
        per_inventory[(shipment_id, inventory_id)] += quantity
    shipped_per_item = {line_id: quantity for line_id, _, _, quantity in lines}
    shipped_per_inventory: Counter[tuple[int, int]] = Counter()
    for _, shipment_id, inventory_id, quantity in lines:
        shipped_per_inventory[(shipment_id, inventory_id)] += quantity
    for line_id, units in per_item.items():
        assert units <= shipped_per_item[line_id], (line_id, units)
    for key, units in per_inventory.items():
        assert units <= shipped_per_inventory[key], (key, units)
    assert all(status != ReturnStatus.CANCELLED.value for _, _, status in claims)
    serial_claims = Counter((line_id, serial) for line_id, serial, _ in claims if serial is not None)
    assert all(count == 1 for count in serial_claims.values())
    assert all(serial in SERIALS for _, serial in serial_claims)


def test_open_returns_never_hold_more_than_was_shipped(
    client: TestClient, db: Database, demo: dict[str, Any]
) -> None:
    created: list[int] = []

    @settings(
        max_examples=15,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(ops=st.lists(operation, min_size=1, max_size=6))
    def scenario(ops: list[tuple[Any, ...]]) -> None:
        for op in ops:
            run(client, demo, created, op)
            assert_nothing_over_claimed(db)

    scenario()

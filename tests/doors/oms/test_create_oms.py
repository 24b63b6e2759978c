"""POST /oms/v1/returns: the seed 004 sample, and the returns rules seen through the OMS door."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from homeward.db import Database
from homeward.importing.service import import_lines
from homeward.orders.models import ShipmentLine
from tests.builders import auth, merchant_headers, return_body
from tests.doors.oms.helpers import URL, bearer, fields, oms_body, order_item, sample_request, total_returns

SHIPBOB = "/2025-07/return"


def create(client: TestClient, demo: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(URL, json=body, headers=bearer(demo["token"]))
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


def refused(client: TestClient, demo: dict[str, Any], body: dict[str, Any]) -> dict[str, str]:
    """POST a request that must be refused: {field: message}, after checking nothing was stored."""
    before = total_returns(client, demo["token"])
    response = client.post(URL, json=body, headers=bearer(demo["token"]))
    named = fields(response)
    assert total_returns(client, demo["token"]) == before
    return dict(zip(named, (e["message"] for e in response.json()["errors"]), strict=True))


def test_the_seed_sample_creates_a_return(client: TestClient, demo: dict[str, Any]) -> None:
    shipment = demo["shipments"]["regular"]
    answer = create(client, demo, sample_request(order_item(demo)))

    assert set(answer) == {
        "returnID",
        "referenceID",
        "status",
        "statusDetail",
        "returnLocation",
        "externalOrderID",
        "orderID",
        "shipmentID",
        "returnTotal",
        "returnReductionTotal",
        "fulfillerTotal",
        "refundType",
        "createdTime",
        "confirmTime",
        "clearedTime",
        "item",
    }
    assert answer["status"] == "OPEN" and answer["statusDetail"] == "Awaiting Arrival"
    assert answer["returnLocation"] == shipment["fulfillment_center_id"]
    assert answer["shipmentID"] == shipment["id"]
    assert answer["externalOrderID"] == shipment["store_order_id"]
    assert answer["orderID"] == 5001
    assert answer["referenceID"].startswith("OMS-") and answer["referenceID"][4:].isalpha()
    assert answer["createdTime"] and answer["confirmTime"] is None and answer["clearedTime"] is None
    [item] = answer["item"]
    assert item["orderItemID"] == order_item(demo) and item["quantity"] == 1
    assert item["reason"] == "Item did not fit." and item["reasonCode"] == "does_not_fit"
    assert item["status"] == "PENDING"


def test_the_sample_naming_its_order_and_shipment_as_the_seed_does(
    client: TestClient, demo: dict[str, Any]
) -> None:
    body = {
        **sample_request(order_item(demo)),
        "orderID": 5001,
        "shipmentID": demo["shipments"]["regular"]["id"],
    }
    assert create(client, demo, body)["shipmentID"] == body["shipmentID"]


def test_the_return_is_filed_under_the_orders_channel(client: TestClient, demo: dict[str, Any]) -> None:
    answer = create(client, demo, oms_body(demo))
    seen = client.get(f"{SHIPBOB}/{answer['returnID']}", headers=auth(demo["token"])).json()
    assert seen["channel"]["id"] == demo["channel_id"]


def test_an_order_without_a_channel_files_under_the_merchants_first(
    client: TestClient, db: Database, demo: dict[str, Any]
) -> None:
    order = {
        "type": "order",
        "id": 9800,
        "merchant_id": 1,
        "store_order_id": "PHONE-1",
        "shipments": [
            {"id": 9801, "fulfillment_center_id": 2, "lines": [{"inventory_id": 1002, "quantity": 1}]}
        ],
    }
    import_lines(db, json.dumps(order))
    answer = create(client, demo, {"item": [{"orderItemID": _line_of(db, 9801), "quantity": 1}]})
    assert answer["returnLocation"] == 2
    seen = client.get(f"{SHIPBOB}/{answer['returnID']}", headers=auth(demo["token"])).json()
    assert seen["channel"]["id"] == demo["channel_id"]


def _line_of(db: Database, shipment_id: int) -> int:
    with db.read() as session:
        line_id = session.scalar(select(ShipmentLine.id).where(ShipmentLine.shipment_id == shipment_id))
    assert line_id is not None
    return line_id


@pytest.mark.parametrize(
    ("headers_of", "status"),
    [
        (lambda d: {}, 401),
        (lambda d: bearer("hw_not-a-real-token"), 401),
        (lambda d: {"Authorization": "Basic dXNlcjpwYXNz"}, 401),
        (lambda d: bearer(d["readonly_token"]), 403),
    ],
    ids=["no-token", "unknown-token", "basic-auth", "read-only-scope"],
)
def test_same_tokens_and_scopes_as_the_other_doors(
    client: TestClient, demo: dict[str, Any], headers_of: Any, status: int
) -> None:
    response = client.post(URL, json=oms_body(demo), headers=headers_of(demo))
    assert response.status_code == status
    assert response.json()["errors"][0]["message"]
    assert total_returns(client, demo["token"]) == 0


def test_another_merchants_order_item_does_not_exist_here(client: TestClient, demo: dict[str, Any]) -> None:
    theirs = demo["other_shipment"]["inventory"][0]["order_item_id"]
    errors = refused(client, demo, {"item": [{"orderItemID": theirs, "quantity": 1}]})
    assert errors == {"item[0].orderItemID": f"order item {theirs} does not exist"}


def test_units_on_open_returns_of_either_dialect_count(client: TestClient, demo: dict[str, Any]) -> None:
    tee = order_item(demo)  # two tees shipped
    one_tee = [{"id": 1001, "quantity": 1, "requested_action": "Default"}]
    shipbob = client.post(
        SHIPBOB,
        json=return_body(demo, reference_id="SB-1", inventory=one_tee),
        headers=merchant_headers(demo),
    )
    assert shipbob.status_code == 201

    errors = refused(client, demo, {"item": [{"orderItemID": tee, "quantity": 2}]})
    assert "2 exceeds the 1 unit(s)" in errors["item[0].quantity"]
    create(client, demo, {"item": [{"orderItemID": tee, "quantity": 1}]})

    again = client.post(
        SHIPBOB,
        json=return_body(demo, reference_id="SB-2", inventory=one_tee),
        headers=merchant_headers(demo),
    )
    assert again.status_code == 422 and "0 unit(s) still returnable" in again.json()["errors"][0]


def test_no_more_than_was_shipped_on_the_order_item(client: TestClient, demo: dict[str, Any]) -> None:
    mug = order_item(demo, index=1)  # one mug shipped
    errors = refused(client, demo, {"item": [{"orderItemID": mug, "quantity": 2}]})
    assert errors == {"item[0].quantity": f"2 exceeds the 1 unit(s) shipped on order item {mug}"}


def test_one_return_is_one_package_from_one_shipment(client: TestClient, demo: dict[str, Any]) -> None:
    body = {
        "item": [
            {"orderItemID": order_item(demo, "regular", 1), "quantity": 1},
            {"orderItemID": order_item(demo, "hazmat", 0), "quantity": 1},
        ]
    }
    errors = refused(client, demo, body)
    assert "one return is one package from one shipment" in errors["item"]


def test_an_order_item_is_listed_once(client: TestClient, demo: dict[str, Any]) -> None:
    tee = order_item(demo)
    errors = refused(client, demo, {"item": [{"orderItemID": tee, "quantity": 1}] * 2})
    assert errors == {f"item[{i}].orderItemID": f"order item {tee} is listed more than once" for i in (0, 1)}


def test_an_unshipped_order_cannot_be_returned(client: TestClient, demo: dict[str, Any]) -> None:
    errors = refused(client, demo, oms_body(demo, "unshipped"))
    assert "has not shipped yet" in errors["item"]
    errors = refused(
        client, demo, oms_body(demo, "unshipped", shipmentID=demo["shipments"]["unshipped"]["id"])
    )
    assert "has not shipped yet" in errors["shipmentID"]


def test_a_bundle_component_comes_back_as_itself(client: TestClient, demo: dict[str, Any]) -> None:
    answer = create(client, demo, oms_body(demo, "bundle"))
    seen = client.get(f"{SHIPBOB}/{answer['returnID']}", headers=auth(demo["token"])).json()
    assert seen["inventory"][0]["bundle_parent_sku"] == "GIFTSET-TEE-MUG"


def test_return_id_becomes_the_rma_and_a_retry_is_refused(client: TestClient, demo: dict[str, Any]) -> None:
    answer = create(client, demo, {**oms_body(demo), "returnID": 5001})
    assert answer["referenceID"] == "OMS-5001"
    seen = client.get(f"{SHIPBOB}/{answer['returnID']}", headers=auth(demo["token"])).json()
    assert seen["reference_id"] == "OMS-5001"
    errors = refused(client, demo, {**oms_body(demo), "returnID": 5001})
    assert "'OMS-5001' is already used" in errors["returnID"]


# --- serial numbers and units --------------------------------------------------------------------


def serialized(
    demo: dict[str, Any], *units: dict[str, Any], quantity: int = 1, **item: Any
) -> dict[str, Any]:
    line = {
        "orderItemID": order_item(demo, "serialized"),
        "quantity": quantity,
        "orderItemUnits": list(units),
    }
    return {"item": [{**line, **item}]}


def test_a_serial_must_be_one_shipped_on_that_order_item(client: TestClient, demo: dict[str, Any]) -> None:
    errors = refused(client, demo, serialized(demo, {"orderItemUnitID": 1, "serialNumber": 999999}))
    item = order_item(demo, "serialized")
    assert errors == {
        "item[0].orderItemUnits[0].serialNumber": f"serial number 999999 was not shipped on order item {item}"
    }
    # Shipped serials are text; the seed sends numbers. Either form names the same unit.
    create(client, demo, serialized(demo, {"orderItemUnitID": 1, "serialNumber": "830001"}))


def test_a_unit_cannot_be_returned_twice(client: TestClient, demo: dict[str, Any]) -> None:
    first = create(client, demo, serialized(demo, {"orderItemUnitID": 1, "serialNumber": 830001}))
    assert first["item"][0]["orderItemUnits"] == [{"orderItemUnitID": 1, "serialNumber": 830001}]

    errors = refused(client, demo, serialized(demo, {"orderItemUnitID": 2, "serialNumber": 830001}))
    assert errors == {
        "item[0].orderItemUnits[0].serialNumber": "serial number 830001 is already on another open return"
    }
    errors = refused(client, demo, serialized(demo, {"orderItemUnitID": 1, "serialNumber": 830002}))
    assert list(errors) == ["item[0].orderItemUnits[0].orderItemUnitID"]

    # Cancelling (through the ShipBob door) gives the unit back.
    cancel = client.post(f"{SHIPBOB}/{first['returnID']}:cancel", headers=merchant_headers(demo))
    assert cancel.status_code == 200
    create(client, demo, serialized(demo, {"orderItemUnitID": 2, "serialNumber": 830001}))


def test_units_named_must_fit_the_quantity_and_be_distinct(client: TestClient, demo: dict[str, Any]) -> None:
    two = ({"orderItemUnitID": 1, "serialNumber": 830001}, {"orderItemUnitID": 2, "serialNumber": 830002})
    assert "names 2 units but the line returns only 1" in refused(client, demo, serialized(demo, *two)).get(
        "item[0].orderItemUnits", ""
    )
    same = ({"orderItemUnitID": 1, "serialNumber": 830001}, {"orderItemUnitID": 2, "serialNumber": 830001})
    assert list(refused(client, demo, serialized(demo, *same, quantity=2))) == [
        "item[0].orderItemUnits[0].serialNumber",
        "item[0].orderItemUnits[1].serialNumber",
    ]
    assert len(create(client, demo, serialized(demo, *two, quantity=2))["item"][0]["orderItemUnits"]) == 2


# --- rejected items ------------------------------------------------------------------------------


def test_rejected_items_stay_on_the_return_but_expect_no_units(
    client: TestClient, demo: dict[str, Any]
) -> None:
    body = {
        "item": [
            {"orderItemID": order_item(demo, index=0), "quantity": 1, "status": "ACCEPTED"},
            {"orderItemID": order_item(demo, index=1), "quantity": 1, "status": "REJECTED"},
        ]
    }
    answer = create(client, demo, body)
    assert [(i["quantity"], i["status"]) for i in answer["item"]] == [(1, "ACCEPTED"), (1, "REJECTED")]
    assert answer["confirmTime"] == answer["createdTime"]  # the items arrived already decided

    seen = client.get(f"{SHIPBOB}/{answer['returnID']}", headers=auth(demo["token"])).json()
    assert [(i["id"], i["quantity"]) for i in seen["inventory"]] == [(1001, 1), (1002, 0)]
    # The rejected mug holds nothing: it can still come back on another return.
    mug = [{"id": 1002, "quantity": 1, "requested_action": "Default"}]
    response = client.post(SHIPBOB, json=return_body(demo, inventory=mug), headers=merchant_headers(demo))
    assert response.status_code == 201, response.text


def test_a_rejected_unit_is_not_held(client: TestClient, demo: dict[str, Any]) -> None:
    unit = {"orderItemUnitID": 1, "serialNumber": 830001}
    create(client, demo, serialized(demo, unit, status="REJECTED"))
    create(client, demo, serialized(demo, unit, status="ACCEPTED"))


# --- money ---------------------------------------------------------------------------------------


def test_gift_card_value_defaults_to_the_actual_price(client: TestClient, demo: dict[str, Any]) -> None:
    tee = order_item(demo)  # sold at 19.99 each
    card = {"giftCardType": "GT"}
    body = {"refundType": "GIFT_CARD", "item": [{"orderItemID": tee, "quantity": 2, "giftCardInfo": card}]}
    item = create(client, demo, body)["item"][0]
    assert item["giftCardInfo"]["giftCardValue"] == 39.98
    assert item["giftCardInfo"]["printForm"] is False


def test_a_given_gift_card_value_is_kept(client: TestClient, demo: dict[str, Any]) -> None:
    body = {
        "item": [
            {
                "orderItemID": order_item(demo),
                "quantity": 1,
                "giftCardInfo": {"giftCardType": "GC", "giftCardValue": 5},
            }
        ]
    }
    assert create(client, demo, body)["item"][0]["giftCardInfo"]["giftCardValue"] == 5


def test_without_a_known_price_the_subtotal_or_a_value_is_needed(
    client: TestClient, demo: dict[str, Any]
) -> None:
    unpriced = order_item(demo, "hazmat", 1)  # the hazmat order's tee has no unit price
    card = {"giftCardType": "GC"}
    errors = refused(client, demo, {"item": [{"orderItemID": unpriced, "quantity": 1, "giftCardInfo": card}]})
    assert "price is not known" in errors["item[0].giftCardInfo.giftCardValue"]
    body = {"item": [{"orderItemID": unpriced, "quantity": 1, "returnSubtotal": 7.5, "giftCardInfo": card}]}
    assert create(client, demo, body)["item"][0]["giftCardInfo"]["giftCardValue"] == 7.5


def test_totals_are_filled_in_from_the_items_when_not_sent(client: TestClient, demo: dict[str, Any]) -> None:
    body = {
        "item": [
            {"orderItemID": order_item(demo, index=0), "quantity": 1, "returnSubtotal": 19.99},
            {
                "orderItemID": order_item(demo, index=1),
                "quantity": 1,
                "returnSubtotal": 12.5,
                "fulfillerSubtotal": 1,
            },
        ]
    }
    answer = create(client, demo, body)
    assert (answer["returnTotal"], answer["fulfillerTotal"], answer["returnReductionTotal"]) == (
        32.49,
        1.0,
        None,
    )


def test_every_broken_rule_is_reported_at_once(client: TestClient, demo: dict[str, Any]) -> None:
    body = {
        "status": "CLOSED",
        "refundType": "GIFT_CARD",
        "returnTotal": 1,
        "orderID": 5002,
        "externalOrderID": "ACME-9",
        "item": [{"orderItemID": order_item(demo, index=1), "quantity": 2}],
    }
    assert set(refused(client, demo, body)) == {
        "status",
        "returnTotal",
        "orderID",
        "externalOrderID",
        "item[0].quantity",
        "item[0].giftCardInfo",
    }

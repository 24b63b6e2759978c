"""Every limit of seed 004 at its edge: the last value accepted, the first refused (400 naming the
JSON path, nothing stored). One database per backend for the module: each accepted request takes
one unit of a large shipment, so the cases cannot run out of units or disturb each other."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from homeward.app import create_app
from homeward.db import Database, upgrade
from homeward.demo.data import load
from homeward.importing.service import import_lines
from homeward.orders.models import ShipmentLine
from tests import support
from tests.doors.oms.helpers import URL, bearer, fields, total_returns

STORE_ORDER_ID = "S" * 100  # externalOrderID at its longest
BULK_ORDER, BULK_SHIPMENT = 9700, 9701


@dataclass(frozen=True)
class Api:
    client: TestClient
    token: str
    order_item_id: int

    def post(self, body: dict[str, Any]) -> Any:
        return self.client.post(URL, json=body, headers=bearer(self.token))


@pytest.fixture(scope="module", params=support.BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[Api]:
    with ExitStack() as stack:
        if request.param == "sqlite":
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            url = f"sqlite:///{directory / 'limits.db'}"
            upgrade(url)
        else:
            url = stack.enter_context(support.postgres_database())
        db = Database(url)
        demo = load(db)
        bulk = {
            "type": "order",
            "id": BULK_ORDER,
            "merchant_id": 1,
            "channel_id": 11,
            "store_order_id": STORE_ORDER_ID,
            "shipments": [
                {
                    "id": BULK_SHIPMENT,
                    "fulfillment_center_id": 1,
                    "lines": [{"inventory_id": 1001, "quantity": 100_000, "unit_price": "10.00"}],
                }
            ],
        }
        import_lines(db, json.dumps(bulk))
        with db.read() as session:
            line_id = session.scalar(select(ShipmentLine.id).where(ShipmentLine.shipment_id == BULK_SHIPMENT))
        assert line_id is not None
        yield Api(TestClient(create_app(url)), demo["token"], line_id)


def body_with(api: Api, **item: Any) -> dict[str, Any]:
    return {"item": [{"orderItemID": api.order_item_id, "quantity": 1, **item}]}


def gift_card(**fields_: Any) -> dict[str, Any]:
    return {"giftCardType": "GC", **fields_}


def with_gift_card(card: dict[str, Any]) -> Callable[[Api], dict[str, Any]]:
    return lambda a: body_with(a, giftCardInfo=card)


EMAIL_250 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 53 + ".com"
assert len(EMAIL_250) == 250

# (case id, body builder, the field named when refused or None when accepted)
Case = tuple[str, Callable[[Api], dict[str, Any]], str | None]
CASES: list[Case] = [
    # item fields
    (
        "orderItemID-0-is-schema-valid-but-unknown",
        lambda a: {"item": [{"orderItemID": 0, "quantity": 1}]},
        "item[0].orderItemID",
    ),
    ("orderItemID-negative", lambda a: {"item": [{"orderItemID": -1, "quantity": 1}]}, "item[0].orderItemID"),
    (
        "orderItemID-over-int32",
        lambda a: {"item": [{"orderItemID": 2**31, "quantity": 1}]},
        "item[0].orderItemID",
    ),
    ("orderItemID-missing", lambda a: {"item": [{"quantity": 1}]}, "item[0].orderItemID"),
    ("quantity-1", lambda a: body_with(a), None),
    ("quantity-0", lambda a: body_with(a, quantity=0), "item[0].quantity"),
    ("quantity-missing", lambda a: {"item": [{"orderItemID": a.order_item_id}]}, "item[0].quantity"),
    ("item-missing", lambda a: {}, "item"),
    ("item-empty", lambda a: {"item": []}, "item"),
    ("partName-50", lambda a: body_with(a, partName="P" * 50), None),
    ("partName-51", lambda a: body_with(a, partName="P" * 51), "item[0].partName"),
    ("partNumber-1", lambda a: body_with(a, partNumber="N"), None),
    ("partNumber-0", lambda a: body_with(a, partNumber=""), "item[0].partNumber"),
    ("partNumber-50", lambda a: body_with(a, partNumber="N" * 50), None),
    ("partNumber-51", lambda a: body_with(a, partNumber="N" * 51), "item[0].partNumber"),
    ("UPC-50", lambda a: body_with(a, UPC="0" * 50), None),
    ("UPC-51", lambda a: body_with(a, UPC="0" * 51), "item[0].UPC"),
    ("SKU-50", lambda a: body_with(a, SKU="K" * 50), None),
    ("SKU-51", lambda a: body_with(a, SKU="K" * 51), "item[0].SKU"),
    ("reason-255", lambda a: body_with(a, reason="r" * 255), None),
    ("reason-256", lambda a: body_with(a, reason="r" * 256), "item[0].reason"),
    ("reason-NUL", lambda a: body_with(a, reason="fit\x00"), "item[0].reason"),
    ("status-ACCEPTED", lambda a: body_with(a, status="ACCEPTED"), None),
    ("status-PENDING", lambda a: body_with(a, status="PENDING"), None),
    ("status-REJECTED", lambda a: body_with(a, status="REJECTED"), None),
    ("status-unknown", lambda a: body_with(a, status="RETURNED"), "item[0].status"),
    ("returnSubtotal-0", lambda a: body_with(a, returnSubtotal=0), None),
    ("returnSubtotal-negative", lambda a: body_with(a, returnSubtotal=-0.01), "item[0].returnSubtotal"),
    ("returnSubtotal-3-decimals", lambda a: body_with(a, returnSubtotal=1.005), "item[0].returnSubtotal"),
    ("fulfillerSubtotal-text", lambda a: body_with(a, fulfillerSubtotal="ten"), "item[0].fulfillerSubtotal"),
    ("returnItemID-given", lambda a: body_with(a, returnItemID=42), None),
    ("returnItemID-negative", lambda a: body_with(a, returnItemID=-1), "item[0].returnItemID"),
    ("options-strings", lambda a: body_with(a, options=["Color: Red", "Size: M"]), None),
    ("options-not-strings", lambda a: body_with(a, options=[1]), "item[0].options[0]"),
    ("options-not-a-list", lambda a: body_with(a, options="Red"), "item[0].options"),
    # orderItemUnits
    ("units-empty", lambda a: body_with(a, orderItemUnits=[]), None),
    ("unit-id-only", lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": 0}]), None),
    (
        "unit-id-missing",
        lambda a: body_with(a, orderItemUnits=[{"serialNumber": 5}]),
        "item[0].orderItemUnits[0].orderItemUnitID",
    ),
    (
        "unit-id-negative",
        lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": -1}]),
        "item[0].orderItemUnits[0].orderItemUnitID",
    ),
    (
        "serial-number",
        lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": 1, "serialNumber": 12345}]),
        None,
    ),
    (
        "serial-text-100",
        lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": 2, "serialNumber": "S" * 100}]),
        None,
    ),
    (
        "serial-text-101",
        lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": 3, "serialNumber": "S" * 101}]),
        "item[0].orderItemUnits[0].serialNumber",
    ),
    (
        "serial-fraction",
        lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": 3, "serialNumber": 1.5}]),
        "item[0].orderItemUnits[0].serialNumber",
    ),
    (
        "serial-boolean",
        lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": 3, "serialNumber": True}]),
        "item[0].orderItemUnits[0].serialNumber",
    ),
    (
        "serial-negative",
        lambda a: body_with(a, orderItemUnits=[{"orderItemUnitID": 3, "serialNumber": -1}]),
        "item[0].orderItemUnits[0].serialNumber",
    ),
    # giftCardInfo
    *[
        (f"giftCardType-{t}", with_gift_card({"giftCardType": t}), None)
        for t in ("GC", "GT", "GX", "IM", "M1", "M2", "M3", "VA")
    ],
    (
        "giftCardType-unknown",
        lambda a: body_with(a, giftCardInfo={"giftCardType": "GZ"}),
        "item[0].giftCardInfo.giftCardType",
    ),
    (
        "giftCardType-missing",
        lambda a: body_with(a, giftCardInfo={"toName": "Sam"}),
        "item[0].giftCardInfo.giftCardType",
    ),
    *[
        (
            f"cardIssuer-{i}-on-GC",
            with_gift_card(gift_card(cardIssuer=i)),
            None,
        )
        for i in ("SV", "CL", "VL")
    ],
    (
        "cardIssuer-unknown",
        lambda a: body_with(a, giftCardInfo=gift_card(cardIssuer="AX")),
        "item[0].giftCardInfo.cardIssuer",
    ),
    (
        "cardIssuer-on-GT",
        lambda a: body_with(a, giftCardInfo={"giftCardType": "GT", "cardIssuer": "SV"}),
        "item[0].giftCardInfo.cardIssuer",
    ),
    ("toName-85", lambda a: body_with(a, giftCardInfo=gift_card(toName="T" * 85)), None),
    (
        "toName-86",
        lambda a: body_with(a, giftCardInfo=gift_card(toName="T" * 86)),
        "item[0].giftCardInfo.toName",
    ),
    ("fromName-85", lambda a: body_with(a, giftCardInfo=gift_card(fromName="F" * 85)), None),
    (
        "fromName-86",
        lambda a: body_with(a, giftCardInfo=gift_card(fromName="F" * 86)),
        "item[0].giftCardInfo.fromName",
    ),
    ("email-250", lambda a: body_with(a, giftCardInfo=gift_card(email=EMAIL_250)), None),
    (
        "email-251",
        lambda a: body_with(a, giftCardInfo=gift_card(email="a" + EMAIL_250)),
        "item[0].giftCardInfo.email",
    ),
    (
        "email-no-at",
        lambda a: body_with(a, giftCardInfo=gift_card(email="sam.example.com")),
        "item[0].giftCardInfo.email",
    ),
    (
        "email-no-domain",
        lambda a: body_with(a, giftCardInfo=gift_card(email="sam@")),
        "item[0].giftCardInfo.email",
    ),
    (
        "email-space",
        lambda a: body_with(a, giftCardInfo=gift_card(email="sam lee@example.com")),
        "item[0].giftCardInfo.email",
    ),
    (
        "email-double-dot",
        lambda a: body_with(a, giftCardInfo=gift_card(email="sam..lee@example.com")),
        "item[0].giftCardInfo.email",
    ),
    ("message-400", lambda a: body_with(a, giftCardInfo=gift_card(message="m" * 400)), None),
    (
        "message-401",
        lambda a: body_with(a, giftCardInfo=gift_card(message="m" * 401)),
        "item[0].giftCardInfo.message",
    ),
    (
        "deliveryDate-date-time",
        lambda a: body_with(a, giftCardInfo=gift_card(deliveryDate="2026-12-24T09:00:00Z")),
        None,
    ),
    (
        "deliveryDate-words",
        lambda a: body_with(a, giftCardInfo=gift_card(deliveryDate="christmas")),
        "item[0].giftCardInfo.deliveryDate",
    ),
    ("printForm-true", lambda a: body_with(a, giftCardInfo=gift_card(printForm=True)), None),
    (
        "printForm-not-boolean",
        lambda a: body_with(a, giftCardInfo=gift_card(printForm="maybe")),
        "item[0].giftCardInfo.printForm",
    ),
    ("giftCardValue-0", lambda a: body_with(a, giftCardInfo=gift_card(giftCardValue=0)), None),
    (
        "giftCardValue-negative",
        lambda a: body_with(a, giftCardInfo=gift_card(giftCardValue=-5)),
        "item[0].giftCardInfo.giftCardValue",
    ),
    # return fields
    ("returnID-1", lambda a: {**body_with(a), "returnID": 1}, None),
    ("returnID-0", lambda a: {**body_with(a), "returnID": 0}, "returnID"),
    ("returnLocation-1", lambda a: {**body_with(a), "returnLocation": 1}, None),
    ("returnLocation-0", lambda a: {**body_with(a), "returnLocation": 0}, "returnLocation"),
    ("returnLocation-unknown", lambda a: {**body_with(a), "returnLocation": 999}, "returnLocation"),
    ("externalOrderID-100", lambda a: {**body_with(a), "externalOrderID": STORE_ORDER_ID}, None),
    (
        "externalOrderID-101",
        lambda a: {**body_with(a), "externalOrderID": STORE_ORDER_ID + "S"},
        "externalOrderID",
    ),
    ("externalOrderID-empty", lambda a: {**body_with(a), "externalOrderID": ""}, "externalOrderID"),
    (
        "externalOrderID-another-order",
        lambda a: {**body_with(a), "externalOrderID": "ACME-1001"},
        "externalOrderID",
    ),
    ("status-OPEN", lambda a: {**body_with(a), "status": "OPEN"}, None),
    ("status-PROCESSING", lambda a: {**body_with(a), "status": "PROCESSING"}, "status"),
    ("status-CLOSED", lambda a: {**body_with(a), "status": "CLOSED"}, "status"),
    ("status-not-an-enum", lambda a: {**body_with(a), "status": "open"}, "status"),
    ("refundType-STANDARD", lambda a: {**body_with(a), "refundType": "STANDARD"}, None),
    (
        "refundType-GIFT_CARD",
        lambda a: {**body_with(a, giftCardInfo=gift_card()), "refundType": "GIFT_CARD"},
        None,
    ),
    (
        "refundType-GIFT_CARD-without-card",
        lambda a: {**body_with(a), "refundType": "GIFT_CARD"},
        "item[0].giftCardInfo",
    ),
    ("refundType-unknown", lambda a: {**body_with(a), "refundType": "CASH"}, "refundType"),
    (
        "totals-agree",
        lambda a: {
            **body_with(a, returnSubtotal=10, fulfillerSubtotal=2),
            "returnTotal": 10,
            "returnReductionTotal": 10,
            "fulfillerTotal": 2,
        },
        None,
    ),
    (
        "returnTotal-disagrees",
        lambda a: {**body_with(a, returnSubtotal=10), "returnTotal": 9.99},
        "returnTotal",
    ),
    (
        "reduction-exceeds-total",
        lambda a: {**body_with(a, returnSubtotal=10), "returnTotal": 10, "returnReductionTotal": 10.01},
        "returnReductionTotal",
    ),
    (
        "fulfillerTotal-disagrees",
        lambda a: {**body_with(a, fulfillerSubtotal=2), "fulfillerTotal": 3},
        "fulfillerTotal",
    ),
    ("returnTotal-negative", lambda a: {**body_with(a), "returnTotal": -1}, "returnTotal"),
    ("createdTime-date-time", lambda a: {**body_with(a), "createdTime": "2026-01-02T03:04:05Z"}, None),
    ("createdTime-not-a-date", lambda a: {**body_with(a), "createdTime": "yesterday"}, "createdTime"),
    ("createdTime-future", lambda a: {**body_with(a), "createdTime": "2999-01-01T00:00:00Z"}, "createdTime"),
    ("confirmTime-date-time", lambda a: {**body_with(a), "confirmTime": "2026-01-02T03:04:05+02:00"}, None),
    (
        "clearedTime-refused-on-create",
        lambda a: {**body_with(a), "clearedTime": "2026-01-02T03:04:05Z"},
        "clearedTime",
    ),
    ("orderID-matches", lambda a: {**body_with(a), "orderID": BULK_ORDER}, None),
    ("orderID-0", lambda a: {**body_with(a), "orderID": 0}, "orderID"),
    ("orderID-another-order", lambda a: {**body_with(a), "orderID": 5001}, "orderID"),
    ("shipmentID-matches", lambda a: {**body_with(a), "shipmentID": BULK_SHIPMENT}, None),
    ("shipmentID-0", lambda a: {**body_with(a), "shipmentID": 0}, "shipmentID"),
    ("shipmentID-another-shipment", lambda a: {**body_with(a), "shipmentID": 7001}, "item[0].orderItemID"),
    ("unknown-fields-ignored", lambda a: {**body_with(a), "creationSource": "API"}, None),
]


@pytest.mark.parametrize(("build", "refused_field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_limit_edges(api: Api, build: Callable[[Api], dict[str, Any]], refused_field: str | None) -> None:
    before = total_returns(api.client, api.token)
    response = api.post(build(api))
    if refused_field is None:
        assert response.status_code == 201, response.text
        assert total_returns(api.client, api.token) == before + 1
    else:
        assert refused_field in fields(response)
        assert total_returns(api.client, api.token) == before


def test_malformed_json_is_a_400_in_this_dialect(api: Api) -> None:
    response = api.client.post(
        URL, content=b'{"item": [', headers={**bearer(api.token), "Content-Type": "application/json"}
    )
    assert fields(response) == ["body"]


def test_every_field_at_its_edge_in_one_request_round_trips(api: Api) -> None:
    body = {
        "returnID": 2**63 - 1,
        "returnLocation": 2,
        "externalOrderID": STORE_ORDER_ID,
        "status": "OPEN",
        "returnTotal": 25.5,
        "returnReductionTotal": 5.5,
        "fulfillerTotal": 1.25,
        "createdTime": "2026-11-01T10:00:00Z",
        "confirmTime": "2026-11-01T11:00:00Z",
        "refundType": "GIFT_CARD",
        "orderID": BULK_ORDER,
        "shipmentID": BULK_SHIPMENT,
        "item": [
            {
                "returnItemID": 7,
                "orderItemID": api.order_item_id,
                "quantity": 3,
                "returnSubtotal": 25.5,
                "fulfillerSubtotal": 1.25,
                "status": "ACCEPTED",
                "reason": "Too small",
                "partNumber": "N" * 50,
                "UPC": "0" * 50,
                "SKU": "K" * 50,
                "partName": "P" * 50,
                "orderItemUnits": [
                    {"orderItemUnitID": 2**63 - 1, "serialNumber": 10**30 - 1},
                    {"orderItemUnitID": 11, "serialNumber": "SN-" + "X" * 97},
                    {"orderItemUnitID": 12},
                ],
                "options": ["Color: Red", ""],
                "giftCardInfo": {
                    "toName": "T" * 85,
                    "fromName": "F" * 85,
                    "email": EMAIL_250,
                    "message": "m" * 400,
                    "deliveryDate": "2026-12-24T09:00:00Z",
                    "printForm": True,
                    "giftCardType": "GC",
                    "cardIssuer": "VL",
                    "giftCardValue": 20,
                },
            }
        ],
    }
    created = api.post(body)
    assert created.status_code == 201, created.text
    answer = created.json()
    fetched = api.client.get(f"{URL}/{answer['returnID']}", headers=bearer(api.token)).json()
    assert fetched == answer
    assert answer["referenceID"] == f"OMS-{2**63 - 1}"
    assert answer["returnLocation"] == 2  # a return may go to another fulfillment center
    for key in ("externalOrderID", "status", "orderID", "shipmentID", "refundType"):
        assert answer[key] == body[key], key
    assert (answer["returnTotal"], answer["returnReductionTotal"], answer["fulfillerTotal"]) == (
        25.5,
        5.5,
        1.25,
    )
    assert answer["createdTime"].startswith("2026-11-01T10:00:00")
    assert answer["confirmTime"].startswith("2026-11-01T11:00:00")
    item, sent = answer["item"][0], body["item"][0]
    assert isinstance(sent, dict)
    for key in (
        "orderItemID",
        "quantity",
        "status",
        "reason",
        "partNumber",
        "UPC",
        "SKU",
        "partName",
        "options",
    ):
        assert item[key] == sent[key], key
    assert item["orderItemUnits"] == [
        *sent["orderItemUnits"][:2],
        {"orderItemUnitID": 12, "serialNumber": None},
    ]
    assert item["giftCardInfo"]["giftCardValue"] == 20
    assert item["giftCardInfo"]["deliveryDate"].startswith("2026-12-24T09:00:00")
    assert {k: item["giftCardInfo"][k] for k in ("toName", "fromName", "email", "message", "printForm")} == {
        k: sent["giftCardInfo"][k] for k in ("toName", "fromName", "email", "message", "printForm")
    }
    assert item["reasonCode"] == "does_not_fit"

"""POST /2025-07/return/{id}/label: buy a label for a return that exists (201 new, 200 already had one)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from homeward.db import Database
from homeward.returns.domain import ReturnStatus
from tests.builders import auth, merchant_headers, return_body
from tests.helpers import advance
from tests.labels.scenarios import barcodes, body_for, pdf_text

URL = "/2025-07/return"


def prepaid_return(client: TestClient, demo: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body = return_body(demo, **{"tracking_number": None, **overrides})
    response = client.post(URL, json=body, headers=merchant_headers(demo))
    assert response.status_code == 201, response.text
    return dict(response.json())


def buy(client: TestClient, demo: dict[str, Any], return_id: int, label: dict[str, Any]) -> Any:
    return client.post(f"{URL}/{return_id}/label", json=label, headers=merchant_headers(demo))


def test_first_request_buys_201_and_the_next_returns_the_same_label_200(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = prepaid_return(client, demo)

    first = buy(client, demo, created["id"], {"type": "Optimized"})
    again = buy(
        client, demo, created["id"], {"type": "CarrierSpecific", "carrier": "FedEx", "service": "Ground"}
    )

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json() == first.json()  # one return is one package: one label, invoiced once
    assert [t["transaction_type"] for t in again.json()["transactions"]] == ["ReturnLabelInvoice"]
    pdf = client.get(f"{URL}/{created['id']}/label", headers=merchant_headers(demo)).content
    assert created["reference_id"] in pdf_text(pdf)
    assert set(barcodes(pdf)) == {created["reference_id"], first.json()["tracking_number"]}


def test_a_prepaid_return_with_its_own_tracking_number_is_not_labelled_twice(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = prepaid_return(client, demo, tracking_number="1Z999AA10123456784")
    response = buy(client, demo, created["id"], {"type": "Optimized"})
    assert response.status_code == 422
    assert any(e.startswith("tracking_number: ") for e in response.json()["errors"])
    after = client.get(f"{URL}/{created['id']}", headers=merchant_headers(demo)).json()
    assert after["transactions"] == [] and after["tracking_number"] == "1Z999AA10123456784"


def test_only_while_awaiting_arrival(client: TestClient, demo: dict[str, Any], db: Database) -> None:
    cancelled = prepaid_return(client, demo, reference_id="GONE")
    client.post(f"{URL}/{cancelled['id']}:cancel", headers=merchant_headers(demo))
    arrived = prepaid_return(
        client,
        demo,
        reference_id="HERE",
        original_shipment_id=demo["shipments"]["lot"]["id"],
        inventory=[{"id": 1005, "quantity": 1, "requested_action": "Default"}],
    )
    advance(db, arrived["id"], ReturnStatus.ARRIVED)

    for found, status in ((cancelled, "Cancelled"), (arrived, "Arrived")):
        response = buy(client, demo, found["id"], {"type": "Optimized"})
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [f"status: is '{status}'"]
        assert client.get(f"{URL}/{found['id']}/label", headers=merchant_headers(demo)).status_code == 404


def test_prepaid_is_not_something_to_buy(client: TestClient, demo: dict[str, Any]) -> None:
    created = prepaid_return(client, demo)
    response = buy(client, demo, created["id"], {"type": "Prepaid"})
    assert response.status_code == 422
    assert response.json()["errors"][0].startswith("type: Prepaid buys no label")


def test_rules_name_the_fields_of_this_body(client: TestClient, demo: dict[str, Any]) -> None:
    created = prepaid_return(client, demo)
    response = buy(client, demo, created["id"], {"type": "CarrierSpecific", "carrier": "DHL", "service": "X"})
    assert response.status_code == 422
    assert response.json()["errors"][0].startswith("carrier: unknown carrier 'DHL'")
    assert client.get(f"{URL}/{created['id']}", headers=merchant_headers(demo)).json()["transactions"] == []


def test_a_po_box_falls_back_200_and_records_why(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int]
) -> None:
    body = body_for(cases["po_box"], "PO-LATER", None)
    created = client.post(URL, json=body, headers=merchant_headers(demo)).json()

    response = buy(client, demo, created["id"], {"type": "Optimized"})

    assert response.status_code == 200, response.text
    label = response.json()["label"]
    assert (label["type"], label["requested_type"]) == ("Prepaid", "Optimized")
    assert "P.O. box" in label["fallback_reason"]
    assert client.get(f"{URL}/{created['id']}", headers=merchant_headers(demo)).json()["label"] == label


def test_tenants_scopes_and_channels(client: TestClient, demo: dict[str, Any]) -> None:
    created = prepaid_return(client, demo)
    url = f"{URL}/{created['id']}/label"
    other = auth(demo["other_token"], demo["other_channel_id"])
    assert client.post(url, json={"type": "Optimized"}, headers=other).status_code == 404
    assert client.get(url, headers=other).status_code == 404
    readonly = auth(demo["readonly_token"], demo["channel_id"])
    assert client.post(url, json={"type": "Optimized"}, headers=readonly).status_code == 403
    assert client.post(url, json={"type": "Optimized"}, headers=auth(demo["token"])).status_code == 400
    wrong_channel = auth(demo["token"], demo["other_channel_id"])
    assert client.post(url, json={"type": "Optimized"}, headers=wrong_channel).status_code == 403
    assert (
        client.post(
            f"{URL}/999999/label", json={"type": "Optimized"}, headers=merchant_headers(demo)
        ).status_code
        == 404
    )
    assert client.get(url, headers=merchant_headers(demo)).status_code == 404  # still nothing bought


def test_modifying_a_labelled_return_keeps_what_the_label_says(
    client: TestClient, demo: dict[str, Any]
) -> None:
    body = return_body(demo, tracking_number=None)
    created = client.post(
        URL, json={**body, "label": {"type": "Optimized"}}, headers=merchant_headers(demo)
    ).json()
    tracking = created["tracking_number"]
    url = f"{URL}/{created['id']}"
    one_tee = [{"id": 1001, "quantity": 1, "requested_action": "Dispose"}]

    kept = client.put(url, json={**body, "inventory": one_tee}, headers=merchant_headers(demo))
    assert kept.status_code == 200, kept.text
    assert kept.json()["tracking_number"] == tracking  # a PUT without it does not erase the label's
    assert kept.json()["inventory"][0]["action_requested"]["action"] == "Dispose"

    moved = client.put(url, json={**body, "fulfillment_center": {"id": 2}}, headers=merchant_headers(demo))
    retracked = client.put(
        url, json={**body, "tracking_number": "1Z999AA10123456784"}, headers=merchant_headers(demo)
    )
    assert moved.status_code == 422 and moved.json()["errors"][0].startswith("fulfillment_center.id: ")
    assert retracked.status_code == 422 and retracked.json()["errors"][0].startswith("tracking_number: ")
    assert client.get(url, headers=merchant_headers(demo)).json() == kept.json()

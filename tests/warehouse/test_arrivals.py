"""Receiving packages: by tracking number or RMA, return to sender, idempotent scans, refusals."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.builders import auth, merchant_headers, return_body
from tests.warehouse.flow import RETURNS, WAREHOUSE, arrive, create, shipbob, staff


def history(client: TestClient, demo: dict[str, Any], return_id: int) -> list[str]:
    response = client.get(f"{RETURNS}/{return_id}/statushistory", headers=merchant_headers(demo))
    return [event["status"] for event in response.json()]


def test_a_package_arrives_once_by_tracking_or_rma_and_then_the_merchant_cannot_change_it(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = create(client, demo, "RMA-ARRIVE-1", tracking_number="1ZARRIVE0001")

    first = arrive(client, demo, "1ZARRIVE0001")
    assert first.status_code == 200, first.text
    assert first.json()["id"] == created["id"] and first.json()["status"] == "Arrived"
    again = arrive(client, demo, "1ZARRIVE0001")
    by_rma = arrive(client, demo, "RMA-ARRIVE-1")
    assert again.json() == first.json() == by_rma.json()  # harmless, same answer
    assert history(client, demo, created["id"]) == ["Awaiting Arrival", "Arrived"]

    headers = merchant_headers(demo)
    modify = client.put(
        f"{RETURNS}/{created['id']}", json=return_body(demo, reference_id="X"), headers=headers
    )
    cancel = client.post(f"{RETURNS}/{created['id']}:cancel", headers=headers)
    assert modify.status_code == 422 and "Arrived" in modify.json()["message"]
    assert cancel.status_code == 422
    assert shipbob(client, demo, created["id"])["status"] == "Arrived"


def test_return_to_sender_makes_one_rts_return_with_every_unit_and_the_rts_preference(
    client: TestClient, demo: dict[str, Any]
) -> None:
    shipment = demo["shipments"]["lot"]
    first = arrive(client, demo, shipment["tracking_number"], rts=True)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["return_type"] == "ReturnToSender" and body["status"] == "Arrived"
    assert body["reference_id"] == f"RTS-{shipment['id']:08d}"
    assert body["original_shipment_id"] == shipment["id"]
    # The serum's return preference is Quarantine, its RTS preference Restock (demo data).
    assert [(i["inventory_id"], i["expected"], i["requested_action"]) for i in body["items"]] == [
        (1005, 3, "Restock")
    ]
    assert arrive(client, demo, shipment["tracking_number"], rts=True).json() == body

    seen = shipbob(client, demo, body["id"])
    assert seen["return_type"] == "ReturnToSender" and seen["tracking_number"] == shipment["tracking_number"]
    listed = client.get(RETURNS, params={"ReturnTypes": "ReturnToSender"}, headers=merchant_headers(demo))
    assert [r["id"] for r in listed.json()["items"]] == [body["id"]]


def test_an_outbound_package_scanned_without_rts_becomes_a_regular_return(
    client: TestClient, demo: dict[str, Any]
) -> None:
    shipment = demo["shipments"]["hazmat"]
    response = arrive(client, demo, shipment["tracking_number"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["return_type"] == "Regular" and body["reference_id"] == f"RET-{shipment['id']:08d}"
    assert sorted((i["inventory_id"], i["expected"]) for i in body["items"]) == sorted(
        (line["id"], line["quantity"]) for line in shipment["inventory"]
    )
    assert arrive(client, demo, shipment["tracking_number"]).json()["id"] == body["id"]


def test_an_outbound_package_finds_the_return_already_awaiting_it(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = create(client, demo, "RMA-WAITING", tracking_number="1ZOTHERLABEL")
    response = arrive(client, demo, demo["shipments"]["regular"]["tracking_number"])
    assert response.json()["id"] == created["id"] and response.json()["status"] == "Arrived"


def test_a_barcode_that_matches_nothing_is_404_and_creates_nothing(
    client: TestClient, demo: dict[str, Any]
) -> None:
    for rts in (False, True):
        response = arrive(client, demo, "NOPE-404", rts=rts)
        assert response.status_code == 404
        assert "NOPE-404" in response.json()["detail"] and "barcode" in response.json()["errors"]
    assert client.get(RETURNS, headers=merchant_headers(demo)).json()["items"] == []


def test_packages_of_another_center_cancelled_or_unshipped_are_refused_and_unchanged(
    client: TestClient, demo: dict[str, Any]
) -> None:
    elsewhere = create(
        client,
        demo,
        "RMA-FC2",
        original_shipment_id=None,
        tracking_number="1ZFC2",
        fulfillment_center={"id": 2},
    )
    refused = arrive(client, demo, "1ZFC2", fc=1)
    assert refused.status_code == 422 and "fulfillment center 2" in refused.json()["detail"]
    assert arrive(client, demo, "1ZFC2", fc=2).json()["status"] == "Arrived"  # its own center may

    cancelled = create(client, demo, "RMA-GONE", tracking_number="1ZGONE")
    client.post(f"{RETURNS}/{cancelled['id']}:cancel", headers=merchant_headers(demo))
    gone = arrive(client, demo, "1ZGONE")
    assert gone.status_code == 422 and "cancelled" in gone.json()["detail"]
    assert shipbob(client, demo, cancelled["id"])["status"] == "Cancelled"
    assert shipbob(client, demo, elsewhere["id"])["status"] == "Arrived"


def test_only_warehouse_tokens_receive_and_they_cannot_use_the_merchant_api(
    client: TestClient, demo: dict[str, Any]
) -> None:
    url = f"{WAREHOUSE}/arrivals"
    assert client.post(url, json={"barcode": "X"}).status_code == 401
    as_merchant = client.post(url, json={"barcode": "X"}, headers=merchant_headers(demo))
    assert as_merchant.status_code == 403 and "warehouse token" in as_merchant.json()["detail"]
    as_staff = client.get(RETURNS, headers=staff(demo))
    assert as_staff.status_code == 403 and "/warehouse/v1" in as_staff.json()["message"]

    blank = client.post(url, json={"barcode": "  "}, headers=staff(demo))
    assert blank.status_code == 400 and "barcode" in blank.json()["errors"]
    typo = client.post(url, json={"barcod": "X"}, headers=staff(demo))
    assert typo.status_code == 400 and {"barcode", "barcod"} <= set(typo.json()["errors"])


def test_a_return_is_visible_only_to_its_own_center(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "RMA-SEEN", tracking_number="1ZSEEN")
    assert client.get(f"{WAREHOUSE}/returns/{created['id']}", headers=staff(demo, 1)).status_code == 200
    other = client.get(f"{WAREHOUSE}/returns/{created['id']}", headers=staff(demo, 2))
    assert other.status_code == 404 and "fulfillment center 2" in other.json()["detail"]
    assert client.get(f"{WAREHOUSE}/returns/{created['id']}", headers=auth(demo["token"])).status_code == 403

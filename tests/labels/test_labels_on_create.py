"""POST /2025-07/return with a `label`: each label type, each rule of seed 000, and what is stored."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.labels.carriers.tracking_numbers import TrackingScheme, is_valid
from tests.builders import auth, merchant_headers, return_body
from tests.labels.scenarios import barcodes, body_for, pdf_page_inches, pdf_text

URL = "/2025-07/return"
SCHEMES = {"UPS": TrackingScheme.UPS, "USPS": TrackingScheme.USPS, "FedEx": TrackingScheme.FEDEX}


def create(client: TestClient, demo: dict[str, Any], body: dict[str, Any]) -> Any:
    return client.post(URL, json=body, headers=merchant_headers(demo))


def stored_returns(client: TestClient, demo: dict[str, Any]) -> list[dict[str, Any]]:
    return list(client.get(URL, headers=merchant_headers(demo), params={"Limit": 250}).json()["items"])


def assert_refused(response: Any, field: str, words: str, client: TestClient, demo: dict[str, Any]) -> None:
    """422 ApiError naming the field and why, and nothing stored (so nothing bought)."""
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert any(e.startswith(f"{field}: ") and words in e for e in errors), errors
    assert stored_returns(client, demo) == []


def test_optimized_buys_a_label_invoices_it_and_puts_its_tracking_on_the_return(
    client: TestClient, demo: dict[str, Any]
) -> None:
    body = return_body(demo, tracking_number=None, label={"type": "Optimized"})
    response = create(client, demo, body)

    assert response.status_code == 201, response.text
    created = response.json()
    label = created["label"]
    assert label["type"] == label["requested_type"] == "Optimized"
    assert label["fallback_reason"] is None
    assert label["carrier"] in SCHEMES and label["service"]
    assert is_valid(SCHEMES[label["carrier"]], label["tracking_number"])
    assert created["tracking_number"] == label["tracking_number"]
    # 2 tees (0.2 kg) and a mug (0.45 kg) travel as one package.
    assert Decimal(str(label["weight_kg"])) == Decimal("0.85")
    assert created["transactions"] == [{"amount": label["cost"], "transaction_type": "ReturnLabelInvoice"}]
    assert created["invoice_amount"] == label["cost"] > 0
    assert label["label_url"] == f"/2025-07/return/{created['id']}/label"
    # The same label shows wherever the return is read.
    fetched = client.get(f"{URL}/{created['id']}", headers=auth(demo["readonly_token"])).json()
    assert fetched == created
    assert [r["label"] for r in stored_returns(client, demo)] == [label]


def test_the_label_pdf_is_4x6_and_carries_rma_and_tracking_as_text_and_code128(
    client: TestClient, demo: dict[str, Any]
) -> None:
    body = return_body(demo, reference_id="RMA-PDF-0042", tracking_number=None, label={"type": "Optimized"})
    created = create(client, demo, body).json()

    response = client.get(created["label"]["label_url"], headers=auth(demo["readonly_token"]))

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf_page_inches(pdf) == pytest.approx((4.0, 6.0))
    text = pdf_text(pdf)
    tracking = created["tracking_number"]
    for expected in (
        "RMA-PDF-0042",
        tracking,
        "Jordan Lee",
        "410 W Adams St",
        "Cicero (IL)",
        "5900 W Ogden Ave",
    ):
        assert expected in text, expected
    assert barcodes(pdf) == {tracking: "Code128", "RMA-PDF-0042": "Code128"}


def test_carrier_specific_buys_the_named_service(client: TestClient, demo: dict[str, Any]) -> None:
    label = {"type": "CarrierSpecific", "carrier": "ups", "service": "ground"}  # any case
    created = create(client, demo, return_body(demo, tracking_number=None, label=label)).json()

    assert (created["label"]["carrier"], created["label"]["service"]) == ("UPS", "Ground")
    assert created["tracking_number"].startswith("1Z")
    assert is_valid(TrackingScheme.UPS, created["tracking_number"])


def test_optimized_is_never_dearer_than_any_service_named_outright(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int]
) -> None:
    one_tee = [{"id": 1001, "quantity": 1, "requested_action": "Default"}]

    def label_of(reference_id: str, label: dict[str, Any]) -> dict[str, Any]:
        body = body_for(cases["ten_tees"], reference_id, label, inventory=one_tee)
        response = create(client, demo, body)
        assert response.status_code == 201, response.text
        return dict(response.json()["label"])

    cheapest = label_of("OPT", {"type": "Optimized"})
    services = [
        ("UPS", "Ground"),
        ("UPS", "2ndDayAir"),
        ("USPS", "GroundAdvantage"),
        ("USPS", "Priority"),
        ("FedEx", "Ground"),
        ("FedEx", "ExpressSaver"),
    ]
    named = [
        label_of(f"CS-{c}-{s}", {"type": "CarrierSpecific", "carrier": c, "service": s}) for c, s in services
    ]
    assert cheapest["cost"] == min(n["cost"] for n in named)
    assert cheapest["zone"] == "7"  # San Francisco to Cicero (IL) in the default rate card


def test_no_label_means_prepaid_and_the_body_stays_the_seed_shape(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = create(client, demo, return_body(demo, tracking_number=None)).json()

    assert "label" not in created
    assert created["transactions"] == [] and created["invoice_amount"] is None
    missing = client.get(f"{URL}/{created['id']}/label", headers=merchant_headers(demo))
    assert missing.status_code == 404
    assert "Prepaid" in missing.json()["detail"]


def test_prepaid_then_the_merchant_adds_the_tracking_number(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo, tracking_number=None, label={"type": "Prepaid"})
    created = create(client, demo, body).json()
    assert created["label"]["type"] == "Prepaid" and created["label"]["label_url"] is None
    assert created["tracking_number"] is None

    later = {**body, "tracking_number": "1Z999AA10123456784"}
    del later["label"]
    changed = client.put(f"{URL}/{created['id']}", json=later, headers=merchant_headers(demo))

    assert changed.status_code == 200, changed.text
    assert changed.json()["tracking_number"] == "1Z999AA10123456784"
    assert changed.json()["label"]["type"] == "Prepaid"
    assert changed.json()["transactions"] == []
    listed = client.get(URL, headers=merchant_headers(demo), params={"TrackingNumbers": "1Z999AA10123456784"})
    assert [r["id"] for r in listed.json()["items"]] == [created["id"]]


def test_hazmat_may_only_go_prepaid(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo, "hazmat", "HAZ", tracking_number=None, label={"type": "Optimized"})
    assert_refused(create(client, demo, body), "label.type", "DG/hazmat", client, demo)

    prepaid = create(client, demo, {**body, "label": {"type": "Prepaid"}})
    assert prepaid.status_code == 201, prepaid.text


def test_customer_outside_the_fulfillment_centers_country_is_refused(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int]
) -> None:
    body = body_for(cases["canada"], "CROSS-BORDER", {"type": "Optimized"})
    assert_refused(create(client, demo, body), "fulfillment_center.id", "customer is in CA", client, demo)


def test_a_parcel_over_68_kg_cannot_be_labelled(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int]
) -> None:
    body = body_for(cases["too_heavy"], "ANVIL", {"type": "Optimized"})
    assert_refused(create(client, demo, body), "inventory", "75 kg", client, demo)


def test_over_4_5_kg_only_fedex_ground(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int]
) -> None:
    named = {"type": "CarrierSpecific", "carrier": "UPS", "service": "Ground"}
    refused = create(client, demo, body_for(cases["medium"], "DB-UPS", named))
    assert_refused(refused, "label.service", "only with FedEx Ground", client, demo)

    for case in ("medium", "heavy"):  # 5 kg and 30 kg
        created = create(client, demo, body_for(cases[case], f"DB-{case}", {"type": "Optimized"}))
        assert created.status_code == 201, created.text
        assert (created.json()["label"]["carrier"], created.json()["label"]["service"]) == ("FedEx", "Ground")
        assert is_valid(TrackingScheme.FEDEX, created.json()["tracking_number"])


@pytest.mark.parametrize(("case", "words"), [("po_box", "P.O. box"), ("military", "military")])
def test_po_box_and_military_addresses_fall_back_to_prepaid_and_say_why(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int], case: str, words: str
) -> None:
    response = create(client, demo, body_for(cases[case], f"FB-{case}", {"type": "Optimized"}))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["label"]["type"] == "Prepaid"
    assert created["label"]["requested_type"] == "Optimized"
    assert words in created["label"]["fallback_reason"]
    assert created["tracking_number"] is None and created["transactions"] == []  # nothing bought
    pdf = client.get(f"{URL}/{created['id']}/label", headers=merchant_headers(demo))
    assert pdf.status_code == 404 and words in pdf.json()["detail"]


def test_a_purchased_label_needs_the_original_shipment(client: TestClient, demo: dict[str, Any]) -> None:
    loose = return_body(
        demo,
        original_shipment_id=None,
        tracking_number=None,
        inventory=[{"id": 1001, "quantity": 1, "requested_action": "Default"}],
    )
    refused = create(client, demo, {**loose, "label": {"type": "Optimized"}})
    assert_refused(refused, "original_shipment_id", "customer's address", client, demo)
    assert create(client, demo, {**loose, "label": {"type": "Prepaid"}}).status_code == 201


def test_a_shipment_without_postal_code_cannot_be_labelled(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int]
) -> None:
    body = body_for(cases["no_postal_code"], "NO-ZIP", {"type": "Optimized"})
    assert_refused(create(client, demo, body), "original_shipment_id", "no postal code", client, demo)


def test_a_purchased_label_brings_its_own_tracking_number(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo, tracking_number="1Z999AA10123456784", label={"type": "Optimized"})
    assert_refused(create(client, demo, body), "tracking_number", "brings its own", client, demo)


def test_a_reference_id_that_cannot_be_a_barcode_is_refused(client: TestClient, demo: dict[str, Any]) -> None:
    body = return_body(demo, reference_id="RMA-ÜBER-1", tracking_number=None, label={"type": "Optimized"})
    assert_refused(create(client, demo, body), "reference_id", "ASCII", client, demo)


@pytest.mark.parametrize(
    ("label", "field", "words"),
    [
        (
            {"type": "CarrierSpecific", "carrier": "DHL", "service": "Ground"},
            "label.carrier",
            "unknown carrier",
        ),
        ({"type": "CarrierSpecific", "carrier": "UPS", "service": "Teleport"}, "label.service", "no service"),
        ({"type": "CarrierSpecific", "carrier": "UPS"}, "label.service", "is required"),
        (
            {"type": "CarrierSpecific", "carrier": "UPS", "service": "Standard"},
            "label.service",
            "does not serve US",
        ),
    ],
)
def test_carrier_specific_names_what_is_wrong(
    client: TestClient, demo: dict[str, Any], label: dict[str, Any], field: str, words: str
) -> None:
    body = return_body(demo, tracking_number=None, label=label)
    assert_refused(create(client, demo, body), field, words, client, demo)


def test_an_unknown_label_type_is_a_schema_error(client: TestClient, demo: dict[str, Any]) -> None:
    response = create(client, demo, return_body(demo, tracking_number=None, label={"type": "Overnight"}))
    assert response.status_code == 400
    assert "label.type" in response.json()["errors"]
    assert stored_returns(client, demo) == []


def test_the_1_0_dialect_shows_the_bought_tracking_number_and_invoice(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = create(
        client, demo, return_body(demo, tracking_number=None, label={"type": "Optimized"})
    ).json()
    old = client.get(f"/1.0/return/{created['id']}", headers=auth(demo["token"])).json()
    assert "label" not in old
    assert old["tracking_number"] == created["tracking_number"]
    assert old["invoice_amount"] == created["label"]["cost"]


def test_every_page_of_the_list_shows_each_return_as_get_does_labelled_or_not(
    client: TestClient, demo: dict[str, Any], cases: dict[str, int]
) -> None:
    labels = [{"type": "Optimized"}, None, {"type": "Prepaid"}, None, {"type": "Optimized"}]
    one_tee = [{"id": 1001, "quantity": 1, "requested_action": "Default"}]
    created = []
    for number, label in enumerate(labels):
        body = body_for(cases["ten_tees"], f"MIXED-{number}", label, inventory=one_tee)
        response = create(client, demo, body)
        assert response.status_code == 201, response.text
        created.append(response.json())
    fetched = {
        c["id"]: client.get(f"{URL}/{c['id']}", headers=merchant_headers(demo)).json() for c in created
    }
    assert [("label" in fetched[c["id"]]) for c in created] == [label is not None for label in labels]

    # Two returns a page, newest first: forwards by `next`, then back by `prev`.
    page = client.get(URL, headers=merchant_headers(demo), params={"Limit": 2}).json()
    forwards = [page["items"]]
    while page["next"]:
        page = client.get(page["next"], headers=merchant_headers(demo)).json()
        forwards.append(page["items"])
    backwards = [page["items"]]
    while page["prev"]:
        page = client.get(page["prev"], headers=merchant_headers(demo)).json()
        backwards.append(page["items"])

    newest_first = [fetched[c["id"]] for c in reversed(created)]
    assert [body for items in forwards for body in items] == newest_first
    assert [body for items in reversed(backwards) for body in items] == newest_first

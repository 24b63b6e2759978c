"""The create-return wizard over HTTP: each step refused by the API's rules (and the dashboard's RMA
rule), no skipping ahead, review, and a submit that creates exactly one return the API then shows."""

from __future__ import annotations

import html
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.app import create_app
from tests.web.session_http import sign_in


class Wizard:
    """A merchant's browser going through the wizard of one shipment."""

    def __init__(self, client: TestClient, shipment_id: int) -> None:
        self.client, self.shipment_id = client, shipment_id

    def url(self, step: str) -> str:
        return f"/returns/new/{self.shipment_id}/{step}"

    def start(self) -> Any:
        return self.client.get(f"/returns/new?shipment={self.shipment_id}", follow_redirects=False)

    def get(self, step: str, **params: str) -> Any:
        return self.client.get(self.url(step), params=params, follow_redirects=False)

    def post(self, step: str, data: dict[str, Any]) -> Any:
        token = self.client.cookies["homeward_csrf"]
        return self.client.post(self.url(step), data={"csrftoken": token, **data}, follow_redirects=False)

    def items(self, lines: list[tuple[int, Any, str]], **extra: Any) -> Any:
        data: dict[str, Any] = {"action": "done", **extra}
        for i, (inventory_id, quantity, action) in enumerate(lines):
            data |= {
                f"inventory[{i}].id": inventory_id,
                f"inventory[{i}].quantity": quantity,
                f"inventory[{i}].requested_action": action,
            }
        return self.post("items", data)

    def through_reference(self, reference_id: str, lines: list[tuple[int, Any, str]], fc: int = 1) -> None:
        assert self.start().status_code == 303
        assert self.items(lines).headers["location"] == self.url("destination")
        assert self.post("destination", {"fulfillment_center.id": fc}).headers["location"] == self.url(
            "reference"
        )
        done = self.post("reference", {"action": "done", "reference_id": reference_id})
        assert done.headers["location"] == self.url("label"), done.text


def _errors_beside(page: str, field: str) -> str:
    """The messages shown beside one field (its `<ul id="FIELD-errors">`)."""
    found = re.search(rf'<ul class="field-errors" id="{re.escape(field)}-errors">(.*?)</ul>', page, re.S)
    assert found, f"no errors beside {field}"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def _value_of(page: str, field: str) -> str:
    found = re.search(rf'name="{re.escape(field)}"[^>]*value="([^"]*)"', page)
    assert found, f"no input {field}"
    return html.unescape(found.group(1))


@pytest.fixture
def merchant(client: TestClient, demo: dict[str, Any]) -> TestClient:
    sign_in(client, demo["web_users"]["merchant"])
    return client


def _api_returns(client: TestClient, demo: dict[str, Any], **params: str) -> list[dict[str, Any]]:
    answer = client.get(
        "/2025-07/return", params=params, headers={"Authorization": f"Bearer {demo['token']}"}
    )
    assert answer.status_code == 200
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def test_items_are_prefilled_with_what_shipped(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    assert wizard.start().headers["location"] == wizard.url("items")
    page = wizard.get("items").text
    assert _value_of(page, "inventory[0].id") == "1001" and _value_of(page, "inventory[0].quantity") == "2"
    assert _value_of(page, "inventory[1].id") == "1002" and _value_of(page, "inventory[1].quantity") == "1"
    assert "Default (Restock)" in page and "Default (Quarantine)" in page  # each product's own preference


def test_bundle_items_show_their_bundle_and_search_shows_components(
    merchant: TestClient, demo: dict[str, Any]
) -> None:
    wizard = Wizard(merchant, demo["shipments"]["bundle"]["id"])
    wizard.start()
    page = wizard.get("items").text
    assert page.count("from bundle Tee &amp; Mug Gift Set") == 2
    found = wizard.get("items", q="giftset").text
    assert "A bundle comes back as its items" in found and "Classic Tee (M)" in found
    assert 'name="add" value="1004"' not in found  # the bundle itself is never added


def test_quantities_are_refused_beside_their_field_and_kept(
    merchant: TestClient, demo: dict[str, Any]
) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.start()
    refused = wizard.items([(1001, 3, "Default"), (1002, "two", "Dispose")])
    assert refused.status_code == 422
    assert "exceeds the 2 unit(s) still returnable" in _errors_beside(refused.text, "inventory[0].quantity")
    assert "must be a whole number" in _errors_beside(refused.text, "inventory[1].quantity")
    assert _value_of(refused.text, "inventory[0].quantity") == "3"
    assert _value_of(refused.text, "inventory[1].quantity") == "two"
    assert '<option value="Dispose" selected>' in refused.text

    zero = wizard.items([(1001, 0, "Default"), (1002, "99999999999999", "Default")])
    assert "must be at least 1" in _errors_beside(zero.text, "inventory[0].quantity")
    assert "too large" in _errors_beside(zero.text, "inventory[1].quantity")
    bad_action = wizard.items([(1001, 1, "Burn")])
    assert "choose Default" in _errors_beside(bad_action.text, "inventory[0].requested_action")
    empty = wizard.items([])
    assert "at least one inventory item" in _errors_beside(empty.text, "inventory")
    # Nothing was accepted: the next step is still out of reach.
    assert wizard.get("destination").headers["location"] == wizard.url("items")


def test_unknown_products_and_bundles_are_refused(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.start()
    lines = {"inventory[0].id": 1001, "inventory[0].quantity": "1"}
    assert wizard.post("items", lines | {"add": 999999}).status_code == 303  # nobody's product
    lines |= {"inventory[1].id": 999999, "inventory[1].quantity": "1"}
    assert wizard.post("items", lines | {"add": 2001}).status_code == 303  # another merchant's
    page = wizard.get("items").text
    assert "Unknown item 999999" in page and "Unknown item 2001" in page
    refused = wizard.items(
        [(1001, 1, "Default"), (999999, 1, "Default"), (2001, 1, "Default"), (1004, 1, "Default")]
    )
    assert refused.status_code == 422
    assert "inventory 999999 does not exist" in _errors_beside(refused.text, "inventory[1].id")
    assert "inventory 2001 does not exist" in _errors_beside(refused.text, "inventory[2].id")
    assert "is a bundle; return its component inventory ids (1001, 1002)" in _errors_beside(
        refused.text, "inventory[3].id"
    )
    not_a_number = wizard.post("items", {"add": "mug"})
    assert not_a_number.status_code == 400 and "could not be added" in _errors_beside(not_a_number.text, "q")


def test_search_add_and_remove(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.start()
    removed = wizard.post(
        "items",
        {
            "inventory[0].id": 1001,
            "inventory[0].quantity": "2",
            "inventory[1].id": 1002,
            "inventory[1].quantity": "1",
        }
        | {"remove": "1", "q": "mug"},
    )
    assert removed.headers["location"] == wizard.url("items") + "?q=mug#items"
    page = wizard.get("items", q="mug").text
    assert 'name="inventory[1].id"' not in page
    assert 'name="add" value="1002"' in page  # the mug is found again and can be added back
    wizard.post("items", {"inventory[0].id": 1001, "inventory[0].quantity": "2", "add": "1002"})
    assert _value_of(wizard.get("items").text, "inventory[1].id") == "1002"


def test_steps_cannot_be_skipped_by_url(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    assert (
        wizard.get("items").headers["location"] == f"/returns/new?shipment={wizard.shipment_id}"
    )  # no draft
    wizard.start()
    for step in ("destination", "reference", "label", "review"):
        assert wizard.get(step).headers["location"] == wizard.url("items")
    assert wizard.post("submit", {}).headers["location"] == wizard.url("items")
    wizard.items([(1001, 1, "Default")])
    assert wizard.get("review").headers["location"] == wizard.url("destination")
    assert wizard.post("label", {"label.type": "Prepaid"}).headers["location"] == wizard.url("destination")


def test_destination_is_checked(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.start()
    wizard.items([(1001, 1, "Default")])
    page = wizard.get("destination").text
    assert '<option value="1" selected>' in page  # the shipment's own center by default
    unknown = wizard.post("destination", {"fulfillment_center.id": "4242"})
    assert unknown.status_code == 422
    assert "fulfillment center 4242 does not exist" in _errors_beside(unknown.text, "fulfillment_center.id")
    word = wizard.post("destination", {"fulfillment_center.id": "Cicero"})
    assert "whole number" in _errors_beside(word.text, "fulfillment_center.id")


def test_reference_rules_of_the_dashboard_and_uniqueness(merchant: TestClient, demo: dict[str, Any]) -> None:
    taken = Wizard(merchant, demo["shipments"]["serialized"]["id"])
    taken.through_reference("TAKEN0001", [(1007, 1, "Default")])
    assert taken.post("label", {"label.type": "Prepaid"}).headers["location"] == taken.url("review")
    assert taken.post("submit", {}).status_code == 303

    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.start()
    wizard.items([(1001, 1, "Default")])
    wizard.post("destination", {"fulfillment_center.id": 1})
    for typed, message in (
        ("RMA123", "must be at least 8 characters"),  # the API would take it; the dashboard does not
        ("RMA-0001-X", "only letters A-Z and digits 0-9"),
        ("RMA 00012", "only letters A-Z and digits 0-9"),
        ("R" * 47, "at most 46 characters"),
        ("", "must not be blank"),
        ("TAKEN0001", "already used by another return"),
    ):
        refused = wizard.post("reference", {"action": "done", "reference_id": typed})
        assert refused.status_code == 422, typed
        assert message in _errors_beside(refused.text, "reference_id"), typed
        assert _value_of(refused.text, "reference_id") == typed
    generated = wizard.post("reference", {"action": "generate"})
    assert generated.headers["location"] == wizard.url("reference")
    page = wizard.get("reference").text
    value = _value_of(page, "reference_id")
    assert re.fullmatch(r"RMA[A-Z2-9]{10}", value) and f"Generated {value}" in page
    assert wizard.post("reference", {"action": "done", "reference_id": value}).headers[
        "location"
    ] == wizard.url("label")


def test_purchased_labels_are_refused_for_hazmat(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["hazmat"]["id"])
    wizard.through_reference("HAZMAT0001", [(1003, 1, "Default"), (1001, 1, "Default")])
    items = wizard.get("items").text  # seed 001: whatever is asked, such items are disposed
    assert "Not eligible for return (hazardous materials): always disposed" in items
    page = wizard.get("label").text
    assert (
        "Homeward cannot buy a label for this return" in page
        and "DG/hazmat items cannot travel on a purchased label" in page
    )
    for label in (
        {"label.type": "Optimized"},
        {"label.type": "CarrierSpecific", "label.carrier_service": "UPS|Ground"},
    ):
        refused = wizard.post("label", label)
        assert refused.status_code == 422
        assert "DG/hazmat items cannot travel on a purchased label" in _errors_beside(
            refused.text, "label.type"
        )
        assert f'value="{label["label.type"]}" checked' in refused.text
    assert wizard.post("label", {"label.type": "Prepaid"}).headers["location"] == wizard.url("review")


def test_purchased_labels_are_refused_to_another_country(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.through_reference("ABROAD0001", [(1001, 1, "Default")], fc=3)  # Toronto; the customer is in the US
    refused = wizard.post("label", {"label.type": "Optimized"})
    assert refused.status_code == 422
    assert "labels are only bought within one country" in _errors_beside(refused.text, "label.type")


def test_carrier_services_show_prices_and_refusals(merchant: TestClient, demo: dict[str, Any]) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.through_reference("CARRIER0001", [(1001, 2, "Default")])
    page = wizard.get("label").text
    assert re.search(r"UPS Ground</span>\s*<span class=\"price\">\$\d+\.\d\d", page)
    assert "UPS Standard</span>" in page and "does not serve US" in page
    unchosen = wizard.post("label", {"label.type": "CarrierSpecific"})
    assert _errors_beside(unchosen.text, "label.carrier_service").strip() == (
        "choose the carrier and service that will carry the package"
    )
    wrong = wizard.post("label", {"label.type": "CarrierSpecific", "label.carrier_service": "UPS|Standard"})
    assert "UPS Standard may not carry this parcel" in _errors_beside(wrong.text, "label.carrier_service")
    unknown = wizard.post("label", {"label.type": "Teleport"})
    assert "choose Prepaid, Optimized or Carrier specific" in _errors_beside(unknown.text, "label.type")
    chosen = wizard.post("label", {"label.type": "CarrierSpecific", "label.carrier_service": "UPS|Ground"})
    assert chosen.headers["location"] == wizard.url("review")


def test_review_then_submit_creates_one_return_the_api_shows(
    merchant: TestClient, demo: dict[str, Any]
) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.through_reference("WIZARD0001", [(1001, 2, "Default"), (1002, 1, "Dispose")])
    wizard.post("label", {"label.type": "CarrierSpecific", "label.carrier_service": "UPS|Ground"})
    review = wizard.get("review")
    assert review.status_code == 200
    assert review.text.count('<span class="check" aria-hidden="true">✓</span>') == 4
    for step in ("items", "destination", "reference", "label"):
        assert f'href="{wizard.url(step)}">Edit' in review.text
    assert "WIZARD0001" in review.text and "Default (Restock)" in review.text and "UPS Ground" in review.text

    submitted = wizard.post("submit", {})
    assert submitted.status_code == 303
    created = _api_returns(merchant, demo, ReferenceIds="WIZARD0001")
    assert len(created) == 1
    body = created[0]
    assert submitted.headers["location"] == f"/returns/{body['id']}"
    assert body["original_shipment_id"] == wizard.shipment_id and body["fulfillment_center"]["id"] == 1
    assert body["channel"]["id"] == demo["channel_id"] and body["store_order_id"] == "ACME-1001"
    assert {(i["id"], i["quantity"], i["action_requested"]["action"]) for i in body["inventory"]} == {
        (1001, 2, "Restock"),
        (1002, 1, "Dispose"),
    }
    assert body["label"]["type"] == "CarrierSpecific" and body["label"]["carrier"] == "UPS"
    assert body["tracking_number"] == body["label"]["tracking_number"]
    flashed = merchant.get("/orders").text  # the message waits for the next page (the return's)
    assert "Return WIZARD0001 created" in flashed and "Label bought: UPS Ground" in flashed

    # The draft is gone: submitting again creates nothing more.
    again = wizard.post("submit", {})
    assert again.status_code == 303 and again.headers["location"].startswith("/returns/new?shipment=")
    assert len(_api_returns(merchant, demo, ReferenceIds="WIZARD0001")) == 1
    # And the shipment's units are taken: a new draft starts empty.
    wizard.start()
    emptied = wizard.get("items").text
    assert 'name="inventory[0].id"' not in emptied and "already on an open return" in emptied


def test_review_sends_back_to_a_step_that_no_longer_passes(
    merchant: TestClient, demo: dict[str, Any]
) -> None:
    wizard = Wizard(merchant, demo["shipments"]["lot"]["id"])
    wizard.through_reference("RACED0001", [(1005, 3, "Default")])
    wizard.post("label", {"label.type": "Prepaid"})
    # Meanwhile an API client files a return with the same RMA.
    made = merchant.post(
        "/2025-07/return",
        headers={"Authorization": f"Bearer {demo['token']}", "shipbob_channel_id": str(demo["channel_id"])},
        json={
            "reference_id": "RACED0001",
            "fulfillment_center": {"id": 1},
            "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
        },
    )
    assert made.status_code == 201, made.text
    back = wizard.get("review")
    assert back.headers["location"] == wizard.url("reference")
    page = wizard.get("reference").text
    assert "already used by another return" in _errors_beside(page, "reference_id")
    assert wizard.post("submit", {}).headers["location"] == wizard.url("reference")
    assert len(_api_returns(merchant, demo, ReferenceIds="RACED0001")) == 1


def test_another_merchants_shipment_cannot_be_drafted(merchant: TestClient, demo: dict[str, Any]) -> None:
    other = demo["other_shipment"]["id"]
    assert merchant.get(f"/returns/new?shipment={other}").status_code == 404
    wizard = Wizard(merchant, other)
    assert wizard.get("items").status_code == 404
    assert wizard.post("items", {"action": "done"}).status_code == 404
    assert merchant.get("/returns/new?shipment=abc").status_code == 400
    assert merchant.get("/returns/new").status_code == 400
    assert merchant.get("/returns/new/99999999999999/items").status_code == 400


def test_a_step_posted_without_its_csrf_token_changes_nothing(
    merchant: TestClient, demo: dict[str, Any]
) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.start()
    forged = merchant.post(
        wizard.url("items"),
        data={"action": "done", "inventory[0].id": 1001, "inventory[0].quantity": "1"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert wizard.get("destination").headers["location"] == wizard.url("items")
    assert _value_of(wizard.get("items").text, "inventory[0].quantity") == "2"


def test_editing_a_section_from_the_review_comes_back_to_it(
    merchant: TestClient, demo: dict[str, Any]
) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.through_reference("EDITED0001", [(1001, 1, "Default")])
    wizard.post("label", {"label.type": "Optimized"})
    assert wizard.get("review").status_code == 200
    # Moving the return to Canada: Done goes back to the review, which finds the label no longer fits.
    moved = wizard.post("destination", {"fulfillment_center.id": 3})
    assert moved.headers["location"] == wizard.url("review")
    assert wizard.get("review").headers["location"] == wizard.url("label")
    page = wizard.get("label").text
    assert "labels are only bought within one country" in _errors_beside(page, "label.type")
    assert wizard.post("label", {"label.type": "Prepaid"}).headers["location"] == wizard.url("review")
    assert "Toronto (ON)" in wizard.get("review").text


def test_two_submits_at_once_create_one_return(
    merchant: TestClient, database_url: str, demo: dict[str, Any]
) -> None:
    wizard = Wizard(merchant, demo["shipments"]["regular"]["id"])
    wizard.through_reference("TWICE00001", [(1001, 1, "Default")])
    wizard.post("label", {"label.type": "Prepaid"})
    second_tab = TestClient(create_app(database_url))  # the same browser session, another connection
    second_tab.cookies = merchant.cookies
    token = merchant.cookies["homeward_csrf"]

    def submit(client: TestClient) -> Any:
        return client.post(wizard.url("submit"), data={"csrftoken": token}, follow_redirects=False)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(submit, [merchant, second_tab]))
    assert all(a.status_code == 303 for a in answers)
    assert len(_api_returns(merchant, demo, ReferenceIds="TWICE00001")) == 1
    assert sum(bool(re.fullmatch(r"/returns/\d+", a.headers["location"])) for a in answers) == 1

"""The whole create-return wizard in a real browser: from the order page to the new return, with a
refused RMA and a refused label type on the way, and a screenshot of every step."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import PHONE, assert_accessible, screenshot, sign_in


def test_create_a_return_from_an_order(
    page: Page, served: tuple[str, dict[str, Any]], request: pytest.FixtureRequest
) -> None:
    base, demo = served
    backend = request.node.callspec.params["served"]
    shipment = demo["shipments"]["hazmat"]["id"]
    sign_in(page, base, demo["web_users"]["merchant"]["email"], demo["web_users"]["merchant"]["password"])

    # Orders: find the order by its tracking number, open it.
    page.goto(f"{base}/orders")
    screenshot(page, f"orders-list-{backend}")
    page.get_by_label("Search orders").fill(demo["shipments"]["hazmat"]["tracking_number"])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="ACME-1002").click()
    expect(page.get_by_role("heading", name="Order ACME-1002")).to_be_visible()
    screenshot(page, f"orders-detail-{backend}")
    assert_accessible(page)

    # An order that has not shipped: the action is there, greyed out, with the reason.
    page.goto(f"{base}/orders/5005")
    expect(page.get_by_text("This shipment has not shipped yet (status Processing)")).to_be_visible()
    expect(page.get_by_role("link", name="Create Return")).to_have_attribute("aria-disabled", "true")
    screenshot(page, f"orders-detail-unshipped-{backend}")
    assert_accessible(page)
    page.go_back()

    # 1. Items: pre-filled with what shipped; the tee gets an override.
    page.get_by_role("link", name="Create Return").click()
    expect(page).to_have_url(f"{base}/returns/new/{shipment}/items")
    expect(page.get_by_label("Return quantity of Aerosol Screen Cleaner")).to_have_value("1")
    expect(page.get_by_label("Return quantity of Classic Tee (M)")).to_have_value("1")
    page.get_by_label("Return action for Classic Tee (M)").select_option("Quarantine")
    page.get_by_label("Search your products").fill("mug")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("A bundle comes back as its items")).to_be_visible()  # the gift set holds a mug
    screenshot(page, f"wizard-items-search-{backend}")
    assert_accessible(page)
    # A product that was not on this shipment is refused beside its row, then removed.
    page.get_by_role("button", name="Add Ceramic Mug 12oz").first.click()
    page.get_by_role("button", name="Done", exact=True).click()
    expect(page.locator('[id="inventory[2].id-errors"]')).to_contain_text("is not on shipment")
    expect(page.get_by_label("Return action for Classic Tee (M)")).to_have_value("Quarantine")
    screenshot(page, f"wizard-items-refused-{backend}")
    page.get_by_role("button", name="Remove Ceramic Mug 12oz").click()
    expect(page.get_by_label("Return quantity of Ceramic Mug 12oz")).to_have_count(0)
    page.set_viewport_size(PHONE)
    screenshot(page, f"wizard-items-phone-{backend}")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Done", exact=True).click()

    # 2. Destination: the center it shipped from.
    expect(page.get_by_label("Fulfillment center")).to_have_value("1")
    screenshot(page, f"wizard-destination-{backend}")
    page.get_by_role("button", name="Done").click()

    # 3. Reference: too short for the dashboard, then generated.
    page.get_by_label("Reference ID (RMA)").fill("RMA12")
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#reference_id-errors")).to_contain_text("must be at least 8 characters")
    expect(page.get_by_label("Reference ID (RMA)")).to_have_value("RMA12")
    screenshot(page, f"wizard-reference-refused-{backend}")
    assert_accessible(page)
    page.get_by_role("button", name="Generate one for me").click()
    rma = page.get_by_label("Reference ID (RMA)").input_value()
    assert re.fullmatch(r"RMA[A-Z2-9]{10}", rma)
    screenshot(page, f"wizard-reference-{backend}")
    page.get_by_role("button", name="Done").click()

    # 4. Label: a purchased label is refused for the hazmat cleaner; Prepaid is the advice.
    expect(page.get_by_text("DG/hazmat items cannot travel on a purchased label").first).to_be_visible()
    page.get_by_label("Homeward optimized label").check()
    page.get_by_role("button", name="Done").click()
    expect(page.locator('[id="label.type-errors"]')).to_contain_text("DG/hazmat items cannot travel")
    expect(page.get_by_label("Homeward optimized label")).to_be_checked()
    screenshot(page, f"wizard-label-refused-{backend}")
    assert_accessible(page)
    page.get_by_label("Prepaid label").check()
    page.get_by_role("button", name="Done").click()

    # 5. Review: every step checked, each with Edit.
    expect(page).to_have_url(f"{base}/returns/new/{shipment}/review")
    expect(page.locator(".review-section .check")).to_have_count(4)
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(4)
    expect(page.get_by_text(rma)).to_be_visible()
    screenshot(page, f"wizard-review-{backend}")
    assert_accessible(page)

    # 6. Submit: the new return's page, and the message saying so (shown once).
    page.get_by_role("button", name="Submit Return").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(base)}/returns/\d+$"))
    screenshot(page, f"wizard-submitted-{backend}")
    landing = page.content()
    page.goto(f"{base}/orders")
    assert (landing + page.content()).count(f"Return {rma} created.") == 1

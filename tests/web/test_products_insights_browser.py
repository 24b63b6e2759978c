"""Products and Insights in a real browser: the flagged list, an edit refused then saved, a CSV
refused line by line then applied, and the insights charts on a small data set."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.browser import PHONE, assert_accessible, screenshot, sign_in
from tests.web.test_insights_pages import build_returns

BAD_CSV = (
    b"sku,return_action,backup_action,min_shelf_life_days\n"
    b"TEE-CLASSIC-M,Quarantine,Dispose,0\n"
    b"EARBUDS-WL,Recycle,Dispose,0\n"
    b"MUG-CERAMIC-12,Quarantine,Restock,-1\n"
)
GOOD_CSV = (
    b"sku,return_action,backup_action\nTEE-CLASSIC-M,Quarantine,Dispose\nEARBUDS-WL,Restock,Quarantine\n"
)


def test_products_and_insights(
    page: Page, served: tuple[str, dict[str, Any]], request: pytest.FixtureRequest
) -> None:
    base, demo = served
    backend = request.node.callspec.params["served"]
    login = demo["web_users"]["merchant"]
    sign_in(page, base, login["email"], login["password"])

    page.goto(f"{base}/products")
    expect(page.locator(".unset-warning")).to_contain_text("2 products have no return preferences.")
    screenshot(page, f"products-list-{backend}")
    assert_accessible(page)

    page.get_by_role("link", name="EARBUDS-WL").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("EARBUDS-WL")
    page.get_by_label("Return preference").select_option("Quarantine")
    page.get_by_label("Inspection step 1").fill("case sealed")
    page.get_by_label("Minimum shelf life (days)").fill("-5")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("#min_shelf_life_days-errors")).to_contain_text("must be between 0 and 3650 days")
    expect(page.get_by_label("Inspection step 1")).to_have_value("case sealed")  # kept
    expect(page.get_by_label("Return preference")).to_have_value("Quarantine")
    screenshot(page, f"products-edit-error-{backend}")
    assert_accessible(page)
    page.get_by_label("Minimum shelf life (days)").fill("0")
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text("Return preferences of EARBUDS-WL saved.")

    page.goto(f"{base}/products")
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "preferences.csv", "mimeType": "text/csv", "buffer": BAD_CSV}]
    )
    page.get_by_role("button", name="Upload and apply").click()
    errors = page.locator(".upload-errors")
    expect(errors).to_contain_text("line 3: return_action: must be one of Restock, Quarantine, Dispose")
    expect(errors).to_contain_text("line 4: backup_action: must be Quarantine or Dispose")
    expect(errors).to_contain_text("line 4: min_shelf_life_days: must be between 0 and 3650 days")
    errors.scroll_into_view_if_needed()
    screenshot(page, f"products-csv-refused-{backend}")
    assert_accessible(page)
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "preferences.csv", "mimeType": "text/csv", "buffer": GOOD_CSV}]
    )
    page.get_by_role("button", name="Upload and apply").click()
    expect(page.get_by_role("status")).to_contain_text("2 products updated from preferences.csv.")
    expect(page.locator(".unset-warning")).to_have_count(0)  # every product is now configured
    screenshot(page, f"products-csv-applied-{backend}")

    with httpx.Client(base_url=base, timeout=30) as api:
        build_returns(api, demo)
    page.goto(f"{base}/insights")
    expect(page.locator('[data-figure="returns"]')).to_have_text("4")
    expect(page.get_by_role("img", name="Returns per reason")).to_be_visible()
    screenshot(page, f"insights-{backend}")
    assert_accessible(page)
    page.set_viewport_size(PHONE)
    screenshot(page, f"insights-phone-{backend}")
    page.get_by_role("link", name="Last 7 days").click()
    page.goto(f"{base}/insights?from=2001-01-01&to=2001-01-31")
    expect(page.locator(".no-returns")).to_contain_text("No returns in this period.")
    screenshot(page, f"insights-empty-{backend}")
    assert_accessible(page)

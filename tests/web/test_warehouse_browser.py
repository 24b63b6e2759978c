"""Warehouse staff in a real browser: scan a package (a miss, then its RMA), inspect it with a photo
taken on the device, see it Completed, and find its quarantined unit; on a desktop and a phone."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import requests
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.builders import merchant_headers, return_body
from tests.web.browser import PHONE, assert_accessible, screenshot, sign_in


def jpeg() -> bytes:
    """A small real JPEG, as a phone camera would hand the browser."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (190, 90, 40)).save(buffer, format="JPEG")
    return buffer.getvalue()


def test_scan_inspect_with_a_photo_and_release_from_quarantine(
    page: Page, browser: Browser, served: tuple[str, dict[str, Any]], request: pytest.FixtureRequest
) -> None:
    base, demo = served
    backend = request.node.callspec.params["served"]
    body = return_body(demo, reference_id="BROWSER-RMA-1", tracking_number="1ZBROWSERRMA1")
    created = requests.post(f"{base}/2025-07/return", json=body, headers=merchant_headers(demo), timeout=30)
    assert created.status_code == 201, created.text
    return_id = created.json()["id"]
    login = demo["web_users"]["warehouse"]["1"]
    sign_in(page, base, login["email"], login["password"])
    expect(page).to_have_url(f"{base}/receive")

    scan = page.get_by_label("Scan or type an RMA or tracking number")
    expect(scan).to_be_focused()
    scan.fill("NO-SUCH-PARCEL")
    scan.press("Enter")
    expect(page.locator("#barcode-errors")).to_have_text(
        "No return or outbound shipment matches 'NO-SUCH-PARCEL'"
    )
    expect(scan).to_be_focused()  # the next scan can follow at once
    screenshot(page, f"warehouse-receive-miss-{backend}")

    scan.fill("BROWSER-RMA-1")  # a scanner types over the selected code
    scan.press("Enter")
    result = page.get_by_role("status").filter(has_text="Received")
    expect(result).to_contain_text("Received: RMA BROWSER-RMA-1")
    expect(result).to_contain_text("Acme Outfitters")
    expect(scan).to_be_focused()
    expect(scan).to_have_value("")
    screenshot(page, f"warehouse-receive-hit-{backend}")
    assert_accessible(page)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inspect").click()
    expect(page.get_by_role("row").filter(has_text="BROWSER-RMA-1")).to_contain_text("3 of 3")
    screenshot(page, f"warehouse-inspect-list-{backend}")
    page.get_by_role("link", name="Inspect RMA BROWSER-RMA-1").click()
    expect(page).to_have_url(f"{base}/inspect/{return_id}")
    expect(page.locator("#outcome-0")).to_contain_text("Restock")
    page.locator("#unit-0").get_by_label("Damaged").check()
    expect(page.locator("#outcome-0")).to_contain_text("Dispose")  # shown before saving (htmx)
    expect(page.locator("#outcome-0")).to_contain_text("Damaged: backup action")
    page.locator("#unit-0").get_by_label("Photo").set_input_files(
        files=[{"name": "damage.jpg", "mimeType": "image/jpeg", "buffer": jpeg()}]
    )
    page.locator("#unit-0").get_by_label("Note (optional)").fill("torn seam")
    page.locator("#unit-2").get_by_label("no chips or cracks").check()
    expect(page.locator("#decision-summary")).to_contain_text("If saved now")
    screenshot(page, f"warehouse-inspect-preview-{backend}")
    assert_accessible(page)

    page.get_by_role("button", name="Save inspection").click()
    expect(page.get_by_role("status").first).to_contain_text("Recorded 3 unit(s) of RMA BROWSER-RMA-1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Completed")
    photo = page.get_by_role("img", name=re.compile("Photo of 1 unit"))
    expect(photo).to_be_visible()
    # The photo comes back from the store: the page shows the 64-pixel-wide JPEG that was uploaded.
    page.wait_for_function("() => [...document.images].some(i => i.complete && i.naturalWidth === 64)")
    expect(page.get_by_text("Damaged: backup action. Inspector: torn seam")).to_be_visible()
    screenshot(page, f"warehouse-inspect-completed-{backend}")
    assert_accessible(page)

    page.get_by_role("link", name="Quarantine").click()
    row = page.get_by_role("row").filter(has_text="BROWSER-RMA-1")
    expect(row).to_contain_text("Ceramic Mug 12oz")
    screenshot(page, f"warehouse-quarantine-{backend}")
    assert_accessible(page)
    row.get_by_label("To").select_option("Dispose")
    row.get_by_role("button", name="Release").click()
    expect(page.get_by_role("status").first).to_contain_text("Released 1 unit(s) of item #1002")
    expect(page.get_by_role("row").filter(has_text="BROWSER-RMA-1")).to_have_count(0)

    other = return_body(demo, reference_id="BROWSER-RMA-2", original_shipment_id=None, tracking_number=None)
    second = requests.post(f"{base}/2025-07/return", json=other, headers=merchant_headers(demo), timeout=30)
    assert second.status_code == 201, second.text
    phone = browser.new_context(viewport=PHONE, is_mobile=True)
    small = phone.new_page()
    sign_in(small, base, login["email"], login["password"])
    small.get_by_label("Scan or type an RMA or tracking number").fill("BROWSER-RMA-2")
    small.get_by_role("button", name="Receive").click()
    expect(small.get_by_role("status").filter(has_text="Received")).to_contain_text("Arrived")
    screenshot(small, f"warehouse-receive-phone-{backend}")
    small.get_by_role("link", name="Inspect RMA BROWSER-RMA-2").click()
    expect(small.locator("#outcome-2")).to_contain_text("Quarantine")
    screenshot(small, f"warehouse-inspect-phone-{backend}")
    small.get_by_role("link", name="Close as short…").click()
    expect(small.get_by_role("heading", level=1)).to_have_text("Close RMA BROWSER-RMA-2 as short?")
    small.get_by_label("Why are they missing? (optional)").fill("empty box")
    screenshot(small, f"warehouse-close-phone-{backend}")
    small.get_by_role("button", name="Yes, close as short").click()
    expect(small.get_by_role("status").first).to_contain_text(
        "RMA BROWSER-RMA-2 is closed: 3 unit(s) recorded short."
    )
    expect(small.get_by_role("heading", level=1)).to_contain_text("Completed")
    phone.close()

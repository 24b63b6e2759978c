"""The merchant's Returns pages in a real browser: the list, a completed return with its photo,
and, on a phone-sized screen, an edit refused then accepted and a cancel with its confirmation."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from tests.web.browser import PHONE, screenshot, sign_in
from tests.web.returns_flow import complete_with_photo, create


def _photo() -> bytes:
    """A small JPEG of a stained tee, so the page shows a real thumbnail."""
    image = Image.new("RGB", (480, 360), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(120, 40), (360, 40), (440, 120), (380, 150), (380, 330), (100, 330), (100, 150), (40, 120)],
        fill=(37, 99, 235),
    )
    draw.ellipse((210, 170, 290, 240), fill=(120, 72, 36))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def _complete_with_photo(api: httpx.Client, demo: dict[str, Any], created: dict[str, Any]) -> None:
    complete_with_photo(api, demo, created, ("stain.jpg", _photo(), "image/jpeg"))


def _backend(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["served"])


def test_list_and_a_completed_return_with_its_photo(
    page: Page, served: tuple[str, dict[str, Any]], request: pytest.FixtureRequest
) -> None:
    base, demo = served
    backend = _backend(request)
    with httpx.Client(base_url=base) as api:
        done = create(api, demo, "RMA-WEB-DONE", tracking_number="1ZWEBDONE")
        _complete_with_photo(api, demo, done)
        create(api, demo, "RMA-WEB-LOT", case="lot", tracking_number="1ZWEBLOT")
        create(api, demo, "RMA-WEB-LABEL", case="bundle", tracking_number=None, label={"type": "Optimized"})

    login = demo["web_users"]["merchant"]
    sign_in(page, base, login["email"], login["password"])
    expect(page).to_have_url(f"{base}/returns")
    rows = page.locator("table.returns tbody tr")
    expect(rows).to_have_count(3)
    screenshot(page, f"returns-list-{backend}")

    page.get_by_role("link", name="Completed").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("RMA-WEB-DONE")
    page.get_by_role("link", name="All", exact=False).first.click()
    page.get_by_label("Search").fill("1ZWEBLOT")
    page.get_by_label("Search").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("RMA-WEB-LOT")
    expect(page.get_by_label("Search")).to_have_value("1ZWEBLOT")  # kept in the form and the URL
    assert "q=1ZWEBLOT" in page.url

    page.goto(f"{base}/returns/{done['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Return RMA-WEB-DONE")
    expect(page.locator(".page-head .badge")).to_have_text("Completed")
    photo = page.get_by_role("img", name="Inspection photo of")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.complete && img.naturalWidth") == 480  # the real photo loaded
    expect(page.get_by_text("Invoice total")).to_be_visible()
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    screenshot(page, f"returns-detail-completed-{backend}")

    with page.expect_response(lambda r: "/photos/" in r.url) as opened:
        page.get_by_title("Open the full photo").click()
    assert opened.value.status == 200 and opened.value.headers["content-type"] == "image/jpeg"


def test_on_a_phone_edit_is_refused_then_saved_and_cancel_asks_first(
    browser: Browser, served: tuple[str, dict[str, Any]], request: pytest.FixtureRequest
) -> None:
    base, demo = served
    backend = _backend(request)
    with httpx.Client(base_url=base) as api:
        done = create(api, demo, "RMA-PHONE-DONE", case="bundle")
        _complete_with_photo(api, demo, done)
        editable = create(api, demo, "RMA-PHONE-EDIT", tracking_number="1ZPHONE")
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    login = demo["web_users"]["merchant"]
    sign_in(page, base, login["email"], login["password"])
    expect(page.locator("table.returns tbody tr")).to_have_count(2)
    screenshot(page, f"returns-list-phone-{backend}")
    page.goto(f"{base}/returns/{done['id']}")
    expect(page.get_by_role("img", name="Inspection photo of")).to_be_visible()
    screenshot(page, f"returns-detail-completed-phone-{backend}")

    page.goto(f"{base}/returns/{editable['id']}")
    page.get_by_role("link", name="Edit").click()
    quantity = page.locator("#qty-0")
    quantity.fill("40")
    page.get_by_label("Tracking number").fill("1ZPHONE-NEW")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#qty-0-errors")).to_contain_text("exceeds")
    expect(quantity).to_have_value("40")
    expect(page.get_by_label("Tracking number")).to_have_value("1ZPHONE-NEW")
    screenshot(page, f"returns-edit-refused-phone-{backend}")
    quantity.fill("1")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("status")).to_contain_text("was updated")
    expect(page.get_by_text("1ZPHONE-NEW").first).to_be_visible()

    page.get_by_role("link", name="Cancel return").click()
    expect(page.get_by_role("heading", name="Cancel this return?")).to_be_visible()
    screenshot(page, f"returns-cancel-confirm-phone-{backend}")
    page.get_by_role("button", name="Yes, cancel return").click()
    expect(page.get_by_role("status")).to_contain_text("was cancelled")
    expect(page.locator(".page-head .badge")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel return")).to_have_count(0)
    context.close()

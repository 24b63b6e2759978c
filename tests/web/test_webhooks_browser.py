"""Settings → Webhooks in a real browser: the delivery log of a subscription, and a delivery
replayed from it (the receiver gets the same event id a second time)."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from homeward.db import Database
from tests import support
from tests.builders import merchant_headers, return_body
from tests.events.test_webhooks import HOOKS, drain, fast_worker
from tests.web.browser import assert_accessible, screenshot, sign_in
from tests.webhook_receiver import webhook_receiver


@pytest.mark.usefixtures("allow_private")  # set before the server starts: its receiver is on loopback
@pytest.mark.parametrize("backend", support.BACKENDS)
def test_a_merchant_reads_the_delivery_log_and_replays_a_delivery(page: Page, backend: str) -> None:
    with (
        support.demo_database(backend) as (url, demo),
        support.live_server(url) as base,
        webhook_receiver() as receiver,
        httpx.Client(base_url=base, headers=merchant_headers(demo), timeout=30) as api,
    ):
        created = api.post(HOOKS, json={"url": receiver.url, "topics": ["return.created"]})
        assert created.status_code == 201, created.text
        subscription = created.json()
        receiver.secret = subscription["secret"]
        made = api.post("/2025-07/return", json=return_body(demo, "regular", reference_id="BROWSER-HOOK-1"))
        assert made.status_code == 201, made.text
        db = Database(url)
        drain(fast_worker(db))
        [first] = receiver.accepted()

        login = demo["web_users"]["merchant"]
        sign_in(page, base, login["email"], login["password"])
        page.goto(f"{base}/settings/webhooks/{subscription['id']}")
        log = page.locator("table tbody tr")
        expect(log).to_have_count(1)
        expect(log.first).to_contain_text("return.created")
        expect(log.first).to_contain_text("delivered")
        screenshot(page, f"webhooks-log-{backend}")
        assert_accessible(page)

        page.get_by_role("button", name="Replay").click()
        expect(page.get_by_role("status")).to_contain_text("will be sent again")
        drain(fast_worker(db))
        page.reload()
        expect(log).to_have_count(2)
        expect(log.nth(0)).to_contain_text("#2 delivered")  # the replay: newest first, a delivery of its own
        expect(log.nth(1)).to_contain_text("#1 delivered")
        expect(page.get_by_role("button", name="Replay")).to_have_count(2)  # one per delivery
        screenshot(page, f"webhooks-log-replayed-{backend}")
        assert [r.event_id for r in receiver.accepted()] == [first.event_id] * 2
        assert all(r.signed for r in receiver.accepted())

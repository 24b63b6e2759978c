"""Fixtures for page tests: a demo server on each backend and a browser page per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests import support
from tests.web.browser import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture(params=support.BACKENDS)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, Any]]]:
    """A fresh demo database on each backend behind `homeward serve`: (base URL, demo data)."""
    with support.demo_server(request.param) as (base, demo):
        yield base, demo

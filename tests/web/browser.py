"""A real browser for page tests: Playwright driving Debian's chromium (never a downloaded one).

Screenshots go to HOMEWARD_SCREENSHOTS (default test-artifacts/screenshots); the run's summary
prints the folder so CI logs say where to look.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

CHROMIUM = os.environ.get("HOMEWARD_CHROMIUM", "/usr/bin/chromium")
# Flags for a sandboxed, offline machine: no sandbox as root, no calls home, no GPU.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(os.environ.get("HOMEWARD_SCREENSHOTS", "test-artifacts/screenshots")).resolve()
PHONE = {"width": 390, "height": 844}


def screenshot(page: Page, name: str) -> Path:
    """Save the whole page as `<name>.png` (name it after the page and the backend)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (re.sub(r"[^A-Za-z0-9_.-]+", "-", name) + ".png")
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def assert_accessible(page: Page) -> None:
    """axe-core (shipped inside axe-playwright-python) finds no WCAG 2.1 A/AA violation on the page."""
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
    )
    assert results.violations_count == 0, results.generate_report()

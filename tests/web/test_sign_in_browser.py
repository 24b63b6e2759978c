"""Signing in with a real browser, on a desktop and a phone-sized screen."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.web.browser import PHONE, assert_accessible, screenshot, sign_in


def test_sign_in_page_and_a_wrong_password(page: Page, served: tuple[str, dict[str, Any]]) -> None:
    base, demo = served
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login?next=/")
    screenshot(page, "login")
    assert_accessible(page)
    sign_in(page, base, demo["web_users"]["merchant"]["email"], "wrong password")
    expect(page.locator(".field-errors")).to_contain_text("the email or password is wrong")
    expect(page.get_by_label("Email")).to_have_value(demo["web_users"]["merchant"]["email"])
    screenshot(page, "login-wrong-password")


def test_sign_in_on_a_phone_then_sign_out(browser: Browser, served: tuple[str, dict[str, Any]]) -> None:
    base, demo = served
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    login = demo["web_users"]["merchant"]
    sign_in(page, base, login["email"], login["password"])
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    screenshot(page, "home-phone")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    context.close()

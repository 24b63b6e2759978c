"""The merchant's orders pages over HTTP: search, detail, the Create Return action, tenancy."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.web.session_http import sign_in


def _order_links(html: str) -> list[str]:
    return re.findall(r'<a href="/orders/\d+">([^<]+)</a>', html)


def test_orders_are_listed_newest_first_and_searched(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo["web_users"]["merchant"])
    listed = client.get("/orders")
    assert listed.status_code == 200
    assert _order_links(listed.text) == [f"ACME-100{n}" for n in range(6, 0, -1)]
    assert "GLOBEX-77" not in listed.text  # another merchant's order

    by_order = client.get("/orders", params={"q": "acme-1004"})
    assert _order_links(by_order.text) == ["ACME-1004"]
    by_tracking = client.get("/orders", params={"q": demo["shipments"]["hazmat"]["tracking_number"]})
    assert _order_links(by_tracking.text) == ["ACME-1002"]
    by_recipient = client.get("/orders", params={"q": "jordan"})
    assert len(_order_links(by_recipient.text)) == 6
    nothing = client.get("/orders", params={"q": "100%_"})
    assert _order_links(nothing.text) == [] and "No order matches" in nothing.text


def test_orders_search_survives_odd_input(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo["web_users"]["merchant"])
    assert client.get("/orders", params={"q": "x" * 900 + "\x00"}).status_code == 200
    assert client.get("/orders", params={"page": "999"}).status_code == 200  # past the end: the last page
    assert client.get("/orders", params={"page": "abc"}).status_code == 400
    assert client.get("/orders", params={"page": "0"}).status_code == 400


def test_order_detail_shows_shipment_lines_and_create_return(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["web_users"]["merchant"])
    detail = client.get("/orders/5001")
    assert detail.status_code == 200
    text = detail.text
    for expected in ("ACME-1001", "Classic Tee (M)", "TEE-CLASSIC-M", "Ceramic Mug 12oz", "$19.99", "$12.50"):
        assert expected in text
    assert f'href="/returns/new?shipment={demo["shipments"]["regular"]["id"]}"' in text

    lot = client.get("/orders/5004").text
    assert "LOT-2026-09" in lot and "Jun 30, 2027" in lot
    bundle = client.get("/orders/5003").text
    assert "in bundle Tee &amp; Mug Gift Set (GIFTSET-TEE-MUG)" in bundle
    serials = client.get("/orders/5006").text
    assert "830001, 830002" in serials


def test_create_return_is_disabled_with_the_reason_until_shipped(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo["web_users"]["merchant"])
    unshipped = demo["shipments"]["unshipped"]["id"]
    text = client.get("/orders/5005").text
    assert f"/returns/new?shipment={unshipped}" not in text
    assert 'aria-disabled="true"' in text
    assert "This shipment has not shipped yet (status Processing)" in text
    # Typing the wizard's address does not get round it.
    refused = client.get(f"/returns/new?shipment={unshipped}", follow_redirects=False)
    assert refused.status_code == 422 and "has not shipped yet" in refused.text


def test_another_merchants_order_is_not_found(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo["web_users"]["merchant"])
    assert client.get("/orders/6001").status_code == 404
    assert client.get("/orders/99999999").status_code == 404
    assert client.get("/orders/999999999999999999999").status_code == 400
    assert client.get("/orders/abc").status_code == 400
    sign_in(client, demo["web_users"]["other_merchant"])
    assert _order_links(client.get("/orders").text) == ["GLOBEX-77"]
    assert client.get("/orders/5001").status_code == 404


def test_orders_need_a_merchant_user(client: TestClient, demo: dict[str, Any]) -> None:
    assert client.get("/orders", follow_redirects=False).headers["location"] == "/login?next=/orders"
    sign_in(client, demo["web_users"]["warehouse"]["1"])
    assert client.get("/orders").status_code == 403

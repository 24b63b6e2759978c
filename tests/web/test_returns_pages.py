"""The merchant's Returns pages over HTTP, on both backends: list (tabs, filters, search, pages),
one return (timeline, items, photos, fees, label), edit and cancel while Awaiting Arrival."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from bench.seed import reference_id, seed_returns
from fastapi.testclient import TestClient

from homeward.kit.pagination import Cursor
from tests.builders import merchant_headers
from tests.warehouse.flow import PNG, arrive, create, shipbob, take_to
from tests.web.returns_flow import complete_with_photo

TEE = 1001
ROW_LINK = re.compile(r'<td data-label="RMA"><a href="/returns/(\d+)">([^<]+)</a>')
CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')


def sign_in(client: TestClient, demo: dict[str, Any], who: str = "merchant") -> None:
    login = demo["web_users"][who]
    token = CSRF.search(client.get("/login").text)
    assert token
    answer = client.post(
        "/login",
        data={"csrftoken": token.group(1), "email": login["email"], "password": login["password"]},
        follow_redirects=False,
    )
    assert answer.status_code == 303


def post(client: TestClient, path: str, data: dict[str, str] | None = None) -> Any:
    return client.post(
        path, data={"csrftoken": client.cookies["homeward_csrf"], **(data or {})}, follow_redirects=False
    )


def rmas(html: str) -> list[str]:
    """The RMAs the list shows, top to bottom."""
    return [unescape(rma) for _, rma in ROW_LINK.findall(html)]


def link(html: str, rel: str) -> str | None:
    found = re.search(rf'<a class="button" href="([^"]+)" rel="{rel}">', html)
    return unescape(found.group(1)) if found else None


def field_errors(html: str, field_id: str) -> str:
    found = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S)
    return unescape(found.group(1)) if found else ""


def three_returns(client: TestClient, demo: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """RMA-A awaiting arrival (regular order), RMA-B arrived (lot order), RMA-C cancelled."""
    made = {
        "RMA-A": create(client, demo, "RMA-A", tracking_number="1ZAAA"),
        "RMA-B": create(client, demo, "RMA-B", case="lot", tracking_number="1ZBBB"),
        "RMA-C": create(client, demo, "RMA-C", case="bundle", tracking_number="1ZCCC"),
    }
    take_to(client, demo, made["RMA-B"]["id"], "Arrived")
    cancelled = client.post(
        f"/2025-07/return/{made['RMA-C']['id']}:cancel",
        headers={"Authorization": f"Bearer {demo['token']}", "shipbob_channel_id": str(demo["channel_id"])},
    )
    assert cancelled.status_code == 200
    return made


def test_list_tabs_filters_and_search_narrow_the_list(client: TestClient, demo: dict[str, Any]) -> None:
    made = three_returns(client, demo)
    sign_in(client, demo)

    everything = client.get("/returns")
    assert everything.status_code == 200
    assert rmas(everything.text) == ["RMA-C", "RMA-B", "RMA-A"]  # newest first
    assert re.search(r'aria-current="page">All <span class="count">3</span>', everything.text)
    assert re.search(r"Arrived <span class=\"count\">1</span>", everything.text)

    assert rmas(client.get("/returns?status=AwaitingArrival").text) == ["RMA-A"]
    arrived = client.get("/returns?status=Arrived")
    assert rmas(arrived.text) == ["RMA-B"]
    assert 'aria-current="page">Arrived' in arrived.text
    assert rmas(client.get("/returns?status=Cancelled").text) == ["RMA-C"]
    assert rmas(client.get("/returns?status=Completed").text) == []

    # search: RMA, tracking number or store order id, each exact
    assert rmas(client.get("/returns?q=RMA-B").text) == ["RMA-B"]
    assert rmas(client.get("/returns?q=1ZCCC").text) == ["RMA-C"]
    order = made["RMA-A"]["store_order_id"]
    assert order and rmas(client.get("/returns", params={"q": order}).text) == ["RMA-A"]
    assert rmas(client.get("/returns?q=nothing-like-this").text) == []
    # the search and filters stay in the form, and combine with the tabs
    found = client.get("/returns?q=RMA-B&status=Cancelled")
    assert rmas(found.text) == [] and 'value="RMA-B"' in found.text

    lot_fc = made["RMA-B"]["fulfillment_center"]["id"]
    by_center = client.get(f"/returns?fc={lot_fc}")
    expected = sorted(r for r, body in made.items() if body["fulfillment_center"]["id"] == lot_fc)
    assert sorted(rmas(by_center.text)) == expected
    assert f'<option value="{lot_fc}" selected>' in by_center.text
    assert rmas(client.get("/returns?type=ReturnToSender").text) == []
    assert len(rmas(client.get("/returns?type=Regular").text)) == 3

    created = made["RMA-A"]["insert_date"][:10]
    assert len(rmas(client.get(f"/returns?from={created}&to={created}").text)) == 3
    assert rmas(client.get("/returns?from=2999-01-01").text) == []
    assert rmas(client.get("/returns?to=2000-01-01").text) == []


def test_list_pages_forward_and_back_by_keyset(
    client: TestClient, demo: dict[str, Any], database_url: str
) -> None:
    seed_returns(database_url, 2_000)
    sign_in(client, demo)

    seen: list[str] = []
    path: str | None = "/returns"
    pages = []
    while path:
        answer = client.get(path)
        assert answer.status_code == 200
        pages.append(path)
        seen += rmas(answer.text)
        path = link(answer.text, "next")
    assert seen == [reference_id(i) for i in range(1999, -1, -1)]  # every return once, newest first
    assert len(pages) == 40

    # back from the last page to the first, through Previous
    path, back = pages[-1], []
    while path:
        answer = client.get(path)
        back = rmas(answer.text) + back
        path = link(answer.text, "prev")
    assert back == seen

    # counts stop at the cap rather than counting every row
    assert '<span class="count">1,000+</span>' in client.get("/returns").text
    assert re.search(r"Processing <span class=\"count\">400</span>", client.get("/returns").text)
    # a filter keeps its pages: the Processing tab pages through Processing returns only
    processing = client.get("/returns?status=Processing")
    next_page = link(processing.text, "next")
    assert next_page and "status=Processing" in next_page and "cursor=" in next_page
    second = rmas(client.get(next_page).text)
    assert len(second) == 50 and all(int(r.removeprefix("SEED-")) % 5 == 2 for r in second)


def test_bad_query_values_get_a_400_page_naming_the_filter(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo)
    for query, field_id, says in [
        ("status=bogus", "status", "unknown status"),
        ("cursor=not-a-cursor", "cursor", "not valid"),
        ("fc=99999999999999", "fc", "fulfillment center"),
        ("fc=abc", "fc", "fulfillment center"),
        ("from=yesterday", "from", "must be a date"),
        ("from=2026-02-01&to=2026-01-01", "to", "before the start date"),
        ("type=Boat", "type", "unknown return type"),
    ]:
        answer = client.get(f"/returns?{query}")
        assert answer.status_code == 400, query
        assert "Some filters could not be understood" in answer.text
        assert says in field_errors(answer.text, field_id), query
    # a forged cursor whose id no column can hold is refused, by the page and by the API alike
    huge = Cursor(key=2**63).encode()
    answer = client.get(f"/returns?cursor={huge}")
    assert answer.status_code == 400 and "not valid" in field_errors(answer.text, "cursor")
    assert client.get(f"/2025-07/return?Cursor={huge}", headers=merchant_headers(demo)).status_code == 400
    assert client.get("/returns?q=" + "x" * 5000).status_code == 200
    assert client.get("/returns?q=%00").status_code == 200


def test_detail_shows_timeline_items_photos_fees_and_total(client: TestClient, demo: dict[str, Any]) -> None:
    made = create(client, demo, "RMA-DONE", tracking_number="1ZDONE")
    return_id = made["id"]
    complete_with_photo(client, demo, made, ("stain.png", PNG, "image/png"))
    body = shipbob(client, demo, return_id)
    assert body["status"] == "Completed"
    sign_in(client, demo)

    page = client.get(f"/returns/{return_id}")
    assert page.status_code == 200
    html = page.text
    assert "Return RMA-DONE</h1>" in html and 'badge-completed">Completed' in html
    history = client.get(f"/2025-07/return/{return_id}/statushistory", headers=merchant_headers(demo)).json()
    timeline = re.findall(r'class="badge badge-[^"]+">([^<]+)</span> <time', html)
    assert timeline == [event["status"] for event in history] and timeline[-1] == "Completed"
    for item in body["inventory"]:
        assert unescape(item["name"]) in unescape(html)
        for taken in item["action_taken"]:
            assert f'badge-{taken["action"].lower()}">{taken["action"]}' in html
    for t in body["transactions"]:
        assert f"${t['amount']:,.2f}" in html
    assert "Return processing fee" in html and "Return per unit fee" in html
    assert f"${body['invoice_amount']:,.2f}" in html and "Invoice total" in html
    # no edit or cancel once it has arrived
    assert f"/returns/{return_id}/edit" not in html and f"/returns/{return_id}/cancel" not in html

    [photo_path] = set(re.findall(r'<img class="photo" src="([^"]+)"', html))
    assert photo_path.startswith(f"/returns/{return_id}/photos/r{return_id}-")
    photo = client.get(photo_path)
    assert photo.status_code == 200 and photo.content == PNG and photo.headers["content-type"] == "image/png"
    key = photo_path.rsplit("/", 1)[1]
    # the key only opens the photo under its own return
    other = create(client, demo, "RMA-OTHER", case="lot")
    assert client.get(f"/returns/{other['id']}/photos/{key}").status_code == 404
    assert client.get(f"/returns/{return_id}/photos/..%2f..%2fetc%2fpasswd").status_code == 404
    assert (
        client.get(f"/returns/{return_id}/photos/r1-0123456789abcdef0123456789abcdef.png").status_code == 404
    )

    client.cookies.clear()
    sign_in(client, demo, "other_merchant")
    assert client.get(photo_path).status_code == 404
    assert client.get(f"/returns/{return_id}").status_code == 404


def test_another_merchants_return_is_a_404_page(client: TestClient, demo: dict[str, Any]) -> None:
    made = create(client, demo, "RMA-MINE")
    sign_in(client, demo, "other_merchant")
    for path in ("", "/edit", "/cancel", "/label.pdf"):
        answer = client.get(f"/returns/{made['id']}{path}")
        assert answer.status_code == 404, path
        assert "Not found" in answer.text
    assert post(client, f"/returns/{made['id']}/cancel").status_code == 404
    assert post(client, f"/returns/{made['id']}/edit", {"tracking_number": "X"}).status_code == 404
    assert "RMA-MINE" not in client.get("/returns").text
    assert client.get("/returns/99999999999").status_code == 400
    assert client.get("/returns/abc").status_code == 400
    assert shipbob(client, demo, made["id"])["status"] == "Awaiting Arrival"


def test_edit_refuses_more_than_shipped_beside_the_field_then_accepts(
    client: TestClient, demo: dict[str, Any]
) -> None:
    shipment = demo["shipments"]["regular"]
    made = create(client, demo, "RMA-EDIT", tracking_number="1ZOLD")
    return_id = made["id"]
    sign_in(client, demo)
    form = client.get(f"/returns/{return_id}/edit")
    assert form.status_code == 200 and 'value="1ZOLD"' in form.text
    count = len(shipment["inventory"])
    assert count >= 2, "the regular demo order has two products"

    too_many = {"tracking_number": "1ZNEW", "inventory[0].quantity": "99"}
    too_many |= {f"inventory[{n}].quantity": "1" for n in range(1, count)}
    refused = post(client, f"/returns/{return_id}/edit", too_many)
    assert refused.status_code == 422
    assert "exceeds" in field_errors(refused.text, "qty-0")
    assert 'value="99"' in refused.text and 'value="1ZNEW"' in refused.text  # what was typed stays

    not_a_number = post(client, f"/returns/{return_id}/edit", too_many | {"inventory[0].quantity": "two"})
    assert not_a_number.status_code == 400
    assert "whole number" in field_errors(not_a_number.text, "qty-0")
    zero = post(client, f"/returns/{return_id}/edit", too_many | {"inventory[0].quantity": "0"})
    assert zero.status_code == 400 and "greater than or equal to 1" in field_errors(zero.text, "qty-0")
    everything_removed = {f"inventory[{n}].remove": "1" for n in range(count)}
    empty = post(client, f"/returns/{return_id}/edit", everything_removed)
    assert empty.status_code == 400 and "inventory" in empty.text
    long_tracking = post(client, f"/returns/{return_id}/edit", too_many | {"tracking_number": "9" * 550})
    assert long_tracking.status_code == 400 and field_errors(long_tracking.text, "tracking_number")
    assert shipbob(client, demo, return_id)["tracking_number"] == "1ZOLD"  # nothing changed

    # remove the first item and return one unit of the second, with a new tracking number
    accepted = post(
        client,
        f"/returns/{return_id}/edit",
        {"tracking_number": "1ZNEW", "inventory[0].remove": "1", "inventory[0].quantity": "99"}
        | {f"inventory[{n}].quantity": "1" for n in range(1, count)},
    )
    assert accepted.status_code == 303 and accepted.headers["location"] == f"/returns/{return_id}"
    assert "was updated" in client.get(accepted.headers["location"]).text
    after = shipbob(client, demo, return_id)
    assert after["tracking_number"] == "1ZNEW"
    assert [(i["id"], i["quantity"]) for i in after["inventory"]] == [
        (item["id"], 1) for item in shipment["inventory"][1:]
    ]
    # once arrived, the edit page says why it cannot edit, and a posted edit is refused
    assert arrive(client, demo, "RMA-EDIT").status_code == 200
    assert "only returns Awaiting Arrival can be edited" in client.get(f"/returns/{return_id}/edit").text
    late = post(
        client, f"/returns/{return_id}/edit", {"tracking_number": "1ZLATE", "inventory[0].quantity": "1"}
    )
    assert late.status_code == 422 and "only returns Awaiting Arrival can be edited" in late.text
    assert shipbob(client, demo, return_id)["tracking_number"] == "1ZNEW"


def test_cancel_asks_first_then_cancels_and_is_refused_after_arrival(
    client: TestClient, demo: dict[str, Any]
) -> None:
    first = create(client, demo, "RMA-GO")
    second = create(client, demo, "RMA-STAY", case="lot")
    sign_in(client, demo)
    detail = client.get(f"/returns/{first['id']}").text
    assert f'href="/returns/{first["id"]}/cancel"' in detail

    confirm = client.get(f"/returns/{first['id']}/cancel")
    assert confirm.status_code == 200 and "Cancel this return?" in confirm.text
    assert shipbob(client, demo, first["id"])["status"] == "Awaiting Arrival"  # asking changes nothing

    done = post(client, f"/returns/{first['id']}/cancel")
    assert done.status_code == 303
    shown = client.get(done.headers["location"]).text
    assert "was cancelled" in shown and 'badge-cancelled">Cancelled' in shown
    assert shipbob(client, demo, first["id"])["status"] == "Cancelled"

    assert arrive(client, demo, "RMA-STAY").status_code == 200
    assert f"/returns/{second['id']}/cancel" not in client.get(f"/returns/{second['id']}").text
    refused = post(client, f"/returns/{second['id']}/cancel")
    assert refused.status_code == 422 and "cannot be cancelled" in unescape(refused.text)
    assert shipbob(client, demo, second["id"])["status"] == "Arrived"


def test_cancel_without_csrf_token_is_refused(client: TestClient, demo: dict[str, Any]) -> None:
    made = create(client, demo, "RMA-CSRF")
    sign_in(client, demo)
    answer = client.post(f"/returns/{made['id']}/cancel", follow_redirects=False)
    assert answer.status_code == 403
    assert shipbob(client, demo, made["id"])["status"] == "Awaiting Arrival"


def test_label_pdf_link_serves_the_bought_label(client: TestClient, demo: dict[str, Any]) -> None:
    bought = create(client, demo, "RMA-LABEL", tracking_number=None, label={"type": "Optimized"})
    prepaid = create(client, demo, "RMA-PREPAID", case="lot")
    sign_in(client, demo)
    html = client.get(f"/returns/{bought['id']}").text
    assert f'href="/returns/{bought["id"]}/label.pdf"' in html
    pdf = client.get(f"/returns/{bought['id']}/label.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "label.pdf" not in client.get(f"/returns/{prepaid['id']}").text
    assert client.get(f"/returns/{prepaid['id']}/label.pdf").status_code == 404


def test_pages_need_a_signed_in_merchant(client: TestClient, demo: dict[str, Any]) -> None:
    answer = client.get("/returns?status=Arrived", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")
    login = demo["web_users"]["warehouse"]["1"]
    token = CSRF.search(client.get("/login").text)
    assert token
    client.post(
        "/login", data={"csrftoken": token.group(1), "email": login["email"], "password": login["password"]}
    )
    assert client.get("/returns").status_code == 403


def test_a_bought_labels_tracking_number_stays_as_printed(client: TestClient, demo: dict[str, Any]) -> None:
    bought = create(client, demo, "RMA-LBL-EDIT", tracking_number=None, label={"type": "Optimized"})
    printed = bought["tracking_number"]
    sign_in(client, demo)
    form = client.get(f"/returns/{bought['id']}/edit").text
    assert re.search(
        rf'<input id="tracking_number" name="tracking_number" type="text" value="{printed}"[^>]*readonly',
        form,
    )
    quantities = {f"inventory[{n}].quantity": str(i["quantity"]) for n, i in enumerate(bought["inventory"])}

    refused = post(client, f"/returns/{bought['id']}/edit", {"tracking_number": "1ZMINE"} | quantities)
    assert refused.status_code == 422
    assert "tracking number of the bought label" in field_errors(refused.text, "tracking_number")
    kept = post(client, f"/returns/{bought['id']}/edit", {"tracking_number": printed} | quantities)
    assert kept.status_code == 303
    assert shipbob(client, demo, bought["id"])["tracking_number"] == printed

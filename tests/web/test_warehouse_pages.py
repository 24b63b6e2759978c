"""Warehouse pages over HTTP: receive by scan, inspect (preview, photos, save), close as short,
quarantine release; one center's staff never see another's returns; bad input is a 4xx, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.kit.clock import utcnow
from tests.warehouse.flow import PNG, arrive, balance, create, shipbob, taken

TEE, MUG, SERUM = 1001, 1002, 1005
HTMX = {"HX-Request": "true"}


def sign_in(client: TestClient, demo: dict[str, Any], fc: int = 1) -> None:
    login = demo["web_users"]["warehouse"][str(fc)]
    client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrftoken": client.cookies["homeward_csrf"],
            "email": login["email"],
            "password": login["password"],
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


def post(client: TestClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """A form post as a browser sends it: the CSRF token first."""
    body = {"csrftoken": client.cookies["homeward_csrf"], **(data or {})}
    return client.post(path, data=body, follow_redirects=False, **kwargs)


def text_of(html: str) -> str:
    """The page's words without tags, for assertions that read like what a person sees."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def field_errors(html: str, field_id: str) -> str:
    found = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S)
    return text_of(found.group(1)) if found else ""


def outcome(html: str, index: int) -> str:
    found = re.search(rf'<div class="outcome[^"]*" id="outcome-{index}"[^>]*>(.*?)</div>', html, re.S)
    assert found, f"no outcome box for unit {index}"
    return text_of(found.group(1))


def received(client: TestClient, demo: dict[str, Any], reference: str, **overrides: Any) -> int:
    """A return of the demo shipment (2 tees, 1 mug) created by API and scanned on the page."""
    created = create(client, demo, reference, tracking_number=f"1Z{reference}", **overrides)
    assert post(client, "/receive", {"barcode": reference}).status_code == 200
    return int(created["id"])


# --- receive ---------------------------------------------------------------------------------------


def test_scanning_an_rma_receives_the_return_and_says_what_it_is(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = create(client, demo, "WEBSCAN01", tracking_number="1ZWEBSCAN01")
    sign_in(client, demo)
    form = client.get("/receive")
    assert form.status_code == 200
    assert re.search(r'<input id="barcode" name="barcode"[^>]*autofocus', form.text)

    answer = post(client, "/receive", {"barcode": " WEBSCAN01 "})
    assert answer.status_code == 200
    page = text_of(answer.text)
    assert "Received: RMA WEBSCAN01 Arrived" in page
    assert "Acme Outfitters" in page and "Classic Tee (M)" in page and "Ceramic Mug 12oz" in page
    assert f'href="/inspect/{created["id"]}"' in answer.text
    assert re.search(r'name="barcode" type="text" value=""', answer.text)  # ready for the next scan
    assert shipbob(client, demo, created["id"])["status"] == "Arrived"

    again = post(client, "/receive", {"barcode": "1ZWEBSCAN01"}, headers=HTMX)  # the tracking label
    assert again.status_code == 200
    assert "<html" not in again.text and 'id="scan"' in again.text  # htmx swaps the scan area only
    assert "Received: RMA WEBSCAN01" in text_of(again.text)
    assert "Your latest scans" in again.text and again.text.count("WEBSCAN01") >= 2


def test_a_scan_that_matches_nothing_says_why_beside_the_field(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    answer = post(client, "/receive", {"barcode": "NOPE-4242"})
    assert answer.status_code == 404
    assert field_errors(answer.text, "barcode") == "No return or outbound shipment matches 'NOPE-4242'"
    assert 'value="NOPE-4242"' in answer.text and "Nothing was received" in answer.text

    swapped = post(client, "/receive", {"barcode": "NOPE-4242"}, headers=HTMX)
    assert swapped.status_code == 404 and "<html" not in swapped.text
    assert "No return or outbound shipment matches" in swapped.text

    blank = post(client, "/receive", {"barcode": "   "})
    assert blank.status_code == 400 and field_errors(blank.text, "barcode") == "A barcode is required"
    huge = post(client, "/receive", {"barcode": "9" * 5000})
    assert huge.status_code == 400 and "at most 500 characters" in field_errors(huge.text, "barcode")
    missing = post(client, "/receive", {})
    assert missing.status_code == 400


def test_rts_switch_turns_an_outbound_tracking_number_into_a_return_to_sender(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    tracking = demo["shipments"]["bundle"]["tracking_number"]
    answer = post(client, "/receive", {"barcode": tracking, "rts": "1"})
    assert answer.status_code == 200, text_of(answer.text)
    page = text_of(answer.text)
    assert "Received: RMA RTS-00007003 Arrived" in page and "Return to sender" in page
    assert re.search(r'name="rts" value="1" checked', answer.text)  # the switch stays on for the next scan


def test_another_centers_package_is_refused_at_the_scan(client: TestClient, demo: dict[str, Any]) -> None:
    create(client, demo, "WEBOTHER1", tracking_number="1ZWEBOTHER1")
    sign_in(client, demo, fc=2)
    answer = post(client, "/receive", {"barcode": "WEBOTHER1"})
    assert answer.status_code == 422
    assert "destined for fulfillment center 1, not 2" in field_errors(answer.text, "barcode")


# --- inspect ---------------------------------------------------------------------------------------


def test_the_waiting_list_shows_arrived_returns_of_this_center_newest_first(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    first = received(client, demo, "WEBLIST01")
    second = received(client, demo, "WEBLIST02", original_shipment_id=None)
    create(client, demo, "WEBLIST03", original_shipment_id=None)  # not arrived: not waiting
    page = client.get("/inspect").text
    assert page.index("WEBLIST02") < page.index("WEBLIST01") and "WEBLIST03" not in page
    assert f'href="/inspect/{first}"' in page and f'href="/inspect/{second}"' in page
    assert (
        post(client, f"/inspect/{first}", {"items[0].inventory_id": TEE, "items[0].record": "1"}).status_code
        == 303
    )
    after = text_of(client.get("/inspect").text)
    assert f"WEBLIST01 #{first} Acme Outfitters Customer return Processing 2 of 3" in after
    assert after.index("WEBLIST01") < after.index("WEBLIST02")  # worked on last: on top
    sign_in(client, demo, fc=2)
    assert "WEBLIST01" not in client.get("/inspect").text


def test_the_inspect_page_shows_instructions_steps_and_the_decided_action_before_saving(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBINSP01")
    page = client.get(f"/inspect/{return_id}")
    assert page.status_code == 200
    seen = text_of(page.text)
    assert "Merchant's instructions: Check for chips and cracks" in seen
    assert "no chips or cracks" in seen
    assert page.text.count('accept="image/*" capture="environment"') == 3  # 2 tees and a mug
    assert re.search(
        r'<form method="post" action="/inspect/\d+" enctype="multipart/form-data"[^>]*>\s*'
        r'<input type="hidden" name="csrftoken"',
        page.text,
    )
    assert outcome(page.text, 0).startswith("The rules decide Restock Item's return preference")
    assert outcome(page.text, 2).startswith("The rules decide Quarantine")


def test_preview_shows_what_damage_and_failed_steps_lead_to(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBPREV01")
    units = {
        "items[0].inventory_id": TEE,
        "items[0].record": "1",
        "items[0].damaged": "1",
        "items[1].inventory_id": TEE,
        "items[1].record": "1",
        "items[2].inventory_id": MUG,
        "items[2].record": "1",
        "items[2].steps.no chips or cracks": "1",
    }
    live = post(client, f"/inspect/{return_id}/preview", units, headers=HTMX)
    assert live.status_code == 200 and "<html" not in live.text
    assert 'id="outcome-0" hx-swap-oob="true"' in live.text
    assert outcome(live.text, 0) == "The rules decide Dispose Damaged: backup action"
    assert outcome(live.text, 1) == "The rules decide Restock Item's return preference"
    assert outcome(live.text, 2) == "The rules decide Quarantine Item's return preference"
    assert "If saved now: Dispose 1 Quarantine 1 Restock 1" in text_of(live.text)

    plain = post(client, f"/inspect/{return_id}/preview", units)  # no JavaScript: the whole page again
    assert plain.status_code == 200 and "<html" in plain.text
    assert outcome(plain.text, 0) == "The rules decide Dispose Damaged: backup action"
    assert re.search(r'name="items\[0\]\.damaged" value="1" checked', plain.text)  # what was ticked stays
    assert shipbob(client, demo, return_id)["status"] == "Arrived"  # a preview records nothing


def test_preview_of_a_lot_unit_judges_its_expiry_and_asks_for_its_lot(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    tracking = demo["shipments"]["lot"]["tracking_number"]
    assert post(client, "/receive", {"barcode": tracking, "rts": "1"}).status_code == 200
    return_id = int(client.get("/inspect").text.split('href="/inspect/', 2)[1].split('"')[0])
    page = client.get(f"/inspect/{return_id}")
    assert "It was shipped from lot LOT-2026-09" in text_of(page.text)
    soon = (utcnow() + timedelta(days=30)).date().isoformat()
    units = {
        "items[0].inventory_id": SERUM,
        "items[0].record": "1",
        "items[0].lot_number": "LOT-2026-09",
        "items[0].expiration_date": soon,
        "items[0].steps.seal intact": "1",
        "items[0].steps.expiry checked": "1",
        "items[1].inventory_id": SERUM,
        "items[1].record": "1",
        "items[2].inventory_id": SERUM,
        "items[2].record": "1",
        "items[2].expiration_date": "31/12/2027",
    }
    answer = post(client, f"/inspect/{return_id}/preview", units, headers=HTMX)
    assert outcome(answer.text, 0).startswith("The rules decide Dispose Lot expires on")
    assert "within the 90-day minimum shelf life: backup action" in outcome(answer.text, 0)
    assert "Lot number: is required for a lot-tracked item" in outcome(answer.text, 1)
    assert "Expiry date: must be a date, like 2027-06-30" in outcome(answer.text, 2)


def test_saving_an_inspection_with_a_photo_completes_the_return(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBSAVE01")
    units = {
        "items[0].inventory_id": TEE,
        "items[0].record": "1",
        "items[0].damaged": "1",
        "items[0].reason": "stained",
        "items[1].inventory_id": TEE,
        "items[1].record": "1",
        "items[2].inventory_id": MUG,
        "items[2].record": "1",
        "items[2].steps.no chips or cracks": "1",
    }
    photo = {
        "items[0].photo": ("stain.png", PNG, "image/png"),
        "items[1].photo": ("", b"", "application/octet-stream"),
    }
    answer = post(client, f"/inspect/{return_id}", units, files=photo)
    assert answer.status_code == 303, text_of(answer.text)
    done = client.get(answer.headers["location"])
    seen = text_of(done.text)
    assert (
        "Recorded 3 unit(s) of RMA WEBSAVE01: 1 Dispose, 1 Quarantine, 1 Restock. The return is Completed."
        in seen
    )
    assert "RMA WEBSAVE01 Completed" in seen and "Damaged: backup action. Inspector: stained" in seen
    [key] = re.findall(r'<img class="photo" src="/warehouse/v1/photos/([^"]+)"', done.text)
    assert client.get(f"/warehouse/v1/photos/{key}").content == PNG

    late = post(client, f"/inspect/{return_id}/preview", units)  # a second inspector, too late
    assert late.status_code == 200
    assert f"Return {return_id} cannot be inspected: it is 'Completed'" in text_of(late.text)
    assert "This return is completed" in text_of(late.text)

    body = shipbob(client, demo, return_id)
    assert body["status"] == "Completed"
    assert taken(body, TEE) == [("Dispose", 1), ("Restock", 1)] and taken(body, MUG) == [("Quarantine", 1)]
    assert balance(client, demo, MUG)["quarantine"] == 1


def test_a_refused_save_keeps_what_was_typed_and_says_why_beside_the_field(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    tracking = demo["shipments"]["lot"]["tracking_number"]
    assert post(client, "/receive", {"barcode": tracking}).status_code == 200
    return_id = int(client.get("/inspect").text.split('href="/inspect/', 2)[1].split('"')[0])
    units = {
        "items[0].inventory_id": SERUM,
        "items[0].record": "1",
        "items[0].lot_number": "LOT-X1",
        "items[0].expiration_date": "2030-01-31",
    }
    answer = post(client, f"/inspect/{return_id}", units)  # a lot unit without the photo of its label
    assert answer.status_code == 422
    assert field_errors(answer.text, "u0-photo") == "a photo of the lot label is required for lot items"
    assert 'value="LOT-X1"' in answer.text and 'value="2030-01-31"' in answer.text
    assert "nothing was recorded" in text_of(answer.text)

    not_an_image = post(
        client, f"/inspect/{return_id}", units, files={"items[0].photo": ("x.png", b"hello", "image/png")}
    )
    assert not_an_image.status_code == 400
    assert field_errors(not_an_image.text, "u0-photo") == "must be a JPEG, PNG, GIF or WebP image"
    assert "Choose the photo again" in not_an_image.text

    with_photo = post(
        client, f"/inspect/{return_id}", units, files={"items[0].photo": ("l.png", PNG, "image/png")}
    )
    assert with_photo.status_code == 303
    assert shipbob(client, demo, return_id)["status"] == "Processing"  # 1 of 3 serums inspected


def test_close_as_short_asks_first_then_records_the_missing_units(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBSHORT1")
    saved = post(client, f"/inspect/{return_id}", {"items[0].inventory_id": TEE, "items[0].record": "1"})
    assert saved.status_code == 303
    confirm = client.get(f"/inspect/{return_id}/close")
    seen = text_of(confirm.text)
    assert (
        "Close RMA WEBSHORT1 as short?" in seen
        and "Classic Tee (M) #1001 : 1 unit(s)" in seen
        and "Ceramic Mug 12oz #1002 : 1 unit(s)" in seen
    )
    assert shipbob(client, demo, return_id)["status"] == "Processing"  # asking changed nothing

    too_long = post(client, f"/inspect/{return_id}/close", {"reason": "x" * 600})
    assert (
        too_long.status_code == 400
        and field_errors(too_long.text, "reason") == "must be at most 500 characters"
    )
    assert 'value="' + "x" * 500 in too_long.text

    closed = post(client, f"/inspect/{return_id}/close", {"reason": "box held one tee"})
    assert closed.status_code == 303
    after = text_of(client.get(closed.headers["location"]).text)
    assert "RMA WEBSHORT1 is closed: 2 unit(s) recorded short." in after
    assert "announced but not in the package. Inspector: box held one tee" in after
    assert shipbob(client, demo, return_id)["status"] == "Completed"


def test_quarantine_release_is_refused_over_the_quantity_then_done(
    client: TestClient, demo: dict[str, Any]
) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBQUAR01")
    units = {"items[0].inventory_id": MUG, "items[0].record": "1", "items[0].steps.no chips or cracks": "1"}
    assert post(client, f"/inspect/{return_id}", units).status_code == 303
    listing = client.get("/quarantine")
    assert "WEBQUAR01" in listing.text and "Ceramic Mug 12oz" in listing.text

    row = {"return_id": return_id, "inventory_id": MUG, "action": "Restock", "reason": "looks fine"}
    refused = post(client, "/quarantine/release", {**row, "quantity": "2"})
    assert refused.status_code == 422
    fid = f"r{return_id}-{MUG}-quantity"
    assert field_errors(refused.text, fid) == (
        f"2 exceeds the 1 unit(s) of this item from return {return_id} still in quarantine"
    )
    assert re.search(rf'id="{fid}" name="quantity" type="number" value="2"', refused.text)
    assert 'value="looks fine"' in refused.text

    done = post(client, "/quarantine/release", {**row, "quantity": "1"})
    assert done.status_code == 303
    after = client.get("/quarantine").text
    assert f"Released 1 unit(s) of item #{MUG} from return #{return_id} to Restock." in text_of(after)
    assert "WEBQUAR01" not in after
    assert balance(client, demo, MUG) == {"sellable": 1, "quarantine": 0, "disposed": 0}


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"quantity": "abc", "action": "Restock"}, "quantity", "the number of units must be a whole number"),
        ({"quantity": "99999999999", "action": "Dispose"}, "quantity", "the number of units is too large"),
        ({"quantity": "1", "action": "Explode"}, "action", "choose Restock or Dispose"),
        ({"action": "Dispose"}, "quantity", "how many units? Type a whole number"),
    ],
)
def test_malformed_release_is_a_400_beside_the_field(
    client: TestClient, demo: dict[str, Any], data: dict[str, str], field: str, message: str
) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBBADR01")
    units = {"items[0].inventory_id": MUG, "items[0].record": "1"}
    assert post(client, f"/inspect/{return_id}", units).status_code == 303
    answer = post(client, "/quarantine/release", {"return_id": return_id, "inventory_id": MUG, **data})
    assert answer.status_code == 400
    assert field_errors(answer.text, f"r{return_id}-{MUG}-{field}") == message


def test_another_centers_return_is_not_found(client: TestClient, demo: dict[str, Any]) -> None:
    created = create(client, demo, "WEBFC1RET", tracking_number="1ZWEBFC1RET")
    assert arrive(client, demo, "WEBFC1RET").status_code == 200
    sign_in(client, demo, fc=2)
    return_id = created["id"]
    for answer in (
        client.get(f"/inspect/{return_id}"),
        client.get(f"/inspect/{return_id}/close"),
        post(client, f"/inspect/{return_id}", {"items[0].inventory_id": TEE, "items[0].record": "1"}),
        post(client, f"/inspect/{return_id}/preview", {"items[0].inventory_id": TEE}),
        post(client, f"/inspect/{return_id}/close", {}),
        post(
            client,
            "/quarantine/release",
            {"return_id": return_id, "inventory_id": MUG, "quantity": "1", "action": "Dispose"},
        ),
    ):
        assert answer.status_code == 404, answer.text
        assert f"Return {return_id} was not found in fulfillment center 2" in answer.text
    assert shipbob(client, demo, return_id)["status"] == "Arrived"


def test_malformed_inspection_input_is_a_4xx(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBBADI01")
    assert client.get("/inspect/abc").status_code == 404
    assert client.get("/inspect/99999999999").status_code == 400
    assert client.get("/inspect/424242").status_code == 404
    nothing = post(client, f"/inspect/{return_id}", {"items[0].inventory_id": TEE})  # no unit ticked
    assert nothing.status_code == 400 and "for at least one unit" in text_of(nothing.text)
    stranger = post(client, f"/inspect/{return_id}", {"items[0].inventory_id": "x", "items[0].record": "1"})
    assert stranger.status_code == 400 and "not on this return" in text_of(stranger.text)
    long_note = post(
        client,
        f"/inspect/{return_id}",
        {"items[0].inventory_id": TEE, "items[0].record": "1", "items[0].reason": "n" * 501},
    )
    assert (
        long_note.status_code == 400
        and field_errors(long_note.text, "u0-note") == "must be at most 500 characters"
    )
    too_many = post(
        client,
        f"/inspect/{return_id}",
        {f"items[{i}].{k}": v for i in range(3) for k, v in (("inventory_id", MUG), ("record", "1"))},
    )
    assert too_many.status_code == 422 and "exceed the 0 still unprocessed" in text_of(too_many.text)
    assert shipbob(client, demo, return_id)["status"] == "Arrived"


def test_pages_are_for_signed_in_warehouse_staff_only(client: TestClient, demo: dict[str, Any]) -> None:
    assert client.get("/receive", follow_redirects=False).headers["location"] == "/login?next=/receive"
    login = demo["web_users"]["merchant"]
    client.get("/login")
    client.post("/login", data={"csrftoken": client.cookies["homeward_csrf"], **login})
    for path in ("/receive", "/inspect", "/quarantine"):
        assert client.get(path).status_code == 403


FIELDS = [
    *(
        f"items[{i}].{name}"
        for i in range(3)
        for name in (
            "inventory_id",
            "record",
            "damaged",
            "lot_number",
            "expiration_date",
            "reason",
            "steps.no chips or cracks",
        )
    ),
    "barcode",
    "rts",
    "return_id",
    "inventory_id",
    "quantity",
    "action",
    "reason",
]
VALUES = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        ["1", "1001", "1002", "2", "0", "-1", "2027-01-31", "", "\x00", "²", "x" * 600, "9" * 30]
    ),
)


def test_no_form_input_makes_a_server_error(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo)
    return_id = received(client, demo, "WEBFUZZ01")
    targets = ["/receive", f"/inspect/{return_id}", f"/inspect/{return_id}/preview", "/quarantine/release"]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        target=st.sampled_from(targets), fields=st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8)
    )
    def post_anything(target: str, fields: dict[str, str]) -> None:
        answer = post(client, target, fields)
        assert answer.status_code in (200, 303, 400, 404, 422), (target, fields, answer.status_code)
        assert "<html" in answer.text or answer.status_code == 303

    post_anything()

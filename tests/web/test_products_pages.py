"""The Products pages over HTTP: preferences shown and flagged, edited one by one or by CSV,
with every rule's message beside its field (or its line) and nothing changed on a refusal."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.db import Database
from homeward.importing.service import import_lines
from homeward.kit.errors import RuleViolation
from tests.builders import merchant_headers, return_body

TEE, MUG, AEROSOL, GIFT_SET, SERUM, BAR, EARBUDS, WIDGET = 1001, 1002, 1003, 1004, 1005, 1006, 1007, 2001
GOOD = {
    "return_action": "Quarantine",
    "rts_action": "Dispose",
    "backup_action": "Dispose",
    "instructions": "Check the print for cracks",
    "inspection_steps[0]": "tags attached",
    "inspection_steps[1]": "no stains",
    "inspection_steps[2]": "",
    "min_shelf_life_days": "0",
}


def sign_in(client: TestClient, login: dict[str, str]) -> None:
    client.get("/login")
    answer = client.post(
        "/login",
        data={"csrftoken": client.cookies["homeward_csrf"], **login, "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text


@pytest.fixture
def merchant(client: TestClient, demo: dict[str, Any]) -> TestClient:
    sign_in(client, demo["web_users"]["merchant"])
    return client


def post(client: TestClient, path: str, data: dict[str, str], **kwargs: Any) -> Any:
    return client.post(
        path, data={"csrftoken": client.cookies["homeward_csrf"], **data}, follow_redirects=False, **kwargs
    )


def upload(client: TestClient, text: str | bytes, name: str = "products.csv") -> Any:
    body = text.encode() if isinstance(text, str) else text
    return post(client, "/products/upload", {}, files={"file": (name, body, "text/csv")})


def beside(html: str, field_id: str) -> str:
    """The messages shown right under the input with this id."""
    found = re.search(rf'<ul class="field-errors" id="{re.escape(field_id)}-errors">(.*?)</ul>', html, re.S)
    assert found, f"no errors beside {field_id}"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def row_of(html: str, sku: str) -> str:
    found = re.search(
        rf"<tr[^>]*>\s*<td data-label=\"SKU\" class=\"sku\"><a [^>]*>{re.escape(sku)}</a>.*?</tr>", html, re.S
    )
    assert found, f"{sku} is not listed"
    return found.group(0)


def exported(client: TestClient) -> dict[str, dict[str, str]]:
    answer = client.get("/products/export.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    return {r["sku"]: r for r in csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))}


# --- the list -------------------------------------------------------------------------------------


def test_products_never_configured_are_flagged(merchant: TestClient) -> None:
    html = merchant.get("/products").text
    assert "2 products have no return preferences." in html
    assert "Unset preferences lead to disposals" in html
    for sku in ("TEE-CLASSIC-M", "EARBUDS-WL"):  # imported without a return preference
        assert "Never set" in row_of(html, sku)
    assert "Never set" not in row_of(html, "MUG-CERAMIC-12") and "Set " in row_of(html, "MUG-CERAMIC-12")
    assert "Always disposed" in row_of(html, "CLEANER-AEROSOL")  # ineligible: no preference applies
    assert "Bundle" in row_of(html, "GIFTSET-TEE-MUG")  # comes back as its components
    mug = row_of(html, "MUG-CERAMIC-12")
    assert "Quarantine" in mug and "Check for chips and cracks" in mug and "no chips or cracks" in mug
    assert "WIDGET-STD" not in html  # another merchant's


def test_only_the_unset_ones_and_search(merchant: TestClient) -> None:
    html = merchant.get("/products", params={"unset": "1"}).text
    assert re.findall(r'data-label="SKU" class="sku"><a [^>]*>([^<]+)<', html) == [
        "EARBUDS-WL",
        "TEE-CLASSIC-M",
    ]
    html = merchant.get("/products", params={"q": "mug"}).text
    assert re.findall(r'data-label="SKU" class="sku"><a [^>]*>([^<]+)<', html) == [
        "GIFTSET-TEE-MUG",
        "MUG-CERAMIC-12",
    ]
    assert "No products match" in merchant.get("/products", params={"q": "%_nothing"}).text


def test_signed_out_and_warehouse_users_do_not_see_products(client: TestClient, demo: dict[str, Any]) -> None:
    assert client.get("/products", follow_redirects=False).headers["location"] == "/login?next=/products"
    sign_in(client, demo["web_users"]["warehouse"]["1"])
    assert client.get("/products").status_code == 403


# --- one product ------------------------------------------------------------------------------------


def test_saving_preferences_sets_them_and_returns_follow_them(
    merchant: TestClient, demo: dict[str, Any]
) -> None:
    form = merchant.get(f"/products/{TEE}").text
    assert "Return preferences were never set" in form
    answer = post(merchant, f"/products/{TEE}", GOOD)
    assert answer.status_code == 303 and answer.headers["location"] == f"/products/{TEE}"
    html = merchant.get(f"/products/{TEE}").text
    assert "Return preferences of TEE-CLASSIC-M saved." in html
    assert "never set" not in html
    assert 'value="tags attached"' in html and 'value="no stains"' in html
    assert '<option value="Quarantine" selected>' in html
    assert "1 product has no return preferences." in merchant.get("/products").text
    row = exported(merchant)["TEE-CLASSIC-M"]
    assert (row["return_action"], row["rts_action"], row["inspection_step_2"]) == (
        "Quarantine",
        "Dispose",
        "no stains",
    )
    # A new return of the tee asks for what the merchant just chose.
    created = merchant.post(
        "/2025-07/return", json=return_body(demo, reference_id="RMA-PREF-01"), headers=merchant_headers(demo)
    )
    assert created.status_code == 201, created.text
    [tee] = [i for i in created.json()["inventory"] if i["id"] == TEE]
    assert tee["action_requested"]["action"] == "Quarantine"


@pytest.mark.parametrize(
    ("field", "value", "field_id", "message"),
    [
        ("return_action", "Recycle", "return_action", "must be one of Restock, Quarantine, Dispose"),
        ("rts_action", "", "rts_action", "must be one of Restock, Quarantine, Dispose"),
        ("backup_action", "Restock", "backup_action", "must be Quarantine or Dispose"),
        ("instructions", "x" * 1001, "instructions", "at most 1000 characters"),
        ("inspection_steps[1]", "s" * 101, "step-2", "at most 100 characters"),
        ("inspection_steps[1]", "Tags Attached", "step-2", "repeats the step"),
        ("min_shelf_life_days", "-1", "min_shelf_life_days", "between 0 and 3650"),
        ("min_shelf_life_days", "99999999999999999999", "min_shelf_life_days", "between 0 and 3650"),
        ("min_shelf_life_days", "ninety", "min_shelf_life_days", "whole number of days"),
    ],
)
def test_a_broken_rule_is_shown_beside_its_field_and_nothing_changes(
    merchant: TestClient, field: str, value: str, field_id: str, message: str
) -> None:
    before = exported(merchant)["MUG-CERAMIC-12"]
    answer = post(merchant, f"/products/{MUG}", {**GOOD, field: value})
    assert answer.status_code == 422
    assert message in beside(answer.text, field_id)
    if field != "return_action" and len(value) < 200:
        assert value in answer.text  # what was typed is kept
    assert 'value="tags attached"' in answer.text  # and so is everything else
    assert exported(merchant)["MUG-CERAMIC-12"] == before


def test_blank_shelf_life_means_none_and_blank_steps_are_left_out(merchant: TestClient) -> None:
    data = {
        **GOOD,
        "inspection_steps[0]": "",
        "inspection_steps[2]": "seal intact",
        "min_shelf_life_days": "",
    }
    assert post(merchant, f"/products/{SERUM}", data).status_code == 303
    row = exported(merchant)["SERUM-VITC-30"]
    assert (row["inspection_step_1"], row["inspection_step_2"], row["min_shelf_life_days"]) == (
        "no stains",
        "seal intact",
        "0",
    )


@pytest.mark.parametrize("path", [f"/products/{WIDGET}", "/products/999999", "/products/99999999999999"])
def test_another_merchants_or_no_product_is_not_found(merchant: TestClient, path: str) -> None:
    assert merchant.get(path).status_code == 404
    answer = post(merchant, path, GOOD)
    assert answer.status_code == 404 and "Not found" in answer.text
    assert merchant.get("/products/abc").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(merchant: TestClient) -> None:
    answer = merchant.post(f"/products/{TEE}", data=GOOD, follow_redirects=False)
    assert answer.status_code == 403
    assert exported(merchant)["TEE-CLASSIC-M"]["return_action"] == "Restock"


# --- many products by CSV --------------------------------------------------------------------------


def test_export_is_a_template_that_uploads_unchanged(merchant: TestClient) -> None:
    answer = merchant.get("/products/export.csv")
    assert answer.headers["content-disposition"] == 'attachment; filename="products.csv"'
    rows = exported(merchant)
    assert set(rows) == {
        "TEE-CLASSIC-M",
        "MUG-CERAMIC-12",
        "CLEANER-AEROSOL",
        "GIFTSET-TEE-MUG",
        "SERUM-VITC-30",
        "BAR-PROTEIN-CHOC",
        "EARBUDS-WL",
    }
    assert rows["SERUM-VITC-30"]["inspection_step_2"] == "expiry checked"
    assert rows["SERUM-VITC-30"]["min_shelf_life_days"] == "90"
    done = upload(merchant, answer.content)  # as downloaded, BOM and all
    assert done.status_code == 303
    html = merchant.get("/products").text
    assert "7 products updated from products.csv." in html
    assert "no return preferences" not in html  # confirmed as they are
    assert exported(merchant) == rows


def test_a_good_csv_is_applied(merchant: TestClient) -> None:
    text = (
        "sku,return_action,backup_action,inspection_step_1,min_shelf_life_days\n"
        "TEE-CLASSIC-M,Dispose,Quarantine,tags attached,\n"
        "EARBUDS-WL,quarantine,dispose,,30\n"  # any case
    )
    assert upload(merchant, text).status_code == 303
    rows = exported(merchant)
    tee, buds = rows["TEE-CLASSIC-M"], rows["EARBUDS-WL"]
    assert (tee["return_action"], tee["backup_action"], tee["inspection_step_1"]) == (
        "Dispose",
        "Quarantine",
        "tags attached",
    )
    assert tee["rts_action"] == "Restock"  # not in the file: unchanged
    assert (buds["return_action"], buds["backup_action"], buds["min_shelf_life_days"]) == (
        "Quarantine",
        "Dispose",
        "30",
    )
    assert rows["MUG-CERAMIC-12"]["instructions"] == "Check for chips and cracks"  # not in the file


def test_a_csv_with_any_bad_line_changes_nothing_and_lists_every_bad_line(merchant: TestClient) -> None:
    before = exported(merchant)
    text = (
        "inventory_id,sku,return_action,rts_action,backup_action,min_shelf_life_days,inspection_step_3\n"
        f"{TEE},TEE-CLASSIC-M,Dispose,Restock,Dispose,0,\n"  # good, but not applied
        f"{MUG},MUG-CERAMIC-12,Recycle,Restock,Dispose,0,\n"
        f"{EARBUDS},EARBUDS-WL,Restock,Restock,Restock,-3,\n"
        f"{WIDGET},WIDGET-STD,Restock,Restock,Dispose,0,\n"
        f"{SERUM},TEE-CLASSIC-M,Restock,Restock,Dispose,0,\n"
        f"{TEE},TEE-CLASSIC-M,Restock,Restock,Dispose,0,\n"
        f"{BAR},BAR-PROTEIN-CHOC,Restock,Restock,Dispose,0,{'z' * 101}\n"
    )
    answer = upload(merchant, text)
    assert answer.status_code == 422
    errors = re.search(r'<div class="error-summary upload-errors".*?</div>', answer.text, re.S)
    assert errors is not None
    listed = [re.sub(r"\s+", " ", li).strip() for li in re.findall(r"<li>(.*?)</li>", errors.group(0), re.S)]
    assert listed == [
        "line 3: return_action: must be one of Restock, Quarantine, Dispose (not &#39;Recycle&#39;)",
        "line 4: backup_action: must be Quarantine or Dispose: units that fail inspection or are too close "
        "to expiry are never restocked",
        "line 4: min_shelf_life_days: must be between 0 and 3650 days",
        "line 5: inventory_id: &#39;2001&#39; is not one of your products",
        "line 6: sku: &#39;TEE-CLASSIC-M&#39; is not the SKU of product 1005 (SERUM-VITC-30)",
        "line 7: inventory_id: product 1001 is already on line 2",
        "line 8: inspection_step_3: must be at most 100 characters",
    ]
    assert "6 lines of the file break a rule; nothing was changed" in answer.text
    assert exported(merchant) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"sku,colour\nTEE-CLASSIC-M,red\n", "line 1: unknown column(s) &#39;colour&#39;"),
        (b"name,return_action\nTee,Restock\n", "line 1: needs an inventory_id or a sku column"),
        (b"sku,return_action\n", "line 2: no product lines"),
        ("sku,instructions\nTEE-CLASSIC-M,Caf\xe9\n".encode("latin-1"), "is not UTF-8 text"),
        (b"sku,return_action\nTEE-CLASSIC-M,Restock,extra\n", "line 2: has 3 cells; the header has 2"),
        (b"sku,return_action\nNOPE,Restock\n", "line 2: sku: &#39;NOPE&#39; is not one of your products"),
    ],
)
def test_a_file_that_cannot_be_used_is_refused_with_the_reason(
    merchant: TestClient, content: bytes, message: str
) -> None:
    answer = upload(merchant, content)
    assert answer.status_code == 422
    assert message in answer.text
    assert "Never set" in row_of(answer.text, "TEE-CLASSIC-M")  # the list is still there, unchanged


def test_no_file_chosen(merchant: TestClient) -> None:
    answer = post(merchant, "/products/upload", {}, files={"other": ("x.txt", b"", "text/plain")})
    assert answer.status_code == 422
    assert "choose a CSV file to upload" in beside(answer.text, "file")


# --- the import door keeps the same rules and says what it configured --------------------------------


def test_an_import_sets_preferences_only_when_it_gives_them(merchant: TestClient, db: Database) -> None:
    lines = [
        {"type": "product", "id": 1101, "merchant_id": 1, "sku": "CAP-RED", "name": "Red Cap"},
        {
            "type": "product",
            "id": 1102,
            "merchant_id": 1,
            "sku": "CAP-BLUE",
            "name": "Blue Cap",
            "return_preference": {"action": "Restock", "backup_action": "Dispose"},  # the defaults, but said
        },
        {"type": "product", "id": MUG, "merchant_id": 1, "sku": "MUG-CERAMIC-12", "name": "Ceramic Mug 12oz"},
    ]
    import_lines(db, "\n".join(json.dumps(line) for line in lines))
    html = merchant.get("/products").text
    assert "Never set" in row_of(html, "CAP-RED") and "Never set" not in row_of(html, "CAP-BLUE")
    assert "Never set" in row_of(html, "MUG-CERAMIC-12")  # re-imported without: back to the defaults


def test_an_import_refuses_what_the_page_refuses(merchant: TestClient, db: Database) -> None:
    line = {
        "type": "product",
        "id": TEE,
        "merchant_id": 1,
        "sku": "TEE-CLASSIC-M",
        "name": "Classic Tee (M)",
        "return_preference": {"action": "Restock", "backup_action": "Restock"},
        "inspection_steps": ["tags on", "Tags On"],
    }
    with pytest.raises(RuleViolation) as refused:
        import_lines(db, json.dumps(line))
    assert [str(e) for e in refused.value.errors] == [
        "line 1: return_preference.backup_action: must be Quarantine or Dispose: units that fail inspection "
        "or are too close to expiry are never restocked",
        "line 1: inspection_steps[1]: repeats the step 'Tags On'",
    ]
    assert exported(merchant)["TEE-CLASSIC-M"]["inspection_step_1"] == ""


def test_the_summary_links_to_each_field_to_correct(merchant: TestClient) -> None:
    answer = post(
        merchant, f"/products/{MUG}", {**GOOD, "backup_action": "Restock", "inspection_steps[2]": "s" * 101}
    )
    assert answer.status_code == 422
    assert '<a href="#backup_action">Backup action</a>: must be Quarantine or Dispose' in answer.text
    assert '<a href="#step-3">Inspection step 3</a>: must be at most 100 characters' in answer.text


def test_long_lists_come_in_pages(merchant: TestClient, db: Database) -> None:
    lines = [
        {
            "type": "product",
            "id": 3000 + n,
            "merchant_id": 1,
            "sku": f"BULK-{n:03d}",
            "name": f"Bulk item {n}",
        }
        for n in range(60)
    ]
    import_lines(db, "\n".join(json.dumps(line) for line in lines))
    first = merchant.get("/products", params={"q": "bulk"}).text
    assert "60 products matching" in first and "Page 1 of 2" in first
    assert "BULK-049" in first and "BULK-050" not in first
    second = merchant.get("/products", params={"q": "bulk", "page": "2"}).text
    assert "BULK-050" in second and "BULK-059" in second and "BULK-049" not in second
    assert "62 products have no return preferences." in second  # counted over all, not the page
    assert merchant.get("/products", params={"page": "999999999999"}).status_code == 200


def test_reloading_an_upload_answer_goes_back_to_the_list(merchant: TestClient) -> None:
    assert merchant.get("/products/upload", follow_redirects=False).headers["location"] == "/products#bulk"

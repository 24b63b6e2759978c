"""Every refund-file rule, each broken by a row that breaks only it (sent as a merchant would, over
POST /refunds/v1/files), and the file-level problems that earn a one-row ack."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.db import Database
from homeward.importing.service import import_lines
from tests.builders import auth, merchant_headers, return_body
from tests.refund_files import GOOD_NAME, MUG, ORDER, TEES, read_ack, refund_csv, refund_row

MUG_FULL = {"principal": "12.50", "tax": "1.20", "shipping_cost": "2.50", "shipping_tax": "0.21"}


def send(
    client: TestClient, demo: dict[str, Any], data: bytes, name: str = GOOD_NAME
) -> list[dict[str, str]]:
    response = client.post(
        "/refunds/v1/files", params={"name": name}, content=data, headers=auth(demo["token"])
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    return read_ack(response.content)


def order(client: TestClient, demo: dict[str, Any], merchant_order_id: str = ORDER) -> dict[str, Any]:
    response = client.get(f"/refunds/v1/orders/{merchant_order_id}", headers=auth(demo["token"]))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def item(body: dict[str, Any], order_item_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(i for i in body["items"] if i["order_item_id"] == order_item_id)
    return found


# (case, row overrides or raw cells, the field the ack must blame, words the reason must contain)
BROKEN_ROWS: list[tuple[str, dict[str, str] | list[str], str, str]] = [
    ("unknown order", {"merchant_order_id": "JET-NOPE"}, "merchant_order_id", "not found"),
    ("another merchant's order", {"merchant_order_id": "GLOBEX-JET-1"}, "merchant_order_id", "not found"),
    (
        "order not refundable",
        {
            "merchant_order_id": "JET-ACME-1009",
            "order_item_id": "JET-ACME-1009-1",
            **MUG_FULL,
            "shipping_cost": "0",
            "shipping_tax": "0",
        },
        "merchant_order_id",
        "'Acknowledged'",
    ),
    ("item of another order", {"order_item_id": "JET-ACME-1002-1"}, "order_item_id", "not an item"),
    ("reason not in the list", {"refund_reason": "Changed my mind"}, "refund_reason", "not one of the 19"),
    ("reason missing", {"refund_reason": ""}, "refund_reason", "required"),
    ("feedback not in the list", {"refund_feedback": "too late"}, "refund_feedback", "not one of"),
    (
        "partial refund without feedback",
        {"principal": "10.00", "tax": "0", "shipping_cost": "0", "shipping_tax": "0"},
        "refund_feedback",
        "partial",
    ),
    (
        "feedback other without notes",
        {
            "refund_feedback": "other",
            "principal": "10.00",
            "tax": "0",
            "shipping_cost": "0",
            "shipping_tax": "0",
        },
        "notes",
        "required when refund_feedback is 'other'",
    ),
    ("quantity not whole", {"total_quantity_returned": "1.5"}, "total_quantity_returned", "whole number"),
    ("quantity negative", {"order_return_refund_qty": "-1"}, "order_return_refund_qty", "0 or more"),
    (
        "refunded more than returned",
        {"total_quantity_returned": "0", "order_return_refund_qty": "1"},
        "order_return_refund_qty",
        "exceeds total_quantity_returned",
    ),
    (
        "returned more than ordered",
        {"total_quantity_returned": "3"},
        "total_quantity_returned",
        "2 unit(s) ordered",
    ),
    ("three decimals", {"principal": "20.001"}, "principal", "two decimal places"),
    ("negative amount", {"tax": "-1.65"}, "tax", "0 or more"),
    ("amount not a number", {"shipping_cost": "abc"}, "shipping_cost", "amount like 12.34"),
    (
        "more than charged",
        {"order_item_id": MUG, **MUG_FULL, "shipping_tax": "0.22"},
        "shipping_tax",
        "exceeds the 0.21 still refundable",
    ),
    ("alt_refund_id missing", {"alt_refund_id": ""}, "alt_refund_id", "required"),
    ("merchant_order_id missing", {"merchant_order_id": ""}, "merchant_order_id", "required"),
    ("order_item_id missing", {"order_item_id": ""}, "order_item_id", "required"),
    ("too long an id", {"alt_refund_id": "A" * 101}, "alt_refund_id", "at most 100"),
    (
        "refunds nothing",
        {
            "order_return_refund_qty": "0",
            "principal": "0",
            "tax": "0",
            "shipping_cost": "0",
            "shipping_tax": "0",
        },
        "order_return_refund_qty",
        "refunds nothing",
    ),
    ("NUL character", {"notes": "kept\x00it"}, "notes", "must not contain NUL"),
    ("too few columns", [ORDER, "R-short", TEES, "1", "1"], "columns", "5 columns, expected 12"),
]


@pytest.fixture
def other_merchant_order(db: Database, demo: dict[str, Any]) -> None:
    record = {
        "type": "marketplace_order",
        "merchant_id": 2,
        "merchant_order_id": "GLOBEX-JET-1",
        "status": "Completed",
        "items": [
            {
                "order_item_id": TEES,
                "quantity": 2,
                "principal": "40",
                "tax": "3.30",
                "shipping_cost": "5",
                "shipping_tax": "0.42",
            }
        ],
    }
    import_lines(db, json.dumps(record))


def test_each_broken_rule_fails_only_its_row_and_names_the_field(
    client: TestClient, demo: dict[str, Any], other_merchant_order: None
) -> None:
    rows: list[dict[str, str] | list[str]] = [refund_row(alt_refund_id="R-OK")]
    for index, (_, change, _, _) in enumerate(BROKEN_ROWS):
        if isinstance(change, list):
            rows.append(change)
        else:
            rows.append(refund_row(**{"alt_refund_id": f"R-{index}", **change}))
    ack = send(client, demo, refund_csv(*rows))

    assert len(ack) == len(rows)
    assert ack[0]["Status"] == "TRUE" and ack[0]["ErrorMessage"] == ""
    for (case, _, field, words), answer in zip(BROKEN_ROWS, ack[1:], strict=True):
        assert answer["Status"] == "FALSE", case
        reasons = answer["ErrorMessage"].split("; ")
        assert len(reasons) == 1, (case, reasons)  # the row breaks exactly one rule
        assert reasons[0].startswith(f"{field}: "), (case, reasons)
        assert words in reasons[0], (case, reasons)
    # Input is echoed untouched, row for row.
    assert ack[1]["merchant_order_id"] == "JET-NOPE" and ack[5]["refund_reason"] == "Changed my mind"

    tees = item(order(client, demo), TEES)
    assert tees["refunded_quantity"] == 1  # only the good row was applied
    assert tees["refunded"] == {
        "principal": "19.99",
        "tax": "1.65",
        "shipping_cost": "2.50",
        "shipping_tax": "0.21",
        "total": "24.35",
    }
    assert item(order(client, demo), MUG)["refunded"]["total"] == "0.00"


def test_a_row_can_name_several_broken_fields(client: TestClient, demo: dict[str, Any]) -> None:
    ack = send(
        client,
        demo,
        refund_csv(
            refund_row(
                refund_reason="Meh", principal="1.234", order_item_id="NOPE", total_quantity_returned="x"
            )
        ),
    )
    fields = sorted(reason.split(":")[0] for reason in ack[0]["ErrorMessage"].split("; "))
    assert fields == ["order_item_id", "principal", "refund_reason", "total_quantity_returned"]


def test_accepted_spellings(client: TestClient, demo: dict[str, Any]) -> None:
    """Reasons and feedback match in any case, blank amounts are 0, a full refund needs no feedback."""
    ack = send(
        client,
        demo,
        refund_csv(
            refund_row(alt_refund_id="A", refund_reason="  NO LONGER WANT THIS ITEM "),
            refund_row(
                alt_refund_id="B",
                order_item_id=MUG,
                refund_reason="item arrived damaged - BOX DAMAGED",
                refund_feedback="Customer Opened Item",
                principal="7.25",
                tax="",
                shipping_cost="",
                shipping_tax="",
            ),
            refund_row(
                alt_refund_id="C",
                merchant_order_id="JET-ACME-1002",
                order_item_id="JET-ACME-1002-1",
                refund_reason="Package never arrived",
                refund_feedback="other",
                notes="kept the box",
                principal="19.99",
                tax="1.65",
                shipping_cost="0",
                shipping_tax="0",
            ),
        ),
    )
    assert [a["Status"] for a in ack] == ["TRUE", "TRUE", "TRUE"], ack
    mug = item(order(client, demo), MUG)
    assert mug["refunded"]["principal"] == "7.25" and mug["refunded"]["tax"] == "0.00"
    refunds = order(client, demo)["refunds"]
    assert refunds[0]["lines"][0]["refund_reason"] == "No longer want this item"  # stored as Jet spells it
    assert refunds[1]["lines"][0]["refund_feedback"] == "customer opened item"


def test_rows_of_one_alt_refund_id_succeed_or_fail_together(client: TestClient, demo: dict[str, Any]) -> None:
    good = refund_row(alt_refund_id="R-G")
    bad = refund_row(alt_refund_id="R-G", order_item_id=MUG, refund_reason="Nope", **MUG_FULL)
    apart = refund_row(alt_refund_id="R-H", order_item_id=MUG, **MUG_FULL)
    ack = send(client, demo, refund_csv(good, apart, bad))  # the group's rows need not be adjacent

    assert ack[0]["Status"] == "FALSE"
    assert ack[0]["ErrorMessage"] == "alt_refund_id: not applied: row(s) 4 of alt_refund_id 'R-G' failed"
    assert ack[1]["Status"] == "TRUE"
    assert ack[2]["Status"] == "FALSE" and ack[2]["ErrorMessage"].startswith("refund_reason: ")
    body = order(client, demo)
    assert item(body, TEES)["refunded_quantity"] == 0
    assert [r["alt_refund_id"] for r in body["refunds"]] == ["R-H"]


def test_one_alt_refund_id_across_items_is_one_refund(client: TestClient, demo: dict[str, Any]) -> None:
    ack = send(
        client,
        demo,
        refund_csv(
            refund_row(alt_refund_id="R-2"), refund_row(alt_refund_id="R-2", order_item_id=MUG, **MUG_FULL)
        ),
    )
    assert [a["Status"] for a in ack] == ["TRUE", "TRUE"]
    refunds = order(client, demo)["refunds"]
    assert len(refunds) == 1 and [line["order_item_id"] for line in refunds[0]["lines"]] == [TEES, MUG]


def test_the_same_item_twice_in_one_refund_is_refused(client: TestClient, demo: dict[str, Any]) -> None:
    ack = send(client, demo, refund_csv(refund_row(alt_refund_id="R-3"), refund_row(alt_refund_id="R-3")))
    assert all(a["Status"] == "FALSE" and "more than one row" in a["ErrorMessage"] for a in ack)


def test_refunds_add_up_across_files_and_never_pass_what_was_charged(
    client: TestClient, demo: dict[str, Any]
) -> None:
    first = send(client, demo, refund_csv(refund_row(alt_refund_id="F1")), "JET_REFUND_010124090000.csv")
    second = send(client, demo, refund_csv(refund_row(alt_refund_id="F2")), "JET_REFUND_010124090100.csv")
    assert first[0]["Status"] == second[0]["Status"] == "TRUE"

    third = send(
        client,
        demo,
        refund_csv(
            refund_row(alt_refund_id="F3"),
            refund_row(
                alt_refund_id="F4",
                order_return_refund_qty="0",
                total_quantity_returned="0",
                principal="0.01",
                tax="0",
                shipping_cost="0",
                shipping_tax="0",
            ),
        ),
        "JET_REFUND_010124090200.csv",
    )
    assert third[0]["Status"] == "FALSE"
    assert (
        "order_return_refund_qty: 1 exceeds the 0 unit(s) still refundable (2 ordered, 2 already refunded)"
        in third[0]["ErrorMessage"]
    )
    assert (
        "principal: 19.99 exceeds the 0.00 still refundable (39.98 charged, 39.98 already refunded)"
        in third[0]["ErrorMessage"]
    )
    assert third[1]["Status"] == "FALSE" and third[1]["ErrorMessage"].startswith(
        "principal: 0.01 exceeds the 0.00"
    )
    tees = item(order(client, demo), TEES)
    assert tees["refunded_quantity"] == 2 and tees["refundable"]["total"] == "0.00"


def test_the_same_alt_refund_id_again_is_a_duplicate_and_refunds_nothing(
    client: TestClient, demo: dict[str, Any]
) -> None:
    data = refund_csv(
        refund_row(alt_refund_id="D1"), refund_row(alt_refund_id="D1", order_item_id=MUG, **MUG_FULL)
    )
    assert [a["Status"] for a in send(client, demo, data, "JET_REFUND_020224100000.csv")] == ["TRUE", "TRUE"]
    before = order(client, demo)

    again = send(client, demo, data, "JET_REFUND_020224100100.csv")  # the same file under another name
    retry = send(client, demo, data, "JET_REFUND_020224100000.csv")  # or sent again as it was
    for ack in (again, retry):
        assert [a["Status"] for a in ack] == ["FALSE", "FALSE"]
        assert all(a["ErrorMessage"].startswith("alt_refund_id: duplicate alt_refund_id") for a in ack)
    assert order(client, demo) == before


def test_refunds_show_on_the_homeward_return_of_the_same_order(
    client: TestClient, demo: dict[str, Any]
) -> None:
    created = client.post("/2025-07/return", json=return_body(demo), headers=merchant_headers(demo))
    assert created.status_code == 201, created.text
    return_id = created.json()["id"]
    ack = send(
        client,
        demo,
        refund_csv(
            refund_row(alt_refund_id="L1"),
            refund_row(alt_refund_id="L1", order_item_id=MUG, **MUG_FULL),
            refund_row(  # another order: no Homeward return of it exists
                alt_refund_id="L2",
                merchant_order_id="JET-ACME-1002",
                order_item_id="JET-ACME-1002-1",
                principal="19.99",
                tax="1.65",
                shipping_cost="4.99",
                shipping_tax="0.41",
            ),
        ),
    )
    assert [a["Status"] for a in ack] == ["TRUE", "TRUE", "TRUE"]

    shown = client.get(f"/refunds/v1/returns/{return_id}", headers=auth(demo["readonly_token"]))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["return_id"] == return_id and body["store_order_id"] == "ACME-1001"
    assert [r["alt_refund_id"] for r in body["refunds"]] == ["L1"]
    assert [(line["order_item_id"], line["inventory_id"]) for line in body["refunds"][0]["lines"]] == [
        (TEES, 1001),
        (MUG, 1002),
    ]
    assert Decimal(body["refunded"]["total"]) == Decimal("24.35") + Decimal("16.41")
    other = order(client, demo, "JET-ACME-1002")["refunds"][0]["lines"][0]
    assert other["return_id"] is None
    assert (
        client.get(f"/refunds/v1/returns/{return_id}", headers=auth(demo["other_token"])).status_code == 404
    )


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("refunds.csv", refund_csv(refund_row()), "is not JET_REFUND_MMDDYYHHMMSS.csv"),
        ("JET_REFUND_0723161430.csv", refund_csv(refund_row()), "is not JET_REFUND_MMDDYYHHMMSS.csv"),
        ("JET_REFUND_133216143000.csv", refund_csv(refund_row()), "not a valid MMDDYYHHMMSS date"),
        ("JET_REFUND_072316250000.csv", refund_csv(refund_row()), "not a valid MMDDYYHHMMSS date"),
        (GOOD_NAME, b"", "the file is empty"),
        (GOOD_NAME, refund_csv(), "header row but no refund rows"),
        (
            GOOD_NAME,
            refund_csv(refund_row(), header=["merchant_order_id", "order_item_id"]),
            "header column 2 is 'order_item_id'",
        ),
        (GOOD_NAME, refund_csv(refund_row()).replace(b"No longer", b"N\xe9 longer"), "not UTF-8"),
        (GOOD_NAME, refund_csv(refund_row()) + "caf\xe9,x\n".encode("latin-1"), "not UTF-8"),
        (GOOD_NAME, refund_csv(refund_row()) + b'a,"b\n', "cannot be read as CSV"),
    ],
)
def test_a_file_that_cannot_be_read_gets_a_one_row_ack_and_changes_nothing(
    client: TestClient, demo: dict[str, Any], name: str, data: bytes, words: str
) -> None:
    ack = send(client, demo, data, name)
    assert len(ack) == 1 and ack[0]["Status"] == "FALSE"
    assert words in ack[0]["ErrorMessage"]
    assert all(ack[0][column] == "" for column in ("merchant_order_id", "alt_refund_id"))
    assert item(order(client, demo), TEES)["refunded_quantity"] == 0


def test_excel_files_with_a_byte_order_mark_and_blank_rows(client: TestClient, demo: dict[str, Any]) -> None:
    data = refund_csv(refund_row(), [""] * 12, bom=True) + b",,,,,,,,,,,\r\n\r\n"
    response = client.post(
        "/refunds/v1/files", params={"name": GOOD_NAME}, content=data, headers=auth(demo["token"])
    )
    assert response.content.startswith(b"\xef\xbb\xbf")  # answered the way it came, for Excel
    ack = read_ack(response.content)
    assert len(ack) == 1 and ack[0]["Status"] == "TRUE"

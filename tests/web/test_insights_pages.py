"""The Insights page over HTTP, on a small data set made through the APIs a merchant and a
warehouse use: returns with reasons, received and inspected into restock, quarantine and dispose."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from homeward.db import Database
from homeward.returns.models import ReturnOrder
from tests.builders import auth, merchant_headers, return_body
from tests.web.test_products_pages import beside, sign_in

TEE, MUG, AEROSOL = 1001, 1002, 1003


def _oms(client: httpx.Client, demo: dict[str, Any], case: str, items: list[tuple[int, str]]) -> int:
    """A return in the OMS dialect (seed 004), one unit per (shipment line index, reason)."""
    lines = demo["shipments"][case]["inventory"]
    body = {
        "item": [{"orderItemID": lines[i]["order_item_id"], "quantity": 1, "reason": r} for i, r in items]
    }
    answer = client.post("/oms/v1/returns", json=body, headers=auth(demo["token"]))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["returnID"])


def _shipbob(client: httpx.Client, demo: dict[str, Any], case: str, reference_id: str) -> int:
    body = return_body(demo, case, reference_id=reference_id, tracking_number=None)
    answer = client.post("/2025-07/return", json=body, headers=merchant_headers(demo))
    assert answer.status_code == 201, answer.text
    return int(answer.json()["id"])


def _warehouse(client: httpx.Client, demo: dict[str, Any], path: str, body: dict[str, Any]) -> Any:
    answer = client.post(f"/warehouse/v1{path}", json=body, headers=auth(demo["warehouse_tokens"]["1"]))
    assert answer.status_code == 200, answer.text
    return answer.json()


def _receive_and_inspect(
    client: TestClient, demo: dict[str, Any], return_id: int, *units: dict[str, Any]
) -> None:
    seen = client.get(
        f"/warehouse/v1/returns/{return_id}", headers=auth(demo["warehouse_tokens"]["1"])
    ).json()
    _warehouse(client, demo, "/arrivals", {"barcode": seen["reference_id"]})
    _warehouse(client, demo, f"/returns/{return_id}/inspections", {"items": list(units)})


def _took(db: Database, return_id: int, days: int) -> None:
    """Date the return's creation `days` before its completion (no door sets when a return began)."""
    with db.write() as session:
        row = session.get(ReturnOrder, return_id)
        assert row is not None and row.completed_date is not None
        session.execute(
            update(ReturnOrder)
            .where(ReturnOrder.id == return_id)
            .values(insert_date=row.completed_date - timedelta(days=days))
        )


def build_returns(client: httpx.Client, demo: dict[str, Any]) -> dict[str, int]:
    """Four returns to count (one more cancelled): three completed, one awaiting arrival.

    Reasons: does_not_fit x2, damaged_box_intact, no_longer_wanted, none (the earbuds, 2 units);
    outcomes: a tee restocked, the mug quarantined, the aerosol and a damaged tee disposed.
    """
    fitted = _oms(client, demo, "regular", [(0, "Item did not fit.")])  # a tee
    _receive_and_inspect(client, demo, fitted, {"inventory_id": TEE, "quantity": 1})  # restocked
    cracked = _oms(client, demo, "regular", [(1, "It arrived cracked")])  # the mug
    _receive_and_inspect(
        client, demo, cracked, {"inventory_id": MUG, "quantity": 1, "steps": {"no chips or cracks": True}}
    )  # quarantined: the mug's preference
    mixed = _oms(client, demo, "hazmat", [(0, "Item did not fit."), (1, "I no longer want it")])
    _receive_and_inspect(
        client,
        demo,
        mixed,
        {"inventory_id": AEROSOL, "quantity": 1},  # hazardous: always disposed
        {"inventory_id": TEE, "quantity": 1, "damaged": True},  # damaged: backup action Dispose
    )
    _shipbob(client, demo, "serialized", "RMA-WAITING-1")  # two earbuds, no reason, not yet back
    cancelled = _shipbob(client, demo, "lot", "RMA-CANCEL-01")
    answer = client.post(f"/2025-07/return/{cancelled}:cancel", headers=merchant_headers(demo))
    assert answer.status_code == 200, answer.text
    return {"fitted": fitted, "cracked": cracked, "mixed": mixed}


@pytest.fixture
def known(client: TestClient, demo: dict[str, Any], db: Database) -> TestClient:
    """The returns of `build_returns`, the completed ones having taken 10, 4 and 1 days."""
    made = build_returns(client, demo)
    for name, days in (("fitted", 10), ("cracked", 4), ("mixed", 1)):
        _took(db, made[name], days)
    sign_in(client, demo["web_users"]["merchant"])
    return client


def figure(html: str, name: str) -> str:
    found = re.search(rf'data-figure="{name}">([^<]*)<', html)
    assert found, f"no figure {name}"
    return found.group(1)


def table(html: str, name: str) -> dict[str, list[str]]:
    """A data table beside a chart: row key -> its cells' text."""
    found = re.search(rf'<table class="figures-table" data-table="{name}">(.*?)</table>', html, re.S)
    assert found, f"no table {name}"
    rows = re.findall(r'<tr data-row="([^"]+)">(.*?)</tr>', found.group(1), re.S)
    return {
        key: [
            re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", cells, re.S)
        ]
        for key, cells in rows
    }


def test_the_last_30_days_by_default(known: TestClient, demo: dict[str, Any]) -> None:
    html = known.get("/insights").text
    assert (figure(html, "returns"), figure(html, "units"), figure(html, "completed")) == ("4", "6", "3")
    assert figure(html, "average-days") == "5.0"  # (10 + 4 + 1) / 3
    reasons = table(html, "reasons")
    assert list(reasons) == ["does_not_fit", "none", "damaged_box_intact", "no_longer_wanted"]
    assert reasons["does_not_fit"] == ["Item does not fit", "2", "2"]
    assert reasons["none"] == ["No reason given", "1", "2"]
    assert reasons["damaged_box_intact"][1:] == ["1", "1"] and reasons["no_longer_wanted"][1:] == ["1", "1"]
    skus = table(html, "skus")
    assert list(skus) == ["TEE-CLASSIC-M", "EARBUDS-WL", "CLEANER-AEROSOL", "MUG-CERAMIC-12"]
    assert skus["TEE-CLASSIC-M"][2:] == ["2", "2"] and skus["EARBUDS-WL"][2:] == ["1", "2"]
    mix = table(html, "mix")
    assert {k: v[1] for k, v in mix.items()} == {
        "restocked": "1",
        "quarantined": "1",
        "disposed": "2",
        "short": "0",
    }
    # Charts drawn on the server, named for screen readers.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg"') == 3
    assert "<title id=" in html and "Item does not fit: 2" in html
    assert 'aria-current="page">Last 30 days<' in html


def test_units_released_from_quarantine_count_where_they_went(
    known: TestClient, demo: dict[str, Any]
) -> None:
    [cracked] = [
        r["id"]
        for r in known.get("/2025-07/return", headers=merchant_headers(demo)).json()["items"]
        if r["status"] == "Completed" and [i["id"] for i in r["inventory"]] == [MUG]
    ]
    release = {"return_id": cracked, "inventory_id": MUG, "quantity": 1, "action": "Restock"}
    _warehouse(known, demo, "/quarantine/releases", release)
    mix = table(known.get("/insights").text, "mix")
    assert (mix["restocked"][1], mix["quarantined"][1]) == ("2", "0")


def test_a_preset_and_chosen_dates(known: TestClient) -> None:
    html = known.get("/insights", params={"days": "7"}).text  # the 10-day return began before
    assert (figure(html, "returns"), figure(html, "completed"), figure(html, "average-days")) == (
        "3",
        "2",
        "2.5",
    )
    assert 'aria-current="page">Last 7 days<' in html
    html = known.get("/insights", params={"from": "2001-01-01", "to": "2001-12-31"}).text
    assert "No returns in this period." in html and 'value="2001-01-01"' in html
    assert "data-figure" not in html


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "yesterday"}, "from", "must be a date written YYYY-MM-DD"),
        ({"from": "2026-02-30"}, "from", "must be a date written YYYY-MM-DD"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to", "must be on or after the from date"),
        ({"from": "2001-01-01", "to": "2026-01-01"}, "to", "at most 1098 days"),
        ({"to": "2026-04-01"}, "from", "give the first day of the period"),
        ({"days": "365"}, "days", "must be one of 7, 30, 90"),
        ({"from": "0001-01-01"}, "from", "must be between 2000-01-01 and 9998-12-31"),
    ],
)
def test_a_period_that_cannot_be_used_says_why_beside_the_field(
    known: TestClient, params: dict[str, str], field: str, message: str
) -> None:
    answer = known.get("/insights", params=params)
    assert answer.status_code == 400
    assert message in beside(answer.text, field)
    for name in ("from", "to"):
        assert f'value="{params.get(name, "")}"' in answer.text  # the dates typed are kept


def test_another_merchant_sees_none_of_it(known: TestClient, demo: dict[str, Any]) -> None:
    known.post("/logout", data={"csrftoken": known.cookies["homeward_csrf"]})
    sign_in(known, demo["web_users"]["other_merchant"])
    assert "No returns in this period." in known.get("/insights").text


def test_warehouse_staff_are_not_shown_insights(client: TestClient, demo: dict[str, Any]) -> None:
    sign_in(client, demo["web_users"]["warehouse"]["1"])
    assert client.get("/insights").status_code == 403

"""`homeward token create --warehouse` and the `homeward warehouse` twins of /warehouse/v1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from homeward.app import create_app
from homeward.doors.cli.main import app
from tests.builders import auth, merchant_headers, return_body
from tests.warehouse.flow import PNG

runner = CliRunner()


def homeward(database_url: str, *args: str) -> Any:
    return runner.invoke(app, [*args, "--database-url", database_url])


def test_a_warehouse_token_acts_in_its_center_only_and_not_on_the_merchant_api(
    database_url: str, demo: dict[str, Any]
) -> None:
    issued = homeward(database_url, "token", "create", "--warehouse", "2", "--name", "dock 2 scanner")
    assert issued.exit_code == 0, issued.output
    secret = issued.output.strip()
    client = TestClient(create_app(database_url))
    assert (
        client.get("/warehouse/v1/inventory", params={"inventory_id": 1001}, headers=auth(secret)).json()[
            "fulfillment_center_id"
        ]
        == 2
    )
    assert client.get("/2025-07/return", headers=auth(secret)).status_code == 403

    for args, message in [
        (("--warehouse", "99"), "Fulfillment center 99 does not exist"),
        (("--warehouse", "1", "--merchant", "1"), "exactly one of"),
        ((), "exactly one of"),
        (("--merchant", "1", "--scope", "warehouse"), "fulfillment center tokens"),
        (("--warehouse", "1", "--scope", "returns_read"), "warehouse scope only"),
    ]:
        refused = homeward(database_url, "token", "create", *args)
        assert refused.exit_code == 1 and message in refused.output, (args, refused.output)


def test_demo_data_prints_a_warehouse_token_per_center(database_url: str) -> None:
    result = homeward(database_url, "demo-data", "--json")
    demo = json.loads(result.output)
    assert set(demo["warehouse_tokens"]) == {str(fc["id"]) for fc in demo["fulfillment_centers"]}
    client = TestClient(create_app(database_url))
    for center, secret in demo["warehouse_tokens"].items():
        balance = client.get("/warehouse/v1/inventory", params={"inventory_id": 1001}, headers=auth(secret))
        assert balance.json()["fulfillment_center_id"] == int(center)


def test_the_cli_twins_receive_inspect_release_and_report_like_the_api(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    client = TestClient(create_app(database_url))
    body = return_body(demo, reference_id="CLI-1", tracking_number="1ZCLI1")
    return_id = client.post("/2025-07/return", json=body, headers=merchant_headers(demo)).json()["id"]
    token = demo["warehouse_tokens"]["1"]

    arrived = homeward(database_url, "warehouse", "arrive", "1ZCLI1", "--token", token)
    assert arrived.exit_code == 0, arrived.output
    assert json.loads(arrived.output)["status"] == "Arrived"

    file = tmp_path / "inspection.json"
    file.write_text(
        json.dumps(
            {
                "items": [
                    {"inventory_id": 1001, "quantity": 2, "photo": "front"},
                    {"inventory_id": 1002, "quantity": 1, "steps": {"no chips or cracks": True}},
                ]
            }
        )
    )
    (tmp_path / "front.png").write_bytes(PNG)
    inspected = homeward(
        database_url, "warehouse", "inspect", str(return_id), "--file", str(file),
        "--photo", f"front={tmp_path / 'front.png'}", "--warehouse", "1",
    )  # fmt: skip
    assert inspected.exit_code == 0, inspected.output
    result = json.loads(inspected.output)
    assert result["status"] == "Completed" and result["inspections"][0]["actor"].startswith("cli ")
    assert result["inspections"][0]["image_url"].endswith(".png")

    released = homeward(
        database_url, "warehouse", "release", str(return_id), "--item", "1002", "--quantity", "1",
        "--action", "Dispose", "--token", token,
    )  # fmt: skip
    assert released.exit_code == 0, released.output
    assert json.loads(released.output)["return_balance"] == {"sellable": 0, "quarantine": 0, "disposed": 1}

    stock = homeward(
        database_url, "warehouse", "inventory", "--item", "1001", "--token", demo["token"], "--fc", "1"
    )
    assert json.loads(stock.output) == {
        "inventory_id": 1001, "fulfillment_center_id": 1, "sellable": 2, "quarantine": 0, "disposed": 0,
    }  # fmt: skip
    shown = homeward(database_url, "warehouse", "show", str(return_id), "--token", token)
    assert json.loads(shown.output) == json.loads(
        client.get(f"/warehouse/v1/returns/{return_id}", headers=auth(token)).text
    )


def test_cli_errors_exit_1_say_why_and_change_nothing(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    token = demo["warehouse_tokens"]["1"]
    cases = [
        (("warehouse", "arrive", "NO-SUCH-BARCODE", "--token", token), "NO-SUCH-BARCODE"),
        (("warehouse", "arrive", "X"), "exactly one of --token or --warehouse"),
        (("warehouse", "arrive", "X", "--token", "hw_wrong"), "not valid"),
        (("warehouse", "arrive", "X", "--token", demo["token"]), "warehouse token"),
        (("warehouse", "arrive", "X", "--warehouse", "42"), "Fulfillment center 42 does not exist"),
        (("warehouse", "close", "12345", "--warehouse", "1"), "Return 12345 was not found"),
        (
            (
                "warehouse",
                "release",
                "1",
                "--item",
                "1",
                "--quantity",
                "1",
                "--action",
                "Keep",
                "--warehouse",
                "1",
            ),
            "Restock or Dispose",
        ),
    ]
    for args, message in cases:
        result = homeward(database_url, *args)
        assert result.exit_code == 1 and message in result.output, (args, result.output)
    bad = tmp_path / "bad.json"
    bad.write_text('{"items": [{"inventory_id": 1001, "quantity": 0}]}')
    refused = homeward(database_url, "warehouse", "inspect", "1", "--file", str(bad), "--warehouse", "1")
    assert refused.exit_code == 1 and "items[0].quantity" in refused.output
    client = TestClient(create_app(database_url))
    assert client.get("/2025-07/return", headers=merchant_headers(demo)).json()["items"] == []


def test_a_tote_is_received_in_one_go_and_the_refused_barcodes_are_listed(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    client = TestClient(create_app(database_url))
    ids = {}
    for reference in ("TOTE-CLI-1", "TOTE-CLI-2"):
        body = return_body(demo, reference_id=reference, original_shipment_id=None, tracking_number=None)
        ids[reference] = client.post("/2025-07/return", json=body, headers=merchant_headers(demo)).json()[
            "id"
        ]
    tote = tmp_path / "tote.txt"
    tote.write_text("TOTE-CLI-1\nNO-SUCH-BARCODE\n\nTOTE-CLI-2\n", encoding="utf-8")
    token = demo["warehouse_tokens"]["1"]

    scanned = homeward(database_url, "warehouse", "arrive-tote", str(tote), "--token", token)
    assert scanned.exit_code == 1, scanned.output
    lines = [json.loads(line) for line in scanned.output.splitlines()]
    assert [(line["barcode"], line["return_id"]) for line in lines] == [
        ("TOTE-CLI-1", ids["TOTE-CLI-1"]),
        ("NO-SUCH-BARCODE", None),
        ("TOTE-CLI-2", ids["TOTE-CLI-2"]),
    ]
    assert [e["field"] for e in lines[1]["errors"]] == ["barcode"]
    for return_id in ids.values():
        seen = client.get(f"/2025-07/return/{return_id}", headers=merchant_headers(demo)).json()
        assert seen["status"] == "Arrived"

    tote.write_text("TOTE-CLI-1\n", encoding="utf-8")
    again = homeward(database_url, "warehouse", "arrive-tote", str(tote), "--token", token)
    assert again.exit_code == 0 and json.loads(again.output)["return_id"] == ids["TOTE-CLI-1"]

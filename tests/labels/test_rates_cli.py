"""`homeward rates load FILE`: a merchant's own rate file replaces the rates; a bad one changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from homeward.doors.cli.main import app
from homeward.labels.service import default_rate_file
from tests.builders import merchant_headers, return_body

runner = CliRunner()

ONE_TEE = [{"id": 1001, "quantity": 1, "requested_action": "Default"}]


def fedex_only_card(version: str, price: str = "4.00") -> dict[str, Any]:
    """A merchant's own card: one carrier, one service, a flat price in both zones it needs."""
    data = json.loads(default_rate_file())
    data["version"] = version
    fedex = next(c for c in data["carriers"] if c["code"] == "FedEx")
    fedex["surcharges"] = [{"name": "Fuel", "percent": "10"}]
    ground = next(s for s in fedex["services"] if s["code"] == "Ground")
    ground["surcharges"] = []
    ground["brackets"] = [{"up_to_kg": "68", "zones": {z: price for z in "2345678"}}]
    fedex["services"] = [ground]
    data["carriers"] = [fedex]
    return dict(data)


def rates(*args: str, database_url: str) -> Any:
    return runner.invoke(app, ["rates", *args, "--database-url", database_url])


def write(tmp_path: Path, name: str, content: Any) -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def label_bought(client: TestClient, demo: dict[str, Any], reference_id: str) -> dict[str, Any]:
    body = return_body(demo, reference_id=reference_id, tracking_number=None, inventory=ONE_TEE)
    response = client.post(
        "/2025-07/return", json={**body, "label": {"type": "Optimized"}}, headers=merchant_headers(demo)
    )
    assert response.status_code == 201, response.text
    return dict(response.json()["label"])


def test_demo_data_loads_the_packaged_rate_card(database_url: str, demo: dict[str, Any]) -> None:
    shown = rates("show", database_url=database_url)
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["version"] == "2026-11-default"


def test_a_loaded_rate_file_prices_the_next_labels(
    database_url: str, demo: dict[str, Any], client: TestClient, tmp_path: Path
) -> None:
    before = label_bought(client, demo, "BEFORE")
    loaded = rates(
        "load", write(tmp_path, "mine.json", fedex_only_card("acme-2027-01")), database_url=database_url
    )

    assert loaded.exit_code == 0, loaded.output
    assert json.loads(loaded.output) == {
        "version": "acme-2027-01",
        "loaded": True,
        "carriers": {"FedEx": ["Ground"]},
    }
    after = label_bought(client, demo, "AFTER")
    assert (after["carrier"], after["service"], after["cost"]) == ("FedEx", "Ground", 4.40)
    assert after["rate_card_version"] == "acme-2027-01"
    assert before["rate_card_version"] == "2026-11-default"  # a bought label keeps what it cost


def test_loading_the_same_file_again_changes_nothing(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    path = write(tmp_path, "mine.json", fedex_only_card("acme-2027-01"))
    assert rates("load", path, database_url=database_url).exit_code == 0
    again = rates("load", path, database_url=database_url)
    assert again.exit_code == 0 and json.loads(again.output)["loaded"] is False


def test_a_bad_rate_file_exits_1_naming_the_problem_and_changes_nothing(
    database_url: str, demo: dict[str, Any], client: TestClient, tmp_path: Path
) -> None:
    broken = fedex_only_card("acme-broken")
    broken["carriers"][0]["account"] = "77X"
    broken["carriers"][0]["services"][0]["brackets"][0]["zones"].pop("7")
    not_json = write(tmp_path, "not.json", "{carriers: [")
    reused = fedex_only_card("2026-11-default", price="1.00")  # the loaded version, other rates

    for path, words in [
        (
            write(tmp_path, "broken.json", broken),
            ["carriers[0].account", "carriers[0].services[0].brackets[0].zones: no price for zone(s) 7"],
        ),
        (not_json, ["not valid JSON"]),
        (write(tmp_path, "reused.json", reused), ["version: '2026-11-default' is taken"]),
    ]:
        result = rates("load", path, database_url=database_url)
        assert result.exit_code == 1, result.output
        for word in words:
            assert word in result.output, result.output

    assert json.loads(rates("show", database_url=database_url).output)["version"] == "2026-11-default"
    assert label_bought(client, demo, "STILL")["rate_card_version"] == "2026-11-default"

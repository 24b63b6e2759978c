"""The `homeward` command: demo data, imports and tokens, with exit codes a script can trust."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from homeward.app import create_app
from homeward.doors.cli.main import app
from tests.builders import auth

runner = CliRunner()


def homeward(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "homeward", *args], capture_output=True, text=True, timeout=120, input=input
    )


def test_demo_data_twice_neither_fails_nor_duplicates(database_url: str) -> None:
    first = homeward("demo-data", "--database-url", database_url, "--json")
    second = homeward("demo-data", "--database-url", database_url, "--json")
    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    # Secrets are re-issued on every run (only hashes are stored): tokens, FTP and web passwords.
    assert one["marketplace"].pop("ftp_password") != two["marketplace"].pop("ftp_password")
    web_one, web_two = one.pop("web_users"), two.pop("web_users")
    assert web_one["merchant"]["password"] != web_two["merchant"]["password"]
    for users in (web_one, web_two):
        for login in (users["merchant"], users["other_merchant"], *users["warehouse"].values()):
            login.pop("password")
    assert web_one == web_two
    assert set(web_two["warehouse"]) == {str(fc["id"]) for fc in two["fulfillment_centers"]}
    for platform in ("aftership", "loop"):  # and the platforms' webhook secrets; their paths stay
        assert one["integrations"][platform].pop("secret") != two["integrations"][platform].pop("secret")
    assert {k: v for k, v in one.items() if "token" not in k} == {
        k: v for k, v in two.items() if "token" not in k
    }

    demo = two
    assert len(demo["fulfillment_centers"]) >= 2
    assert len({fc["country"] for fc in demo["fulfillment_centers"]}) >= 2
    shipments = demo["shipments"]
    assert set(shipments) >= {"regular", "hazmat", "bundle", "lot", "unshipped"}
    assert len(shipments["regular"]["inventory"]) >= 2
    assert max(i["quantity"] for i in shipments["regular"]["inventory"]) >= 2
    assert "bundle_inventory_id" in shipments["bundle"]
    for shipment in shipments.values():
        assert set(shipment) >= {
            "id",
            "store_order_id",
            "tracking_number",
            "fulfillment_center_id",
            "inventory",
        }

    client = TestClient(create_app(database_url))
    listed = client.get("/2025-07/fulfillment-center", headers=auth(demo["token"]))
    assert len(listed.json()) == len(demo["fulfillment_centers"])  # no duplicates after two loads
    assert client.get("/2025-07/return", headers=auth(demo["readonly_token"])).status_code == 200
    assert client.get("/2025-07/return", headers=auth(one["token"])).status_code == 401  # re-issued
    assert (
        client.get("/2025-07/channel", headers=auth(demo["other_token"])).json()["items"][0]["id"]
        != demo["channel_id"]
    )


def test_token_create_prints_a_working_token_with_chosen_scopes(
    database_url: str, demo: dict[str, Any]
) -> None:
    result = runner.invoke(
        app, ["token", "create", "--merchant", "1", "--scope", "returns_read", "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip()
    client = TestClient(create_app(database_url))
    assert client.get("/2025-07/return", headers=auth(secret)).status_code == 200
    assert client.post("/2025-07/return", json={}, headers=auth(secret, 11)).status_code == 403


def test_token_create_refuses_unknown_scope_and_merchant(database_url: str, demo: dict[str, Any]) -> None:
    bad_scope = runner.invoke(
        app, ["token", "create", "--merchant", "1", "--scope", "root", "--database-url", database_url]
    )
    assert bad_scope.exit_code == 1 and "Unknown scope" in bad_scope.output
    no_merchant = runner.invoke(app, ["token", "create", "--merchant", "77", "--database-url", database_url])
    assert no_merchant.exit_code == 1 and "Merchant 77 does not exist" in no_merchant.output


def test_tokens_are_stored_hashed(database_url: str, demo: dict[str, Any]) -> None:
    from sqlalchemy import create_engine, text

    from homeward.db import normalize_url

    engine = create_engine(normalize_url(database_url))
    with engine.connect() as conn:
        stored = [row[0] for row in conn.execute(text("SELECT token_hash FROM access_tokens"))]
    engine.dispose()
    assert demo["token"] not in stored and all(len(h) == 64 for h in stored)


def test_import_file_and_its_errors(database_url: str, demo: dict[str, Any], tmp_path: Path) -> None:
    good = tmp_path / "catalog.jsonl"
    good.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"type": "product", "id": 3001, "merchant_id": 1, "sku": "SOCK", "name": "Socks"},
                {
                    "type": "order",
                    "id": 9001,
                    "merchant_id": 1,
                    "channel_id": 11,
                    "store_order_id": "ACME-9001",
                    "shipments": [
                        {
                            "id": 9101,
                            "fulfillment_center_id": 1,
                            "tracking_number": "TRK-9101",
                            "lines": [{"inventory_id": 3001, "quantity": 4}],
                        }
                    ],
                },
            ]
        )
    )
    result = runner.invoke(app, ["import", str(good), "--database-url", database_url])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"imported": {"product": 1, "order": 1}}

    client = TestClient(create_app(database_url))
    body = {
        "fulfillment_center": {"id": 1},
        "reference_id": "IMP-1",
        "original_shipment_id": 9101,
        "inventory": [{"id": 3001, "quantity": 4, "requested_action": "Default"}],
    }
    assert client.post("/2025-07/return", json=body, headers=auth(demo["token"], 11)).status_code == 201

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"type": "product", "id": 3002, "merchant_id": 1, "sku": "X", "name": "X"}\n'
        '{"type": "product", "id": "nope"}\nnot json\n'
    )
    failed = runner.invoke(app, ["import", str(bad), "--database-url", database_url])
    assert failed.exit_code == 1
    assert "line 2" in failed.output and "line 3" in failed.output and "nothing was imported" in failed.output
    unknown = tmp_path / "unknown.jsonl"
    unknown.write_text(
        '{"type": "product", "id": 3003, "merchant_id": 1, "sku": "Y", "name": "Y",'
        ' "components": [{"id": 999999}]}\n'
    )
    assert runner.invoke(app, ["import", str(unknown), "--database-url", database_url]).exit_code == 1
    inventory_ids = {3002, 3003}
    response = client.post(
        "/2025-07/return",
        headers=auth(demo["token"], 11),
        json={
            "fulfillment_center": {"id": 1},
            "reference_id": "IMP-2",
            "inventory": [{"id": i, "quantity": 1, "requested_action": "Default"} for i in inventory_ids],
        },
    )
    assert response.status_code == 422  # neither bad file stored a product


def test_user_create_then_sign_in_over_http(database_url: str) -> None:
    from fastapi.testclient import TestClient

    from homeward.app import create_app

    homeward("demo-data", "--database-url", database_url)
    made = homeward(
        "user",
        "create",
        "--merchant",
        "1",
        "--email",
        "Ana@Example.com",
        "--password-stdin",
        "--database-url",
        database_url,
        input="correct horse battery\n",
    )
    assert made.returncode == 0, made.stderr
    again = homeward(
        "user", "create", "--merchant", "1", "--email", "ana@example.com", "--database-url", database_url
    )
    assert again.returncode == 1 and "already has an account" in again.stderr
    nowhere = homeward(
        "user", "create", "--warehouse", "999", "--email", "w@example.com", "--database-url", database_url
    )
    assert nowhere.returncode == 1 and "Fulfillment center 999 does not exist" in nowhere.stderr
    short = homeward(
        "user",
        "create",
        "--warehouse",
        "1",
        "--email",
        "w@example.com",
        "--password-stdin",
        "--database-url",
        database_url,
        input="short\n",
    )
    assert short.returncode == 1 and "password" in short.stderr
    client = TestClient(create_app(database_url))
    client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrftoken": client.cookies["homeward_csrf"],
            "email": "ana@example.com",
            "password": "correct horse battery",
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303
    made_up = homeward(
        "user", "create", "--warehouse", "1", "--email", "w2@example.com", "--database-url", database_url
    )
    assert made_up.returncode == 0 and "password: " in made_up.stdout


def test_webhook_subscriptions_from_the_command_line_look_as_the_api_shows_them(
    database_url: str, client: TestClient, demo: dict[str, Any], allow_private: None
) -> None:
    base = ("--merchant", str(demo["merchant_id"]), "--database-url", database_url)
    added = homeward("webhook", "add", "http://127.0.0.1:9/cli", "--topic", "return.created", *base)
    assert added.returncode == 0, added.stderr
    created = json.loads(added.stdout)
    assert created.pop("secret").startswith("whsec_")
    listed = homeward("webhook", "list", *base)
    assert listed.returncode == 0, listed.stderr
    [line] = [json.loads(line) for line in listed.stdout.splitlines()]
    api = client.get("/2025-07/webhook", headers=auth(demo["token"])).json()
    assert line == created == api[0] and line["topics"] == ["return.created"]
    refused = homeward("webhook", "add", "ftp://example.com/", *base)
    assert refused.returncode == 1 and "url" in refused.stderr
    removed = homeward("webhook", "remove", str(created["id"]), *base)
    assert removed.returncode == 0 and homeward("webhook", "list", *base).stdout == ""

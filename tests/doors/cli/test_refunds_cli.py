"""`homeward refunds process` and `homeward ftp user ...`: what an operator types, what they get back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from homeward.db import normalize_url
from homeward.doors.cli.main import app
from tests.refund_files import GOOD_NAME, read_ack, refund_csv, refund_row

runner = CliRunner()


def test_process_prints_the_ack_path_and_writes_the_ack_beside_the_file(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    inbox = tmp_path / "JetRefunds"
    inbox.mkdir()
    (inbox / GOOD_NAME).write_bytes(
        refund_csv(refund_row(), refund_row(alt_refund_id="X", refund_reason="?"))
    )

    result = runner.invoke(
        app, ["refunds", "process", str(inbox / GOOD_NAME), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    ack_path = inbox / "Acks" / "JET_REFUND_072316143000_Ack.csv"
    assert str(ack_path) in result.output.splitlines()
    assert [a["Status"] for a in read_ack(ack_path.read_bytes())] == ["TRUE", "FALSE"]

    elsewhere, db_option = tmp_path / "answers", ["--database-url", database_url]
    other = runner.invoke(
        app,
        [
            "refunds",
            "process",
            str(inbox / GOOD_NAME),
            "--merchant",
            "1",
            "--ack-dir",
            str(elsewhere),
            *db_option,
        ],
    )
    assert other.exit_code == 0, other.output
    again = read_ack((elsewhere / ack_path.name).read_bytes())
    assert again[0]["ErrorMessage"].startswith("alt_refund_id: duplicate alt_refund_id")


def test_process_errors_exit_non_zero_with_a_message(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    refund_file = tmp_path / GOOD_NAME
    refund_file.write_bytes(refund_csv(refund_row()))
    unknown = runner.invoke(
        app, ["refunds", "process", str(refund_file), "--merchant", "77", "--database-url", database_url]
    )
    assert unknown.exit_code == 1 and "Merchant 77 does not exist" in unknown.output
    missing = runner.invoke(
        app, ["refunds", "process", str(tmp_path / "nope.csv"), "--database-url", database_url]
    )
    assert missing.exit_code != 0 and "does not exist" in missing.output
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the ack folder should be")
    unwritable = runner.invoke(
        app,
        ["refunds", "process", str(refund_file), "--ack-dir", str(blocked), "--database-url", database_url],
    )
    assert unwritable.exit_code == 1 and "The ack could not be written" in unwritable.output
    resumed = runner.invoke(app, ["refunds", "process", str(refund_file), "--database-url", database_url])
    assert resumed.exit_code == 0  # the same file again finishes what was started: the row is TRUE once
    assert (
        read_ack((tmp_path / "Acks" / "JET_REFUND_072316143000_Ack.csv").read_bytes())[0]["Status"] == "TRUE"
    )

    # With a second merchant selling on the marketplace, the merchant must be named.
    record = {
        "type": "marketplace_order",
        "merchant_id": 2,
        "merchant_order_id": "G-1",
        "status": "Completed",
        "items": [
            {
                "order_item_id": "G-1-1",
                "quantity": 1,
                "principal": "1",
                "tax": "0",
                "shipping_cost": "0",
                "shipping_tax": "0",
            }
        ],
    }
    records = tmp_path / "globex.jsonl"
    records.write_text(json.dumps(record))
    assert runner.invoke(app, ["import", str(records), "--database-url", database_url]).exit_code == 0
    ambiguous = runner.invoke(app, ["refunds", "process", str(refund_file), "--database-url", database_url])
    assert ambiguous.exit_code == 1 and "--merchant is required" in ambiguous.output


def test_ftp_user_commands_store_only_a_slow_salted_hash(database_url: str, demo: dict[str, Any]) -> None:
    added = runner.invoke(
        app, ["ftp", "user", "add", "acme-ops", "--merchant", "1", "--database-url", database_url]
    )
    assert added.exit_code == 0, added.output
    generated = added.output.strip()
    assert len(generated) >= 20

    chosen = runner.invoke(
        app,
        [
            "ftp",
            "user",
            "add",
            "acme-two",
            "--merchant",
            "1",
            "--password-stdin",
            "--database-url",
            database_url,
        ],
        input="correct horse battery staple\n",
    )
    assert chosen.exit_code == 0 and "added" in chosen.output and "staple" not in chosen.output

    listed = runner.invoke(app, ["ftp", "user", "list", "--database-url", database_url])
    users = [json.loads(line) for line in listed.output.splitlines()]
    assert {"username": "acme-ops", "merchant_id": 1} in users and {
        "username": "acme-two",
        "merchant_id": 1,
    } in users
    assert generated not in listed.output

    engine = create_engine(normalize_url(database_url))
    with engine.connect() as conn:
        stored = dict(conn.execute(text("SELECT username, password_hash FROM ftp_accounts")).all())
    engine.dispose()
    for username in ("acme-ops", "acme-two"):
        assert stored[username].startswith("scrypt$16384$8$1$")
    assert generated not in stored["acme-ops"] and "staple" not in stored["acme-two"]
    salts = {h.split("$")[4] for h in stored.values()}
    assert len(salts) == len(stored)  # every hash has its own salt

    from homeward.db import Database
    from homeward.ftp_accounts.service import authenticate

    db = Database(database_url)
    assert authenticate(db, "acme-two", "correct horse battery staple") is not None
    assert authenticate(db, "acme-two", "correct horse battery stapler") is None

    renewed = runner.invoke(app, ["ftp", "user", "passwd", "acme-ops", "--database-url", database_url])
    assert renewed.exit_code == 0 and renewed.output.strip() != generated
    assert authenticate(db, "acme-ops", generated) is None
    assert authenticate(db, "acme-ops", renewed.output.strip()) is not None

    taken = runner.invoke(
        app, ["ftp", "user", "add", "acme-ops", "--merchant", "1", "--database-url", database_url]
    )
    assert taken.exit_code == 1 and "already" in taken.output
    bad_name = runner.invoke(
        app, ["ftp", "user", "add", "Bad/Name", "--merchant", "1", "--database-url", database_url]
    )
    assert bad_name.exit_code == 1 and "username" in bad_name.output
    short = runner.invoke(
        app,
        [
            "ftp",
            "user",
            "add",
            "acme-3",
            "--merchant",
            "1",
            "--password-stdin",
            "--database-url",
            database_url,
        ],
        input="short\n",
    )
    assert short.exit_code == 1 and "password" in short.output
    no_merchant = runner.invoke(
        app, ["ftp", "user", "add", "ghost", "--merchant", "77", "--database-url", database_url]
    )
    assert no_merchant.exit_code == 1 and "Merchant 77 does not exist" in no_merchant.output

    removed = runner.invoke(app, ["ftp", "user", "remove", "acme-ops", "--database-url", database_url])
    assert removed.exit_code == 0
    assert authenticate(db, "acme-ops", renewed.output.strip()) is None
    gone = runner.invoke(app, ["ftp", "user", "remove", "acme-ops", "--database-url", database_url])
    assert gone.exit_code == 1 and "does not exist" in gone.output

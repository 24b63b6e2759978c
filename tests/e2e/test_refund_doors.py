"""One refund file, four doors (CLI, REST, Homeward's FTP server, the poller of a merchant's FTP site):
from the same starting state, the same ack, byte for byte."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, update
from typer.testing import CliRunner

from homeward.app import create_app
from homeward.db import Database
from homeward.doors.cli.main import app
from homeward.marketplace.models import MarketplaceOrderItem
from homeward.refunds.models import Refund, RefundFile, RefundFileRow, RefundLine
from tests.builders import auth
from tests.ftp_support import (
    MERCHANT_SITE_PASSWORD,
    ftp_login,
    ftp_server,
    merchant_site,
    upload,
    wait_for_ack,
)
from tests.refund_files import GOOD_NAME, MUG, read_ack, refund_csv, refund_row, wait_for

ACK = "JET_REFUND_072316143000_Ack.csv"
POLL = (sys.executable, "-m", "homeward", "refunds", "poll")
DATA = refund_csv(
    refund_row(alt_refund_id="M1"),
    refund_row(
        alt_refund_id="M2",
        order_item_id=MUG,
        refund_reason="Item is expired",
        principal="5",
        tax="",
        shipping_cost="",
        shipping_tax="",
    ),
    refund_row(
        alt_refund_id="M2",
        refund_feedback="item damaged",
        principal="1.00",
        tax="0",
        shipping_cost="0",
        shipping_tax="0",
    ),
    refund_row(alt_refund_id="M3", merchant_order_id="JET-ACME-1009", order_item_id="JET-ACME-1009-1"),
    refund_row(alt_refund_id="M4", principal="20.001"),
    bom=True,
)


def forget_refunds(db: Database) -> None:
    """Back to the state before any refund file (test-only: a real system never forgets a refund)."""
    with db.write() as session:
        for model in (RefundLine, Refund, RefundFileRow, RefundFile):
            session.execute(delete(model))
        session.execute(
            update(MarketplaceOrderItem).values(
                refunded_quantity=0,
                refunded_principal=0,
                refunded_tax=0,
                refunded_shipping_cost=0,
                refunded_shipping_tax=0,
            )
        )


def test_every_door_answers_the_same_file_with_the_same_ack(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    acks: dict[str, bytes] = {}

    (tmp_path / "cli").mkdir()
    (tmp_path / "cli" / GOOD_NAME).write_bytes(DATA)
    result = CliRunner().invoke(
        app, ["refunds", "process", str(tmp_path / "cli" / GOOD_NAME), "--database-url", database_url]
    )
    assert result.exit_code == 0, result.output
    acks["cli"] = (tmp_path / "cli" / "Acks" / ACK).read_bytes()
    forget_refunds(db)

    response = TestClient(create_app(database_url)).post(
        "/refunds/v1/files", params={"name": GOOD_NAME}, content=DATA, headers=auth(demo["token"])
    )
    acks["rest"] = response.content
    forget_refunds(db)

    user, password = demo["marketplace"]["ftp_user"], demo["marketplace"]["ftp_password"]
    with ftp_server(database_url, tmp_path / "ftp") as server, ftp_login(server.port, user, password) as ftp:
        upload(ftp, f"JetRefunds/{GOOD_NAME}", DATA)
        acks["ftp server"] = wait_for_ack(ftp, ACK)
    forget_refunds(db)

    inbox = tmp_path / "site" / "JetRefunds"
    (inbox / "Acks").mkdir(parents=True)
    (inbox / GOOD_NAME).write_bytes(DATA)
    with merchant_site(tmp_path / "site") as port:
        polled = subprocess.run(
            [
                *POLL,
                "--url",
                f"ftp://acme@127.0.0.1:{port}/",
                "--settle",
                "0",
                "--database-url",
                database_url,
            ],
            env={**os.environ, "HOMEWARD_POLL_PASSWORD": MERCHANT_SITE_PASSWORD},
            capture_output=True,
            timeout=120,
        )
        assert polled.returncode == 0, polled.stderr
        acks["poller"] = wait_for(lambda: (inbox / "Acks" / ACK).read_bytes())

    assert [a["Status"] for a in read_ack(acks["cli"])] == ["TRUE", "FALSE", "FALSE", "FALSE", "FALSE"]
    assert acks["cli"].startswith(b"\xef\xbb\xbf")
    for door, ack in acks.items():
        assert ack == acks["cli"], door

"""`homeward ftp serve` end to end: a real server process, a real FTP client, the demo's FTP user."""

from __future__ import annotations

import ftplib
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from homeward.db import Database
from homeward.demo.data import OTHER_MERCHANT
from homeward.doors.cli.main import app
from homeward.ftp_accounts.service import add_account
from tests.ftp_support import download, ftp_login, ftp_server, names, upload, wait_for_ack
from tests.refund_files import GOOD_NAME, MUG, cent_refunds, read_ack, refund_csv, refund_row

ACK = "JET_REFUND_072316143000_Ack.csv"


def test_an_upload_is_answered_with_an_ack_in_acks(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    user, password = demo["marketplace"]["ftp_user"], demo["marketplace"]["ftp_password"]
    data = refund_csv(
        refund_row(alt_refund_id="E1"),
        refund_row(alt_refund_id="E2", order_item_id=MUG, principal="99.00"),
    )
    with ftp_server(database_url, tmp_path / "ftp") as server, ftp_login(server.port, user, password) as ftp:
        assert names(ftp, "JetRefunds") >= {"Acks"}  # both folders exist at first login
        upload(ftp, f"JetRefunds/{GOOD_NAME}", data)
        ack = read_ack(wait_for_ack(ftp, ACK))
        assert [a["Status"] for a in ack] == ["TRUE", "FALSE"]
        assert ack[1]["ErrorMessage"].startswith("principal: 99.00 exceeds the 12.50 still refundable")
        assert GOOD_NAME not in names(ftp, "JetRefunds")  # taken from the inbox; the ack repeats its rows

        # The same rows again under another name: duplicates, nothing refunded twice.
        upload(ftp, "JetRefunds/JET_REFUND_072316143100.csv", data)
        again = read_ack(wait_for_ack(ftp, "JET_REFUND_072316143100_Ack.csv"))
        assert again[0]["ErrorMessage"].startswith("alt_refund_id: duplicate alt_refund_id")

        # Any other name in the inbox gets an ack saying why, and is not processed.
        upload(ftp, "JetRefunds/refunds-july.csv", data)
        odd = read_ack(wait_for_ack(ftp, "refunds-july_Ack.csv"))
        assert len(odd) == 1 and "is not JET_REFUND_MMDDYYHHMMSS.csv" in odd[0]["ErrorMessage"]

        # Clients that upload under a temporary name and rename (WinSCP) are answered once, on rename.
        upload(
            ftp, "JetRefunds/JET_REFUND_072316143200.csv.filepart", refund_csv(refund_row(alt_refund_id="E3"))
        )
        ftp.rename(
            "JetRefunds/JET_REFUND_072316143200.csv.filepart", "JetRefunds/JET_REFUND_072316143200.csv"
        )
        renamed = read_ack(wait_for_ack(ftp, "JET_REFUND_072316143200_Ack.csv"))
        assert [a["Status"] for a in renamed] == ["TRUE"]
        assert not any(n.endswith("filepart_Ack.csv") for n in names(ftp, "JetRefunds/Acks"))

        # An upload elsewhere in the home is just a file.
        upload(ftp, "notes.txt", b"hello")
        assert download(ftp, "notes.txt") == b"hello"
    assert (
        (tmp_path / "ftp" / user / "JetRefunds" / "Acks" / ACK).read_bytes().startswith(b"merchant_order_id,")
    )


def test_accounts_are_checked_jailed_and_their_passwords_never_logged(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    # The demo as a user would load it: `homeward demo-data --json` re-issues the FTP password.
    loaded = subprocess.run(
        [sys.executable, "-m", "homeward", "demo-data", "--json", "--database-url", database_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    user, password = (json.loads(loaded.stdout)["marketplace"][k] for k in ("ftp_user", "ftp_password"))
    retired = demo["marketplace"]["ftp_password"]
    runner = CliRunner()
    added = runner.invoke(
        app, ["ftp", "user", "add", "globex", "--merchant", "2", "--database-url", database_url]
    )
    assert added.exit_code == 0, added.output
    globex_password = added.output.strip()

    with ftp_server(database_url, tmp_path / "ftp") as server:

        def refused(who: str, secret: str) -> bool:
            try:
                with ftp_login(server.port, who, secret):
                    return False
            except ftplib.error_perm as exc:
                return str(exc).startswith("530")

        with ThreadPoolExecutor(3) as pool:  # each refusal is delayed 3 s against guessing
            assert all(pool.map(refused, (user, user, "nobody"), ("wrong-password", retired, password)))
        with ftp_login(server.port, user, password) as acme:
            upload(acme, f"JetRefunds/{GOOD_NAME}", refund_csv(refund_row(alt_refund_id="J1")))
            wait_for_ack(acme, ACK)
        with ftp_login(server.port, "globex", globex_password) as globex:
            assert names(globex, "JetRefunds/Acks") == set()  # a home of its own
            globex.cwd("/..")
            assert globex.pwd() == "/"  # there is nothing above the home
            for path in (f"../{user}/JetRefunds/Acks/{ACK}", f"/../{user}/JetRefunds/Acks/{ACK}"):
                with pytest.raises(ftplib.error_perm):
                    download(globex, path)
            # Globex's file is judged against Globex's orders: JET-ACME-1001 is not one of them.
            upload(globex, f"JetRefunds/{GOOD_NAME}", refund_csv(refund_row(alt_refund_id="J2")))
            ack = read_ack(wait_for_ack(globex, ACK))
            assert ack[0]["ErrorMessage"] == "merchant_order_id: order 'JET-ACME-1001' was not found"
        log = server.stderr()
    assert "refund file answered" in log  # it does log, just never a secret
    for secret in (password, retired, globex_password, "wrong-password"):
        assert secret not in log


def test_one_merchants_slow_file_does_not_hold_up_another_merchants_ack(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    """Files of different FTP users are worked on at once; one user's files in turn."""
    user, password = demo["marketplace"]["ftp_user"], demo["marketplace"]["ftp_password"]
    other = add_account(db, OTHER_MERCHANT, "other-shop")
    slow = {"HOMEWARD_REFUNDS_TEST_GROUP_DELAY": "0.3", "HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION": "1"}
    big = cent_refunds(20, prefix="S")
    with ftp_server(database_url, tmp_path / "ftp", extra_env=slow) as server:
        with ftp_login(server.port, user, password) as ftp:
            upload(ftp, f"JetRefunds/{GOOD_NAME}", big)  # 20 transactions, 0.3 s apart: 6 s or more
        with ftp_login(server.port, other.username, other.password) as ftp:
            upload(ftp, f"JetRefunds/{GOOD_NAME}", refund_csv(refund_row(merchant_order_id="NOT-MINE")))
            small = read_ack(wait_for_ack(ftp, ACK))
        with ftp_login(server.port, user, password) as ftp:
            assert ACK not in names(ftp, "JetRefunds/Acks")  # the big file is still being worked on
            assert len(read_ack(wait_for_ack(ftp, ACK))) == 20
    assert small[0]["ErrorMessage"] == "merchant_order_id: order 'NOT-MINE' was not found"

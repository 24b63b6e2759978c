"""Exactly once, even through crashes: real processes, a real `kill -9` mid-file, and a restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from homeward.db import Database
from homeward.marketplace.models import MarketplaceOrderItem
from homeward.refunds.acks import AckFolder
from homeward.refunds.models import Refund
from homeward.refunds.records import Inbound, Source
from homeward.refunds.service import handle
from tests.ftp_support import ftp_login, ftp_server, names, upload, wait_for_ack
from tests.refund_files import GOOD_NAME, TEES, cent_refunds, read_ack, wait_for

GROUPS = 30
# Three groups per transaction, a pause after each: ~4 s for the file, time to kill it mid-way.
BATCH = 3
SLOW = {"HOMEWARD_REFUNDS_TEST_GROUP_DELAY": "0.4", "HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION": str(BATCH)}


def process_command(path: Path, database_url: str) -> list[str]:
    return [sys.executable, "-m", "homeward", "refunds", "process", str(path), "--database-url", database_url]


def refunds_applied(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Refund)) or 0)


def tees_refunded(db: Database) -> tuple[int, Decimal]:
    with db.read() as session:
        item = session.scalars(
            select(MarketplaceOrderItem).where(MarketplaceOrderItem.order_item_id == TEES)
        ).one()
        return item.refunded_quantity, item.refunded_principal


def test_ftp_server_killed_mid_file_finishes_it_after_restart_applying_each_refund_once(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    user, password = demo["marketplace"]["ftp_user"], demo["marketplace"]["ftp_password"]
    root = tmp_path / "ftp"
    ack_file = root / user / "JetRefunds" / "Acks" / "JET_REFUND_072316143000_Ack.csv"
    with ftp_server(database_url, root, extra_env=SLOW) as server:
        with ftp_login(server.port, user, password) as ftp:
            upload(ftp, f"JetRefunds/{GOOD_NAME}", cent_refunds(GROUPS))
        wait_for(lambda: refunds_applied(db) >= 5, what="some refunds to be applied")
        server.kill()
    applied = refunds_applied(db)
    assert 5 <= applied < GROUPS, applied  # killed mid-file
    assert applied % BATCH == 0, applied  # a batch is applied whole or not at all
    assert not ack_file.exists()  # no ack for a file that was not finished

    with ftp_server(database_url, root) as server, ftp_login(server.port, user, password) as ftp:
        ack = read_ack(wait_for_ack(ftp, ack_file.name))
        assert GOOD_NAME not in names(ftp, "JetRefunds")
    assert len(ack) == GROUPS and all(a["Status"] == "TRUE" for a in ack), ack
    assert refunds_applied(db) == GROUPS
    assert tees_refunded(db) == (0, Decimal("0.30"))


def test_cli_killed_mid_file_and_run_again_finishes_it_applying_each_refund_once(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    refund_file = tmp_path / GOOD_NAME
    refund_file.write_bytes(cent_refunds(GROUPS))
    command = process_command(refund_file, database_url)
    slow = subprocess.Popen(
        command, env={**os.environ, **SLOW}, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        wait_for(lambda: refunds_applied(db) >= 5, what="some refunds to be applied")
    finally:
        os.kill(slow.pid, signal.SIGKILL)
        slow.communicate(timeout=30)
    assert slow.returncode == -signal.SIGKILL
    assert 5 <= refunds_applied(db) < GROUPS
    assert refunds_applied(db) % BATCH == 0

    rerun = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    ack = read_ack(Path(rerun.stdout.strip()).read_bytes())
    assert [a["Status"] for a in ack] == ["TRUE"] * GROUPS
    assert refunds_applied(db) == GROUPS and tees_refunded(db) == (0, Decimal("0.30"))


def test_two_processes_racing_on_the_same_alt_refund_ids_apply_each_once(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    """Two copies of a file under two names, processed at the same moment by two processes."""
    commands = []
    for name in ("JET_REFUND_010124120000.csv", "JET_REFUND_010124120100.csv"):
        (tmp_path / name).write_bytes(cent_refunds(GROUPS, prefix="C"))
        commands.append(process_command(tmp_path / name, database_url))
    processes = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for c in commands
    ]
    acks = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err
        acks.append(read_ack(Path(out.strip()).read_bytes()))

    for first, second in zip(*acks, strict=True):
        statuses = sorted([first["Status"], second["Status"]])
        assert statuses == ["FALSE", "TRUE"], (first, second)  # each refund won by exactly one file
        loser = first if first["Status"] == "FALSE" else second
        assert loser["ErrorMessage"].startswith("alt_refund_id: duplicate alt_refund_id")
    assert refunds_applied(db) == GROUPS and tees_refunded(db) == (0, Decimal("0.30"))


def test_the_database_itself_refuses_a_second_refund_with_the_same_alt_refund_id(
    db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    """The last line of defence, should two processors ever both pass the check before inserting."""
    refund_file = tmp_path / GOOD_NAME
    refund_file.write_bytes(cent_refunds(1))
    handle(db, Inbound(1, GOOD_NAME, refund_file, Source.CLI), AckFolder(tmp_path / "Acks"))
    with db.read() as session:
        first = session.scalars(select(Refund)).one()
        copy = {c: getattr(first, c) for c in ("merchant_id", "marketplace_order_id", "merchant_order_id")}
        copy |= {
            "alt_refund_id": first.alt_refund_id,
            "file_id": first.file_id,
            "created_at": first.created_at,
        }
    with pytest.raises(IntegrityError), db.write() as session:
        session.add(Refund(**copy))
        session.flush()

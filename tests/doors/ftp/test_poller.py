"""`homeward refunds poll`: a merchant-hosted FTP site (a real pyftpdlib server started here, playing
the merchant's) is polled, its new refund files processed and answered with acks."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from homeward.db import Database
from homeward.marketplace.models import MarketplaceOrderItem
from homeward.refunds.models import Refund
from tests.ftp_support import MERCHANT_SITE_PASSWORD as PASSWORD
from tests.ftp_support import merchant_site
from tests.refund_files import (
    GOOD_NAME,
    MUG,
    TEES,
    read_ack,
    read_if_exists,
    refund_csv,
    refund_row,
    wait_for,
)
from tests.support import free_port


def poll_command(port: int, database_url: str, *extra: str, folder: str = "shop/") -> list[str]:
    url = f"ftp://acme@127.0.0.1:{port}/{folder}"
    return [
        sys.executable,
        "-m",
        "homeward",
        "refunds",
        "poll",
        "--url",
        url,
        "--database-url",
        database_url,
        *extra,
    ]


def env(**extra: str) -> dict[str, str]:
    return {**os.environ, "HOMEWARD_POLL_PASSWORD": PASSWORD, **extra}


def refund_count(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(Refund)) or 0)


def test_one_poll_answers_new_files_and_leaves_the_merchants_files_alone(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    inbox = tmp_path / "site" / "shop" / "JetRefunds"
    (inbox / "Acks").mkdir(parents=True)
    data = refund_csv(
        refund_row(alt_refund_id="P1"), refund_row(alt_refund_id="P2", order_item_id=MUG, principal="0.001")
    )
    (inbox / GOOD_NAME).write_bytes(data)
    (inbox / "readme.txt").write_bytes(b"not a refund file")
    (inbox / "JET_REFUND_072316150000.csv.part").write_bytes(b"still uploading")

    with merchant_site(tmp_path / "site") as port:
        first = subprocess.run(
            poll_command(port, database_url, "--settle", "0"),
            env=env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert first.returncode == 0, first.stderr
        lines = [json.loads(line) for line in first.stdout.splitlines()]
        assert sorted(line["file"] for line in lines) == [GOOD_NAME, "readme.txt"]
        assert all(PASSWORD not in line["ack"] for line in lines)

        ack = read_ack((inbox / "Acks" / "JET_REFUND_072316143000_Ack.csv").read_bytes())
        assert [a["Status"] for a in ack] == ["TRUE", "FALSE"]
        assert ack[1]["ErrorMessage"].startswith("principal: must have at most two decimal places")
        odd = read_ack((inbox / "Acks" / "readme.txt_Ack.csv").read_bytes())
        assert "is not JET_REFUND_MMDDYYHHMMSS.csv" in odd[0]["ErrorMessage"]
        assert not (inbox / "Acks" / "JET_REFUND_072316150000.csv.part_Ack.csv").exists()
        assert (inbox / GOOD_NAME).read_bytes() == data  # the merchant's site is theirs: nothing deleted
        assert sorted(p.name for p in (inbox / "Acks").iterdir()) == [
            "JET_REFUND_072316143000_Ack.csv",
            "readme.txt_Ack.csv",
        ]

        again = subprocess.run(
            poll_command(port, database_url, "--settle", "0"),
            env=env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert again.returncode == 0 and again.stdout == ""  # answered files are not taken again
    assert refund_count(db) == 1


def test_polling_on_a_schedule_picks_up_files_as_they_arrive(
    database_url: str, demo: dict[str, Any], tmp_path: Path
) -> None:
    inbox = tmp_path / "site" / "JetRefunds"
    inbox.mkdir(parents=True)  # no Acks/ yet: the poller makes it
    with merchant_site(tmp_path / "site") as port:
        poller = subprocess.Popen(
            poll_command(port, database_url, "--settle", "0.2", folder=""),
            env=env(HOMEWARD_REFUNDS_POLL_EVERY="0.5"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            for n, name in enumerate(("JET_REFUND_080116090000.csv", "JET_REFUND_080116091500.csv")):
                (inbox / name).write_bytes(refund_csv(refund_row(alt_refund_id=f"S{n}")))
                ack = wait_for(
                    lambda name=name: read_if_exists(inbox / "Acks" / name.replace(".csv", "_Ack.csv"))
                )
                assert [a["Status"] for a in read_ack(ack)] == ["TRUE"]
            assert poller.poll() is None  # still polling
        finally:
            poller.terminate()
            poller.communicate(timeout=30)


def test_a_poller_killed_mid_file_finishes_it_on_the_next_poll(
    database_url: str, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    inbox = tmp_path / "site" / "shop" / "JetRefunds"
    (inbox / "Acks").mkdir(parents=True)
    rows = [
        refund_row(
            alt_refund_id=f"K{n}",
            order_return_refund_qty="0",
            total_quantity_returned="0",
            principal="0.01",
            tax="0",
            shipping_cost="0",
            shipping_tax="0",
        )
        for n in range(20)
    ]
    (inbox / GOOD_NAME).write_bytes(refund_csv(*rows))
    with merchant_site(tmp_path / "site") as port:
        slow = subprocess.Popen(
            poll_command(port, database_url, "--settle", "0"),
            env=env(HOMEWARD_REFUNDS_TEST_GROUP_DELAY="0.15", HOMEWARD_REFUNDS_GROUPS_PER_TRANSACTION="1"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: refund_count(db) >= 3, what="some refunds")
        finally:
            os.kill(slow.pid, signal.SIGKILL)
            slow.wait(timeout=30)
        assert 3 <= refund_count(db) < 20
        assert not (inbox / "Acks" / "JET_REFUND_072316143000_Ack.csv").exists()

        rerun = subprocess.run(
            poll_command(port, database_url, "--settle", "0"),
            env=env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert rerun.returncode == 0, rerun.stderr
    ack = read_ack((inbox / "Acks" / "JET_REFUND_072316143000_Ack.csv").read_bytes())
    assert [a["Status"] for a in ack] == ["TRUE"] * 20
    assert refund_count(db) == 20
    with db.read() as session:
        tees = session.scalars(
            select(MarketplaceOrderItem).where(MarketplaceOrderItem.order_item_id == TEES)
        ).one()
        assert tees.refunded_principal == Decimal("0.20")


def test_a_bad_url_or_a_missing_password_is_refused(tmp_path: Path) -> None:
    unused = f"sqlite:///{tmp_path / 'never-created.db'}"
    base = [sys.executable, "-m", "homeward", "refunds", "poll", "--database-url", unused]
    bad_url = subprocess.run(
        [*base, "--url", "http://example/"], env=env(), capture_output=True, text=True, timeout=60
    )
    assert bad_url.returncode == 1 and "--url: must start with ftp://" in bad_url.stderr
    clean = {k: v for k, v in os.environ.items() if k != "HOMEWARD_POLL_PASSWORD"}
    no_password = subprocess.run(
        [*base, "--url", "ftp://acme@127.0.0.1:1/"], env=clean, capture_output=True, text=True, timeout=60
    )
    assert no_password.returncode == 1 and "HOMEWARD_POLL_PASSWORD" in no_password.stderr
    assert not (tmp_path / "never-created.db").exists()  # refused before touching any database

    closed = free_port()  # nobody listens there
    down = subprocess.run(
        [*base, "--url", f"ftp://acme@127.0.0.1:{closed}/", "--merchant", "1"],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and f"the FTP site ftp://acme@127.0.0.1:{closed}/ failed" in down.stderr
    assert "Traceback" not in down.stderr and PASSWORD not in down.stderr

"""Refund files from FTP upload to ack (`make bench`, or `python -m bench.refunds` for this one alone).

A real `homeward ftp serve` subprocess takes a 10,000-row file, then a 100,000-row file (two rows
per alt_refund_id: both items of an order refunded together), each uploaded with ftplib; the
clock runs from the start of the upload until the ack is listed in JetRefunds/Acks/. The rate is
compared with Python's `csv` module merely reading the same file in the same run (best of three).
The server's peak RSS (VmHWM) after the small file and after the large one shows whether memory
stays flat in file size (goal: grows by at most 25 MB).

While the large file is being processed, another merchant uploads a 10-row file: its upload-to-ack
time, next to the large file's, shows whether one merchant's big file holds up another's acks.

HOMEWARD_BENCH_REFUND_ROWS changes the large file's size (default 100000).
"""

from __future__ import annotations

import csv
import ftplib
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.databases import postgres_database, sqlite_database
from bench.server import Server, free_port
from homeward.db import Database, make_engine
from homeward.demo.data import OTHER_MERCHANT, load
from homeward.ftp_accounts.service import add_account
from homeward.marketplace.models import MarketplaceOrder, MarketplaceOrderItem
from homeward.refunds.domain import COLUMNS

Figure = dict[str, Any]
ROWS = int(os.environ.get("HOMEWARD_BENCH_REFUND_ROWS", "100000"))
RSS_GROWTH_GOAL_MB = 25.0
RATE_GOALS = {"sqlite": 20_000.0, "postgresql": 10_000.0}  # rows/s, upload to ack, 100,000 rows
BATCH = 5_000
OTHER_ROWS = 10  # another merchant's file, uploaded OTHER_AFTER seconds into the large one
OTHER_AFTER = 3.0
# Each order line: 2 units; a refund of one unit is exactly half of every amount (a full refund).
LINE = {"principal": "20.00", "tax": "1.60", "shipping_cost": "4.00", "shipping_tax": "0.32"}
ONE_UNIT = {"principal": "10.00", "tax": "0.80", "shipping_cost": "2.00", "shipping_tax": "0.16"}
FIXED = (1, 1, "No longer want this item", "", "")  # quantities returned and refunded, reason, no feedback


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def seed_orders(url: str, first: int, count: int, merchant_id: int = 1) -> None:
    """`count` Completed marketplace orders of two lines each, bulk-inserted."""
    engine = make_engine(url)
    orders, items = MarketplaceOrder.__table__, MarketplaceOrderItem.__table__
    try:
        for start in range(first, first + count, BATCH):
            numbers = range(start, min(start + BATCH, first + count))
            with engine.begin() as conn:
                conn.execute(
                    orders.insert(),
                    [
                        {"merchant_id": merchant_id, "merchant_order_id": _order(n), "status": "Completed"}
                        for n in numbers
                    ],
                )
                ids = dict(
                    conn.execute(
                        select(orders.c.merchant_order_id, orders.c.id).where(
                            orders.c.merchant_order_id.in_([_order(n) for n in numbers])
                        )
                    ).all()
                )
                conn.execute(
                    items.insert(),
                    [
                        {
                            "order_id": ids[_order(n)],
                            "order_item_id": f"{_order(n)}-{line}",
                            "quantity": 2,
                            **LINE,
                            "refunded_quantity": 0,
                            **{f"refunded_{part}": "0.00" for part in LINE},
                        }
                        for n in numbers
                        for line in (1, 2)
                    ],
                )
    finally:
        engine.dispose()


def _order(number: int) -> str:
    return f"BENCH-{number:07d}"


def write_file(path: Path, first_order: int, rows: int) -> None:
    """Streamed to disk; row r refunds one unit of line r % 2 + 1 of order first + r // 2."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for r in range(rows):
            order = _order(first_order + r // 2)
            writer.writerow(
                [order, f"B{first_order + r // 2}", f"{order}-{r % 2 + 1}", *FIXED, *ONE_UNIT.values()]
            )


def csv_read_rate(path: Path) -> float:
    """Rows per second of `csv.reader` doing nothing but reading the file: best of three."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        with path.open(newline="", encoding="utf-8") as source:
            count = sum(1 for _ in csv.reader(source)) - 1
        best = min(best, time.perf_counter() - started)
    return count / best


@contextmanager
def ftp_server(url: str, root: Path) -> Iterator[Server]:
    port = free_port()
    env = {**os.environ, "HOMEWARD_LOG_LEVEL": "WARNING"}
    command = [sys.executable, "-m", "homeward", "ftp", "serve", "--port", str(port), "--database-url", url]
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            [*command, "--root", str(root)], env=env, stdout=subprocess.DEVNULL, stderr=stderr
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with ftplib.FTP() as probe:
                        probe.connect("127.0.0.1", port, timeout=1)
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        stderr.seek(0)
                        raise RuntimeError(f"ftp server did not start: {stderr.read()[-2000:]!r}") from None
                    time.sleep(0.2)
            yield Server(process, "127.0.0.1", port)
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def upload_until_ack(server: Server, user: str, password: str, path: Path) -> tuple[float, int, int]:
    """Seconds from the start of the upload until the ack is listed; and the ack's TRUE/FALSE counts."""
    ack = path.name.replace(".csv", "_Ack.csv")
    with ftplib.FTP() as ftp:
        ftp.connect(server.host, server.port, timeout=600)
        ftp.login(user, password)
        started = time.perf_counter()
        with path.open("rb") as data:
            ftp.storbinary(f"STOR JetRefunds/{path.name}", data, blocksize=1 << 16)
        while ack not in {n.rsplit("/", 1)[-1] for n in ftp.nlst("JetRefunds/Acks")}:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        counts = {"TRUE": 0, "FALSE": 0}
        with tempfile.TemporaryFile() as local:
            ftp.retrbinary(f"RETR JetRefunds/Acks/{ack}", local.write)
            local.seek(0)
            for row in csv.reader(io.TextIOWrapper(local, encoding="utf-8-sig", newline="")):
                if row and row[-2] in counts:
                    counts[row[-2]] += 1
    return elapsed, counts["TRUE"], counts["FALSE"]


def run(backend: str, url: str) -> Iterator[Figure]:
    """The refund-file figure for one backend (its database already migrated)."""
    db = Database(url)
    load(db)
    small = max(2, ROWS // 10)
    with db.read() as session:
        first = (session.scalar(select(func.count()).select_from(MarketplaceOrder)) or 0) + 1
    progress(f"{backend}: seeding {(small + ROWS) // 2:,} marketplace orders for refund files")
    seed_orders(url, first, (small + ROWS) // 2 + 1)
    other_first = first + (small + ROWS) // 2 + 2
    seed_orders(url, other_first, OTHER_ROWS // 2 + 1, merchant_id=OTHER_MERCHANT)
    user = f"bench-{int(time.time())}"
    password = add_account(db, 1, user).password
    other_user, other_password = f"{user}-other", add_account(db, OTHER_MERCHANT, f"{user}-other").password
    with tempfile.TemporaryDirectory(prefix="homeward-bench-refunds-") as scratch:
        folder = Path(scratch)
        small_file, large_file = (
            folder / "JET_REFUND_010126090000.csv",
            folder / "JET_REFUND_010126091500.csv",
        )
        write_file(small_file, first, small)
        write_file(large_file, first + small // 2 + 1, ROWS)
        other_file = folder / "other" / "JET_REFUND_010126091600.csv"
        other_file.parent.mkdir()
        write_file(other_file, other_first, OTHER_ROWS)
        csv_rate = csv_read_rate(large_file)
        file_mb = large_file.stat().st_size / 1e6
        with ftp_server(url, folder / "ftp") as server:
            startup_mb = server.status_kb("VmHWM") / 1024
            progress(f"{backend}: {small:,}-row refund file over FTP")
            small_seconds, small_ok, _ = upload_until_ack(server, user, password, small_file)
            small_peak_mb = server.status_kb("VmHWM") / 1024
            progress(f"{backend}: {ROWS:,}-row refund file over FTP")
            large: dict[str, tuple[float, int, int]] = {}
            cpu_before = server.cpu_seconds()
            uploading = threading.Thread(
                target=lambda: large.update(done=upload_until_ack(server, user, password, large_file))
            )
            uploading.start()
            time.sleep(OTHER_AFTER)  # the large file is uploaded and being processed by now
            other_seconds, other_ok, _ = upload_until_ack(server, other_user, other_password, other_file)
            uploading.join()
            cpu_seconds = server.cpu_seconds() - cpu_before  # the other merchant's 10 rows included
            seconds, rows_ok, rows_failed = large["done"]
            large_peak_mb = server.status_kb("VmHWM") / 1024
    growth = large_peak_mb - small_peak_mb
    rate = ROWS / seconds
    all_true = rows_ok == ROWS and small_ok == small and other_ok == OTHER_ROWS
    yield {
        "bench": "refund_file",
        "backend": backend,
        "rows": ROWS,
        "rows_per_refund": 2,
        "file_mb": round(file_mb, 1),
        "seconds_upload_to_ack": round(seconds, 2),
        "rows_per_s": round(rate, 1),
        "server_cpu_us_per_row": round(cpu_seconds / ROWS * 1e6, 1),
        "csv_read_rows_per_s": round(csv_rate, 1),
        "ratio": round(rate / csv_rate, 5),
        "rows_true": rows_ok,
        "rows_false": rows_failed,
        "small_file": {
            "rows": small,
            "seconds_upload_to_ack": round(small_seconds, 2),
            "rows_per_s": round(small / small_seconds, 1),
        },
        "other_merchant_file": {
            "rows": OTHER_ROWS,
            "uploaded_after_s": OTHER_AFTER,
            "seconds_upload_to_ack": round(other_seconds, 2),
        },
        "server_peak_rss_mb": {
            "startup": round(startup_mb, 1),
            f"after_{small}_rows": round(small_peak_mb, 1),
            f"after_{ROWS}_rows": round(large_peak_mb, 1),
        },
        "goal_rows_per_s": RATE_GOALS[backend],
        "rss_growth_mb": round(growth, 1),
        "goal_rss_growth_mb": RSS_GROWTH_GOAL_MB,
        "met": growth <= RSS_GROWTH_GOAL_MB and all_true and rate >= RATE_GOALS[backend],
    }


def main() -> int:
    backends = [b.strip() for b in os.environ.get("HOMEWARD_BENCH_BACKENDS", "sqlite,postgresql").split(",")]
    databases: dict[str, Any] = {"sqlite": sqlite_database, "postgresql": postgres_database}
    for backend in filter(None, backends):
        database: AbstractContextManager[str] = databases[backend]()
        with database as url:
            for figure in run(backend, url):
                print(json.dumps(figure), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

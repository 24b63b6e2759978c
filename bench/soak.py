"""`make soak`: mixed load over real HTTP against `homeward serve --workers 2` on PostgreSQL.

Locust (headless) runs 200 concurrent users for 60 s: merchants create, list and read returns,
the warehouse scans and inspects them, an OMS creates returns and cancels them (see
bench/soak_locustfile.py). Afterwards, from the database: every create answered 201 is stored
whole (the id and reference it answered, its one unit), no reference is stored twice, and every
unit is accounted for (per item and center: units inspected = sellable + quarantined + disposed;
no return line has more units processed than it announced). Prints one JSON figure with p50/p99;
exits 1 when any 5xx was answered or a check failed.

SOAK_USERS, SOAK_SECONDS, SOAK_WORKERS and SOAK_BACKEND (postgresql | sqlite) change the run; a
brief version runs inside `make test` (tests/e2e/test_soak.py).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench.databases import postgres_database, sqlite_database
from bench.server import running_server
from homeward.db import Database, make_engine
from homeward.demo.data import load
from homeward.returns.models import ReturnItem, ReturnOrder

LOCUSTFILE = Path(__file__).with_name("soak_locustfile.py")


def run(url: str, *, users: int, seconds: int, workers: int = 2) -> dict[str, Any]:
    """Load a server on `url` (migrated) and check the database afterwards; the figure."""
    demo = load(Database(url))
    locust = Path(sys.executable).with_name("locust")
    with running_server(url, workers=workers) as server, tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out.json"
        env = {
            **os.environ,
            "SOAK_TOKEN": demo["token"],
            "SOAK_SCANNER": demo["warehouse_tokens"]["1"],
            "SOAK_CHANNEL": str(demo["channel_id"]),
            "SOAK_ORDER_ITEM": str(demo["shipments"]["regular"]["inventory"][0]["order_item_id"]),
            "SOAK_OUT": str(out),
        }
        command = [
            str(locust),
            "-f",
            str(LOCUSTFILE),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(max(1, users // 2)),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://{server.host}:{server.port}",
            "--csv",
            str(Path(scratch) / "soak"),
            "--only-summary",
            "--stop-timeout",
            "30",
            "--loglevel",
            "WARNING",
        ]
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 300)
        if not out.exists():
            raise RuntimeError(f"locust did not finish: {finished.stderr[-3000:]}")
        results = json.loads(out.read_text())
        latency = _latency(Path(scratch) / "soak_stats.csv")
    statuses = Counter(results["statuses"])
    server_errors = {k: n for k, n in statuses.items() if _status(k) >= 500 or _status(k) == 0}
    stored = _stored(url)
    lost = [c for c in results["created"] if stored.get(c["reference_id"]) != (c["id"], 1)]
    duplicated = _duplicated_references(url)
    unaccounted = units_unaccounted(url)
    requests = sum(statuses.values())
    return {
        "bench": "soak",
        "backend": make_engine_name(url),
        "workers": workers,
        "users": users,
        "seconds": seconds,
        "requests": requests,
        "requests_per_s": round(requests / seconds, 1),
        "p50_ms": latency.get("p50"),
        "p99_ms": latency.get("p99"),
        "per_operation": latency.get("per_operation"),
        "statuses": dict(sorted(statuses.items())),
        "server_errors": server_errors,
        "creates_acknowledged": len(results["created"]),
        "lost_or_partial": lost[:20],
        "duplicated_references": duplicated[:20],
        "units_unaccounted": unaccounted[:20],
        "met": not server_errors and not lost and not duplicated and not unaccounted and requests > 0,
    }


def _status(key: str) -> int:
    return int(key.rsplit(" ", 1)[1])


def _latency(stats_csv: Path) -> dict[str, Any]:
    figures: dict[str, Any] = {"per_operation": {}}
    with stats_csv.open(newline="") as source:
        for row in csv.DictReader(source):
            entry = {"requests": int(row["Request Count"]), "p50_ms": row["50%"], "p99_ms": row["99%"]}
            if row["Name"] == "Aggregated":
                figures["p50"], figures["p99"] = float(row["50%"]), float(row["99%"])
            else:
                figures["per_operation"][row["Name"]] = entry
    return figures


def _stored(url: str) -> dict[str, tuple[int, int]]:
    """Soak returns by reference: (id, units on their lines)."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(
                    ReturnOrder.reference_id, ReturnOrder.id, func.coalesce(func.sum(ReturnItem.quantity), 0)
                )
                .outerjoin(ReturnItem, ReturnItem.return_id == ReturnOrder.id)
                .where(ReturnOrder.reference_id.like("SOAK-%"))
                .group_by(ReturnOrder.reference_id, ReturnOrder.id)
            )
            return {reference: (int(id_), int(units)) for reference, id_, units in rows}
    finally:
        engine.dispose()


def _duplicated_references(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(
                conn.scalars(
                    select(ReturnOrder.reference_id)
                    .group_by(ReturnOrder.merchant_id, ReturnOrder.reference_id)
                    .having(func.count() > 1)
                )
            )
    finally:
        engine.dispose()


_UNACCOUNTED = text(
    """
    WITH inspected AS (
        SELECT i.inventory_id, r.fulfillment_center_id AS center, SUM(i.quantity) AS units
        FROM inspections i JOIN return_orders r ON r.id = i.return_id
        WHERE i.kind IN ('expected', 'extra')
        GROUP BY i.inventory_id, r.fulfillment_center_id
    ), ledger AS (
        SELECT inventory_id, fulfillment_center_id AS center, SUM(quantity) AS units,
               MIN(CASE WHEN quantity < 0 THEN 0 ELSE 1 END) AS never_negative
        FROM (
            SELECT inventory_id, fulfillment_center_id, bucket, SUM(quantity) AS quantity
            FROM inventory_ledger GROUP BY inventory_id, fulfillment_center_id, bucket
        ) buckets
        GROUP BY inventory_id, fulfillment_center_id
    )
    SELECT COALESCE(i.inventory_id, l.inventory_id), COALESCE(i.center, l.center),
           COALESCE(i.units, 0), COALESCE(l.units, 0), COALESCE(l.never_negative, 1)
    FROM inspected i FULL OUTER JOIN ledger l
      ON l.inventory_id = i.inventory_id AND l.center = i.center
    """
)
_OVERDRAWN = text(
    """
    SELECT ri.id FROM return_items ri
    JOIN inspections i ON i.return_id = ri.return_id AND i.inventory_id = ri.inventory_id
    WHERE i.kind IN ('expected', 'short')
    GROUP BY ri.id, ri.quantity HAVING SUM(i.quantity) > ri.quantity
    """
)


def units_unaccounted(url: str) -> list[str]:
    """Where units are not all accounted for: per item and center, units inspected (announced or
    extra) must equal sellable + quarantined + disposed (the ledger), no bucket below zero, and no
    return line with more units processed (or short) than it announced."""
    engine = make_engine(url)
    problems = []
    try:
        with engine.connect() as conn:
            for item, center, inspected, ledger, never_negative in conn.execute(_UNACCOUNTED):
                if int(inspected) != int(ledger) or not never_negative:
                    problems.append(
                        f"item {item} at center {center}: {inspected} inspected, {ledger} in ledger"
                    )
            problems += [f"return line {line} overdrawn" for line in conn.scalars(_OVERDRAWN)]
    finally:
        engine.dispose()
    return problems


def make_engine_name(url: str) -> str:
    return "postgresql" if url.startswith("postgres") else "sqlite"


def main() -> int:
    backend = os.environ.get("SOAK_BACKEND", "postgresql")
    databases: dict[str, Any] = {"sqlite": sqlite_database, "postgresql": postgres_database}
    database: AbstractContextManager[str] = databases[backend]()
    with database as url:
        figure = run(
            url,
            users=int(os.environ.get("SOAK_USERS", "200")),
            seconds=int(os.environ.get("SOAK_SECONDS", "60")),
            workers=int(os.environ.get("SOAK_WORKERS", "2")),
        )
    print(json.dumps(figure), flush=True)
    return 0 if figure["met"] else 1


if __name__ == "__main__":
    sys.exit(main())

"""Scale-out on PostgreSQL: `python -m bench.scaleout` (also a suite of `make bench`).

- creates/s against `homeward serve --workers N` for N = 1, 2, 4 (32 keep-alive connections,
  the same fresh database each time), with healthz/s of the same server for context;
- refund rows/s with one `homeward refunds process` on a file of R rows, then with two processes
  at once on two files of R/2 rows each (different orders, so they never wait on each other).

On a 2-core machine the curve says where the time goes: CPU-bound Python in each worker (so N
workers gain until the cores are full, then only queue) or the database (which does not grow).
HOMEWARD_BENCH_SCALEOUT_CREATES (default 2000) and HOMEWARD_BENCH_SCALEOUT_ROWS (20000) size it.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.client import Connection, Request, burst
from bench.databases import postgres_database
from bench.refunds import seed_orders, write_file
from bench.server import running_server
from homeward.db import Database
from homeward.demo.data import load

Figure = dict[str, Any]
CREATES = int(os.environ.get("HOMEWARD_BENCH_SCALEOUT_CREATES", "2000"))
ROWS = int(os.environ.get("HOMEWARD_BENCH_SCALEOUT_ROWS", "20000"))
CONNECTIONS = 32


def creates_per_second(url: str, demo: dict[str, Any], workers: int, prefix: str) -> tuple[float, float]:
    headers = {
        "Authorization": f"Bearer {demo['token']}",
        "shipbob_channel_id": str(demo["channel_id"]),
        "Content-Type": "application/json",
    }
    numbers = itertools.count()

    def create(_: int) -> Request:
        body = {
            "fulfillment_center": {"id": 1},
            "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
            "reference_id": f"{prefix}-{next(numbers)}",
        }
        return "POST", "/2025-07/return", headers, json.dumps(body).encode()

    def healthz(_: int) -> Request:
        return "GET", "/healthz", {}, b""

    async def measure(server_host: str, port: int) -> tuple[float, float]:
        connections = [Connection(server_host, port) for _ in range(CONNECTIONS)]
        try:
            await burst(connections, 200, create)  # warm-up: every worker's pool and caches
            created = await burst(connections, CREATES, create)
            health = await burst(connections, CREATES, healthz)
        finally:
            for connection in connections:
                await connection.close()
        if set(created.statuses) != {201}:
            raise RuntimeError(f"creates answered {dict(created.statuses)}")
        return created.per_second, health.per_second

    with running_server(url, workers=workers) as server:
        return asyncio.run(measure(server.host, server.port))


def refund_rows_per_second(url: str, processes: int, first_order: int) -> float:
    with tempfile.TemporaryDirectory(prefix="homeward-bench-scaleout-") as scratch:
        files = []
        for n in range(processes):
            path = Path(scratch) / f"JET_REFUND_0101260{n}0000.csv"
            write_file(path, first_order + n * (ROWS // processes), ROWS // processes)
            files.append(path)
        command = [
            sys.executable,
            "-m",
            "homeward",
            "refunds",
            "process",
            "--merchant",
            "1",
            "--database-url",
            url,
        ]
        started = time.perf_counter()
        running = [subprocess.Popen([*command, str(f)], stdout=subprocess.DEVNULL) for f in files]
        if any(p.wait() != 0 for p in running):
            raise RuntimeError("refunds process failed")
        return ROWS / (time.perf_counter() - started)


def run(backend: str, url: str) -> Iterator[Figure]:
    if backend != "postgresql":
        return
    demo = load(Database(url))
    per_workers: dict[str, Any] = {}
    for workers in (1, 2, 4):
        creates, health = creates_per_second(url, demo, workers, f"SCALE{workers}")
        per_workers[str(workers)] = {"creates_per_s": round(creates, 1), "healthz_per_s": round(health, 1)}
    seed_orders(url, 1, ROWS + 2)
    one = refund_rows_per_second(url, 1, 1)
    two = refund_rows_per_second(url, 2, 1 + ROWS // 2 + 1)
    yield {
        "bench": "scaleout",
        "backend": backend,
        "cores": os.cpu_count(),
        "connections": CONNECTIONS,
        "workers": per_workers,
        "creates_2_over_1": round(per_workers["2"]["creates_per_s"] / per_workers["1"]["creates_per_s"], 2),
        "creates_4_over_1": round(per_workers["4"]["creates_per_s"] / per_workers["1"]["creates_per_s"], 2),
        "refund_rows": ROWS,
        "refund_rows_per_s": {"1_processor": round(one, 1), "2_processors": round(two, 1)},
        "refunds_2_over_1": round(two / one, 2),
        "met": True,  # a measurement to explain, not a goal
    }


def main() -> int:
    with postgres_database() as url:
        for figure in run("postgresql", url):
            print(json.dumps(figure), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

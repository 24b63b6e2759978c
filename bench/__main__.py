"""`python -m bench`: run every figure on every backend; one JSON object per line on stdout."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

from bench import refunds, scaleout, web, webhooks
from bench.databases import postgres_database, sqlite_database
from bench.figures import Figure, create_throughput, list_latency, page_ratio, server_rss
from bench.labels import label_throughput
from bench.seed import analyze, count_returns, seed_returns
from bench.server import running_server
from bench.warehouse import http_figure, service_figure, single_figure
from homeward.db import Database
from homeward.demo.data import load

SEEDED_RETURNS = 100_000
# For iterating on one figure: e.g. HOMEWARD_BENCH_SKIP=labels,list (reported figures run them all).
SKIP = {part.strip() for part in os.environ.get("HOMEWARD_BENCH_SKIP", "").split(",") if part.strip()}
SUITES = ("returns", "warehouse", "refunds", "scaleout", "webhooks", "web")
DATABASES: dict[str, Any] = {"sqlite": sqlite_database, "postgresql": postgres_database}


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def emit(figure: Figure) -> Figure:
    print(json.dumps(figure), flush=True)
    return figure


def run_backend(backend: str, url: str) -> Iterator[Figure]:
    demo = load(Database(url))
    with running_server(url, workers=1) as server:
        startup_rss_kb = server.status_kb("VmRSS")
        if "create" not in SKIP:
            progress(f"{backend}: server pid {server.pid} on port {server.port}; create throughput")
            yield asyncio.run(create_throughput(server, backend, demo))
        if "labels" not in SKIP:
            progress(f"{backend}: label throughput (1,000 returns with and without a label)")
            yield label_throughput(backend, url)
        if "list" in SKIP:
            return

        progress(f"{backend}: bulk-loading {SEEDED_RETURNS:,} returns")
        started = time.perf_counter()
        first_id, last_id = seed_returns(url, SEEDED_RETURNS)
        if backend == "postgresql":
            analyze(url)  # what autovacuum does within a minute of such a load
        returns = count_returns(url)
        progress(
            f"{backend}: loaded in {time.perf_counter() - started:.1f}s ({returns:,} returns); list latency"
        )
        yield from asyncio.run(list_latency(server, backend, demo, SEEDED_RETURNS, returns))

        middle_id = (first_id + last_id) // 2
        for status in (None, "Processing"):
            yield asyncio.run(page_ratio(server, backend, demo, returns, middle_id=middle_id, status=status))

        yield server_rss(server, backend, startup_rss_kb)


def run_warehouse(backend: str, url: str) -> Iterator[Figure]:
    """Returns from creation to Completed, on a database of their own (see bench/warehouse.py)."""
    demo = load(Database(url))
    progress(f"{backend}: warehouse, returns through the service layer in batches")
    yield service_figure(url, backend)
    progress(f"{backend}: warehouse, returns through the service layer one at a time")
    yield single_figure(url, backend)
    with running_server(url, workers=1) as server:
        progress(f"{backend}: warehouse, returns over HTTP (server pid {server.pid})")
        yield http_figure(server, url, backend, demo)


RUNNERS = {
    "returns": run_backend,
    "warehouse": run_warehouse,
    "refunds": refunds.run,
    "scaleout": scaleout.run,
    "webhooks": webhooks.run,
    "web": web.run,
}


def _stop_on_sigterm(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds the finally blocks: servers stopped, databases dropped


def main() -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    backends = [b.strip() for b in os.environ.get("HOMEWARD_BENCH_BACKENDS", "sqlite,postgresql").split(",")]
    suites = [s.strip() for s in os.environ.get("HOMEWARD_BENCH_SUITES", ",".join(SUITES)).split(",") if s]
    unknown = [s for s in suites if s not in RUNNERS]
    if unknown:
        raise SystemExit(f"unknown suite(s) {unknown}; expected some of {', '.join(RUNNERS)}")
    started = time.perf_counter()
    missed: list[str] = []
    failed: list[str] = []
    for backend in filter(None, backends):
        if backend not in DATABASES:
            raise SystemExit(f"unknown backend {backend!r}; expected one of {', '.join(DATABASES)}")
        for suite in suites:
            progress(f"{backend}: creating a throw-away database for the {suite} figures")
            try:
                database: AbstractContextManager[str] = DATABASES[backend]()
                with database as url:
                    for figure in RUNNERS[suite](backend, url):
                        emit(figure)
                        if not figure["met"]:
                            missed.append(f"{figure['bench']}/{backend}/{figure.get('filter', '-')}")
            except Exception as exc:  # report and go on with the next backend
                traceback.print_exc()
                failed.append(f"{backend}/{suite}")
                emit(
                    {
                        "bench": "error",
                        "backend": backend,
                        "suite": suite,
                        "error": f"{type(exc).__name__}: {exc}"[:2000],
                    }
                )
    emit(
        {
            "bench": "summary",
            "seconds": round(time.perf_counter() - started, 1),
            "all_goals_met": not missed and not failed,
            "missed": missed,
            "failed_backends": failed,
        }
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

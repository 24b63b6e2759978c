"""`python -m bench`: run every figure on every backend; one JSON object per line on stdout."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import sys
import time
import traceback
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

from bench import refunds
from bench.databases import postgres_database, sqlite_database
from bench.figures import Figure, create_throughput, list_latency, page_ratio, server_rss
from bench.seed import analyze, count_returns, seed_returns
from bench.server import running_server
from homeward.db import Database
from homeward.demo.data import load

SEEDED_RETURNS = 100_000
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
        progress(f"{backend}: server pid {server.pid} on port {server.port}; create throughput")
        yield asyncio.run(create_throughput(server, backend, demo))

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


def main() -> int:
    backends = [b.strip() for b in os.environ.get("HOMEWARD_BENCH_BACKENDS", "sqlite,postgresql").split(",")]
    started = time.perf_counter()
    missed: list[str] = []
    failed: list[str] = []
    for backend in filter(None, backends):
        if backend not in DATABASES:
            raise SystemExit(f"unknown backend {backend!r}; expected one of {', '.join(DATABASES)}")
        progress(f"{backend}: creating a throw-away database")
        try:
            database: AbstractContextManager[str] = DATABASES[backend]()
            with database as url:
                for figure in itertools.chain(run_backend(backend, url), refunds.run(backend, url)):
                    emit(figure)
                    if not figure["met"]:
                        missed.append(f"{figure['bench']}/{backend}/{figure.get('filter', '-')}")
        except Exception as exc:  # report and go on with the next backend
            traceback.print_exc()
            failed.append(backend)
            emit({"bench": "error", "backend": backend, "error": f"{type(exc).__name__}: {exc}"[:2000]})
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

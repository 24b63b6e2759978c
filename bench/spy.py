"""py-spy over a real `homeward serve` under load: `python -m bench.spy [sqlite|postgresql] KIND...`.

KIND is get (authenticated one-query GET), create, list (Status filter over 100,000 returns) or
healthz. For each, the server is loaded by 8 keep-alive connections while `py-spy record` samples
every thread of it; the top functions by own samples and by inclusive samples are printed.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from bench.client import Connection, Request, burst
from bench.databases import postgres_database, sqlite_database
from bench.seed import analyze, seed_returns
from bench.server import Server, running_server
from homeward.db import Database
from homeward.demo.data import load

SECONDS = 8


def spy(server: Server, make: Callable[[int], Request], seconds: int = SECONDS) -> str:
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "stacks.txt"
        spy = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "py-spy"),
                "record",
                "--pid",
                str(server.pid),
                "--duration",
                str(seconds),
                "--rate",
                "250",
                "--gil",
                "--format",
                "raw",
                "--output",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)

        async def load() -> int:
            connections = [Connection(server.host, server.port) for _ in range(8)]
            done, deadline = 0, time.monotonic() + seconds - 1
            while time.monotonic() < deadline:
                done += (await burst(connections, 100, make)).requests
            for connection in connections:
                await connection.close()
            return done

        requests = asyncio.run(load())
        spy.wait()
        return summarize(out.read_text(), requests)


def summarize(raw: str, requests: int) -> str:
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [f.split(" (")[0] + " " + f.split("/")[-1].rstrip(")") for f in stack.split(";")[1:]]
        if not frames:
            continue
        total += count
        own[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
    lines = [f"{requests} requests, {total} busy samples"]
    lines += ["-- own"] + [f"{100 * n / total:5.1f}% {f}" for f, n in own.most_common(15)]
    shown = int(os.environ.get("SPY_LINES", "40"))
    lines += ["-- inclusive"] + [f"{100 * n / total:5.1f}% {f}" for f, n in inclusive.most_common(shown)]
    return "\n".join(lines)


def main() -> int:
    backend = sys.argv[1]
    kinds = sys.argv[2:] or ["get", "create"]
    databases: dict[str, Any] = {"sqlite": sqlite_database, "postgresql": postgres_database}
    database: AbstractContextManager[str] = databases[backend]()
    with database as url:
        demo = load(Database(url))
        auth = {"Authorization": f"Bearer {demo['token']}"}
        numbers = itertools.count()

        def create(_: int) -> Request:
            body = {
                "fulfillment_center": {"id": demo["fulfillment_centers"][0]["id"]},
                "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
                "reference_id": f"SPY-{next(numbers)}",
            }
            headers = {
                **auth,
                "shipbob_channel_id": str(demo["channel_id"]),
                "Content-Type": "application/json",
            }
            return "POST", "/2025-07/return", headers, json.dumps(body).encode()

        makers: dict[str, Callable[[int], Request]] = {
            "healthz": lambda _: ("GET", "/healthz", {}, b""),
            "get": lambda _: ("GET", "/2025-07/fulfillment-center", auth, b""),
            "create": create,
            "list": lambda _: ("GET", "/2025-07/return?Status=Processing", auth, b""),
        }
        if "list" in kinds:
            seed_returns(url, 100_000)
            if backend == "postgresql":
                analyze(url)
        with running_server(url) as server:
            for kind in kinds:
                print(f"=== {backend} {kind}: {spy(server, makers[kind])}\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

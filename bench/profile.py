"""Where a request's time goes: `python -m bench.profile [sqlite|postgresql] [get|create|list|all]`.

Drives the ASGI app in this process (no sockets, so what is left is ours and the framework's)
under cProfile and prints the top of each profile by own time and by cumulative time. For the
whole server under real HTTP use py-spy instead: `py-spy top --pid $(pgrep -f 'homeward serve')`.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import itertools
import json
import pstats
import sys
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from bench.databases import postgres_database, sqlite_database
from bench.seed import analyze, seed_returns
from homeward.app import create_app
from homeward.db import Database
from homeward.demo.data import load

Request = tuple[str, str, list[tuple[bytes, bytes]], bytes]


async def call(app: Any, request: Request) -> int:
    """One request through the ASGI app; returns the status."""
    method, target, headers, body = request
    path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"bench"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "scheme": "http",
        "root_path": "",
    }
    sent = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


def profile(app: Any, name: str, make: Callable[[int], Request], expected: int, count: int) -> str:
    async def run(n: int) -> None:
        for i in range(n):
            status = await call(app, make(i))
            if status != expected:
                raise RuntimeError(f"{name}: {status}")

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(run(50))  # warm-up
        profiler = cProfile.Profile()
        profiler.enable()
        loop.run_until_complete(run(count))
        profiler.disable()
    finally:
        loop.close()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    total = stats.total_tt  # type: ignore[attr-defined]
    out.write(f"=== {name}: {count} requests, {total * 1000 / count:.3f} ms profiled CPU each\n")
    stats.sort_stats("tottime").print_stats(18)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def main() -> int:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    which = sys.argv[2] if len(sys.argv) > 2 else "all"
    databases: dict[str, Any] = {"sqlite": sqlite_database, "postgresql": postgres_database}
    database: AbstractContextManager[str] = databases[backend]()
    with database as url:
        demo = load(Database(url))
        auth = [(b"authorization", f"Bearer {demo['token']}".encode())]
        channel = [(b"shipbob_channel_id", str(demo["channel_id"]).encode())]
        app = create_app(url)
        numbers = itertools.count()

        def create(_: int) -> Request:
            body = {
                "fulfillment_center": {"id": demo["fulfillment_centers"][0]["id"]},
                "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
                "reference_id": f"PROFILE-{next(numbers)}",
            }
            headers = [*auth, *channel, (b"content-type", b"application/json")]
            return "POST", "/2025-07/return", headers, json.dumps(body).encode()

        kinds: dict[str, tuple[Callable[[int], Request], int, int]] = {
            "healthz": (lambda _: ("GET", "/healthz", [], b""), 200, 2000),
            "get": (lambda _: ("GET", "/2025-07/fulfillment-center", auth, b""), 200, 2000),
            "create": (create, 201, 1000),
        }
        if which in ("list", "all"):
            seed_returns(url, 100_000)
            if backend == "postgresql":
                analyze(url)
            kinds["list"] = (lambda _: ("GET", "/2025-07/return?Status=Processing", auth, b""), 200, 300)
        for name, (make, expected, count) in kinds.items():
            if which in ("all", name) or name == "healthz":
                print(profile(app, f"{backend} {name}", make, expected, count), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

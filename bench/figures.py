"""The measurements. Each returns the JSON-ready figures it produced."""

from __future__ import annotations

import itertools
import json
import math
import random
import statistics
import time
from collections import Counter
from typing import Any
from urllib.parse import quote

from bench.client import Burst, Connection, Request, burst, timed
from bench.seed import reference_id
from bench.server import Server
from homeward.kit.pagination import Cursor

Figure = dict[str, Any]

CREATE_GOAL_RATIO = 0.25  # issue 13: a create >= 0.25 x healthz
GET_GOAL_RATIO = 0.5  # and an authenticated one-query GET >= 0.5 x healthz
LATENCY_GOAL_P95_MS = 10.0
PAGE_GOAL_RATIO = 1.5
RSS_GOAL_MB = 200.0
LIST_PATH = "/2025-07/return"


def _auth(demo: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {demo['token']}"}


def _ms(value: float) -> float:
    return round(value, 3)


def percentile(samples: list[float], fraction: float) -> float:
    """Nearest-rank percentile: the smallest sample with at least `fraction` of all at or below it."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


# --- create throughput ---------------------------------------------------------------------------


async def create_throughput(
    server: Server,
    backend: str,
    demo: dict[str, Any],
    *,
    total: int = 1000,
    rounds: int = 5,
    concurrency: int = 8,
    warmup: int = 100,
) -> Figure:
    """Creates/s vs healthz/s over the same connections, alternating rounds so drift hits both alike.

    An authenticated one-query GET is measured alongside: it shows how much of a healthz's
    throughput any call that must look its token up can keep, whatever it then does.
    """
    headers = {
        **_auth(demo),
        "shipbob_channel_id": str(demo["channel_id"]),
        "Content-Type": "application/json",
    }
    numbers = itertools.count(1)

    def create(_: int) -> Request:
        body = {
            "fulfillment_center": {"id": demo["fulfillment_centers"][0]["id"]},
            "inventory": [{"id": 1001, "quantity": 1, "requested_action": "Default"}],
            "reference_id": f"BENCH-{next(numbers)}",
        }
        return "POST", LIST_PATH, headers, json.dumps(body).encode()

    def healthz(_: int) -> Request:
        return "GET", "/healthz", {}, b""

    def authenticated(_: int) -> Request:
        # The least an API call costs: the token looked up, one small query, a short body.
        return "GET", "/2025-07/fulfillment-center", _auth(demo), b""

    connections = [Connection(server.host, server.port) for _ in range(concurrency)]
    kinds = {"healthz": healthz, "create": create, "authenticated": authenticated}
    expected = {"healthz": 200, "create": 201, "authenticated": 200}
    bursts: dict[str, list[Burst]] = {name: [] for name in kinds}
    server_cpu = dict.fromkeys(kinds, 0.0)
    client_cpu = dict.fromkeys(kinds, 0.0)
    try:
        for make in kinds.values():
            await burst(connections, warmup, make)
        per_round = total // rounds
        for round_ in range(rounds):
            order = list(kinds) if round_ % 2 == 0 else list(reversed(kinds))  # drift hits all alike
            for name in order:
                server_before, client_before = server.cpu_seconds(), time.process_time()
                bursts[name].append(await burst(connections, per_round, kinds[name]))
                server_cpu[name] += server.cpu_seconds() - server_before
                client_cpu[name] += time.process_time() - client_before
    finally:
        for connection in connections:
            await connection.close()

    def summary(name: str) -> dict[str, Any]:
        done = sum(b.requests for b in bursts[name])
        seconds = sum(b.seconds for b in bursts[name])
        statuses = sum((b.statuses for b in bursts[name]), Counter())
        return {
            "rps": done / seconds,
            "requests": done,
            "server_cpu_ms_per_req": server_cpu[name] * 1000 / done,
            "server_cpu_pct": 100 * server_cpu[name] / seconds,
            "client_cpu_pct": 100 * client_cpu[name] / seconds,
            "unexpected": {str(s): n for s, n in statuses.items() if s != expected[name]},
        }

    creates, health, floor = summary("create"), summary("healthz"), summary("authenticated")
    ratio = creates["rps"] / health["rps"]
    get_ratio = floor["rps"] / health["rps"]
    failures = {
        **creates["unexpected"],
        **{f"healthz_{k}": v for k, v in health["unexpected"].items()},
        **{f"authenticated_{k}": v for k, v in floor["unexpected"].items()},
    }
    return {
        "bench": "create_throughput",
        "backend": backend,
        "workers": 1,
        "concurrency": concurrency,
        "creates": creates["requests"],
        "healthz_requests": health["requests"],
        "create_rps": round(creates["rps"], 1),
        "healthz_rps": round(health["rps"], 1),
        "ratio": round(ratio, 3),
        "goal_ratio": CREATE_GOAL_RATIO,
        "create_met": ratio >= CREATE_GOAL_RATIO,
        "authenticated_get_met": get_ratio >= GET_GOAL_RATIO,
        "met": ratio >= CREATE_GOAL_RATIO and get_ratio >= GET_GOAL_RATIO and not failures,
        # Context for the ratio: an authenticated GET with one tiny query, against the same healthz.
        "authenticated_get_rps": round(floor["rps"], 1),
        "authenticated_get_ratio": round(get_ratio, 3),
        "authenticated_get_goal_ratio": GET_GOAL_RATIO,
        "server_cpu_ms_per_authenticated_get": _ms(floor["server_cpu_ms_per_req"]),
        "server_cpu_ms_per_create": _ms(creates["server_cpu_ms_per_req"]),
        "server_cpu_ms_per_healthz": _ms(health["server_cpu_ms_per_req"]),
        "server_cpu_pct": {
            "create": round(creates["server_cpu_pct"]),
            "healthz": round(health["server_cpu_pct"]),
        },
        "client_cpu_pct": {
            "create": round(creates["client_cpu_pct"]),
            "healthz": round(health["client_cpu_pct"]),
        },
        "unexpected_statuses": failures,
    }


# --- list latency and page ratio -----------------------------------------------------------------


async def _get(connection: Connection, target: str, headers: dict[str, str]) -> tuple[float, dict[str, Any]]:
    elapsed, response = await timed(connection, ("GET", target, headers, b""))
    if response.status != 200:
        raise RuntimeError(f"GET {target} answered {response.status}: {response.body[:500]!r}")
    return elapsed, response.json()


def _latency_figure(
    backend: str, name: str, target: str, samples: list[float], cpu_seconds: float, returns: int
) -> Figure:
    p95 = percentile(samples, 0.95)
    return {
        "bench": "list_latency",
        "backend": backend,
        "filter": name,
        "example": target,
        "returns": returns,
        "requests": len(samples),
        "p50_ms": _ms(statistics.median(samples)),
        "p95_ms": _ms(p95),
        "max_ms": _ms(max(samples)),
        "server_cpu_ms_per_req": _ms(cpu_seconds * 1000 / len(samples)),
        "goal_p95_ms": LATENCY_GOAL_P95_MS,
        "met": p95 <= LATENCY_GOAL_P95_MS,
    }


async def list_latency(
    server: Server,
    backend: str,
    demo: dict[str, Any],
    seeded: int,
    returns: int,
    *,
    samples: int = 200,
    block: int = 25,
) -> list[Figure]:
    """p50/p95 of a ReferenceIds lookup (a different existing reference each time) and a Status page.

    One request at a time on one keep-alive connection; the two kinds alternate in blocks so drift
    hits both alike while the server's CPU time can still be told apart per kind.
    """
    headers = _auth(demo)
    rng = random.Random(42)
    targets = {
        "ReferenceIds": [
            f"{LIST_PATH}?ReferenceIds={quote(reference_id(rng.randrange(seeded)))}" for _ in range(samples)
        ],
        "Status": [f"{LIST_PATH}?Status=Processing"] * samples,
    }
    expected = {"ReferenceIds": 1, "Status": 50}
    timings: dict[str, list[float]] = {name: [] for name in targets}
    cpu = dict.fromkeys(targets, 0.0)
    connection = Connection(server.host, server.port)
    try:
        for name in targets:  # warm-up
            for target in targets[name][:20]:
                await _get(connection, target, headers)
        for start in range(0, samples, block):
            for name, series in targets.items():
                before = server.cpu_seconds()
                for target in series[start : start + block]:
                    elapsed, body = await _get(connection, target, headers)
                    found = len(body["items"])
                    if found != expected[name]:
                        raise RuntimeError(f"{target} gave {found} returns, expected {expected[name]}")
                    timings[name].append(elapsed)
                cpu[name] += server.cpu_seconds() - before
    finally:
        await connection.close()
    return [
        _latency_figure(backend, name, targets[name][0], timings[name], cpu[name], returns)
        for name in targets
    ]


async def page_ratio(
    server: Server,
    backend: str,
    demo: dict[str, Any],
    returns: int,
    *,
    middle_id: int,
    status: str | None = None,
    repeats: int = 60,
    hops: int = 5,
) -> Figure:
    """Median latency of the last page (from the `last` link) over that of the first page."""
    headers = _auth(demo)
    first = f"{LIST_PATH}?Status={quote(status)}" if status else LIST_PATH
    connection = Connection(server.host, server.port)
    try:
        _, body = await _get(connection, first, headers)
        last = body["last"]
        following = body["next"]
        for _ in range(hops - 1):
            _, page = await _get(connection, following, headers)
            following = page["next"]
        # A deep page: the cursor the API hands out for "after the return with this id".
        separator = "&" if "?" in first else "?"
        middle = f"{first}{separator}Cursor={Cursor(key=middle_id).encode()}"
        targets = {"first": first, "last": last, f"page_{hops + 1}": following, "middle": middle}
        first_ids = {item["id"] for item in body["items"]}
        _, last_body = await _get(connection, last, headers)
        last_ids = {item["id"] for item in last_body["items"]}
        if not last_ids or first_ids & last_ids or last_body["next"] is not None:
            raise RuntimeError(
                f"{last} is not the last page: empty, overlapping the first, or followed by more"
            )
        timings: dict[str, list[float]] = {name: [] for name in targets}
        for _ in range(5):  # warm-up
            for target in targets.values():
                await _get(connection, target, headers)
        for repeat in range(repeats):
            names = list(targets) if repeat % 2 == 0 else list(reversed(targets))
            for name in names:
                elapsed, _ = await _get(connection, targets[name], headers)
                timings[name].append(elapsed)
    finally:
        await connection.close()
    medians = {name: statistics.median(samples) for name, samples in timings.items()}
    ratio = medians["last"] / medians["first"]
    return {
        "bench": "page_ratio",
        "backend": backend,
        "filter": f"Status={status}" if status else "none",
        "returns": returns,
        "last_link": last,
        "repeats": repeats,
        "median_ms": {name: _ms(value) for name, value in medians.items()},
        "p95_ms": {name: _ms(percentile(samples, 0.95)) for name, samples in timings.items()},
        "ratio": round(ratio, 3),
        "middle_ratio": round(medians["middle"] / medians["first"], 3),
        "goal_ratio": PAGE_GOAL_RATIO,
        "met": ratio <= PAGE_GOAL_RATIO,
    }


# --- memory --------------------------------------------------------------------------------------


def server_rss(server: Server, backend: str, startup_rss_kb: int) -> Figure:
    rss_mb = server.status_kb("VmRSS") / 1024
    return {
        "bench": "server_rss",
        "backend": backend,
        "pid": server.pid,
        "processes": len(server.processes()),
        "rss_mb": round(rss_mb, 1),
        "peak_rss_mb": round(server.status_kb("VmHWM") / 1024, 1),
        "startup_rss_mb": round(startup_rss_kb / 1024, 1),
        "goal_mb": RSS_GOAL_MB,
        "met": rss_mb <= RSS_GOAL_MB,
    }

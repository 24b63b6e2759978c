"""Web app pages: p50/p95 of every page on the demo data, beside the same data over the JSON API.

The demo is loaded and topped up with returns in every status (created, received and inspected
through the service layer, with reasons), then `homeward serve --workers 1` answers each page
SAMPLES times, one request at a time, signed in as a merchant user or as warehouse staff. Each
page is paired with the JSON API call that reads the same data, timed the same way in the same
run: the ratio says what rendering HTML costs over serialising JSON. Goal: every page p95 ≤ 50 ms.

Size: HOMEWARD_BENCH_WEB_RETURNS (default 300) returns on top of the demo; SAMPLES per page.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench.client import Connection, timed
from bench.figures import percentile
from bench.server import Server, running_server
from homeward.auth.domain import Principal, Scope, WarehousePrincipal
from homeward.db import Database
from homeward.demo.data import load
from homeward.photos.store import DiskStore
from homeward.receiving import service as receiving
from homeward.receiving.domain import Observation
from homeward.returns import service as returns
from homeward.returns.domain import ReturnLine, ReturnRequest

Figure = dict[str, Any]
RETURNS = int(os.environ.get("HOMEWARD_BENCH_WEB_RETURNS", "300"))
SAMPLES = int(os.environ.get("HOMEWARD_BENCH_WEB_SAMPLES", "60"))
GOAL_P95_MS = 50.0
TEE, CHANNEL, CENTER, MERCHANT_ID = 1001, 11, 1, 1


def seed(url: str, count: int) -> dict[str, int]:
    """`count` returns of one tee: a third left waiting, a third arrived, a third completed."""
    db = Database(url)
    merchant = Principal(token_id=0, merchant_id=MERCHANT_ID, scopes=Scope.merchant_defaults())
    staff = WarehousePrincipal(None, CENTER, frozenset({Scope.WAREHOUSE}), "bench")
    ids: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="homeward-bench-web-") as photos:
        store = DiskStore(Path(photos))
        for n in range(count):
            reference = f"WEBBENCH{n:06d}"
            created = returns.create_return(
                db, merchant, CHANNEL, ReturnRequest(reference, CENTER, (ReturnLine(TEE, 1),))
            )
            if n % 3 == 0:
                ids.setdefault("waiting", created.id)
                continue
            receiving.arrive(db, staff, reference)
            if n % 3 == 1:
                ids.setdefault("arrived", created.id)
                continue
            receiving.inspect(db, store, staff, created.id, [Observation(TEE, 1)])
            ids["completed"] = created.id
    return ids


def _cookies(headers: dict[str, str], jar: dict[str, str]) -> None:
    # bench.client folds repeated headers into the last one; the server sends one cookie per header
    # line, so read every name=value pair found.
    for name, value in re.findall(r"(homeward_[a-z]+)=([^;,\s]*)", headers.get("set-cookie", "")):
        jar[name] = value


async def _sign_in(connection: Connection, email: str, password: str) -> dict[str, str]:
    jar: dict[str, str] = {}
    form_page = await connection.request("GET", "/login")
    _cookies(form_page.headers, jar)
    body = urlencode(
        {"csrftoken": jar["homeward_csrf"], "email": email, "password": password, "next": "/"}
    ).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items()),
    }
    answer = await connection.request("POST", "/login", headers, body)
    if answer.status != 303:
        raise RuntimeError(f"sign-in as {email} answered {answer.status}: {answer.body[:300]!r}")
    _cookies(answer.headers, jar)
    return {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}


async def _samples(connection: Connection, path: str, headers: dict[str, str]) -> tuple[list[float], int]:
    times: list[float] = []
    status = 0
    for _ in range(SAMPLES):
        ms, response = await timed(connection, ("GET", path, headers, b""))
        status = response.status
        if status != 200:
            return [], status
        times.append(ms)
    return times, status


def pages(demo: dict[str, Any], ids: dict[str, int]) -> list[tuple[str, str, str, str]]:
    """(name, who, page path, the JSON API path reading the same data)."""
    shipment = demo["shipments"]["regular"]["id"]
    return [
        ("returns list", "merchant", "/returns", "/2025-07/return?Limit=50"),
        (
            "returns tab Completed",
            "merchant",
            "/returns?status=Completed",
            "/2025-07/return?Status=Completed&Limit=50",
        ),
        (
            "returns search RMA",
            "merchant",
            "/returns?q=WEBBENCH000005",
            "/2025-07/return?ReferenceIds=WEBBENCH000005",
        ),
        ("return detail", "merchant", f"/returns/{ids['completed']}", f"/2025-07/return/{ids['completed']}"),
        ("orders list", "merchant", "/orders", "/2025-07/return?Limit=50"),
        ("orders search", "merchant", "/orders?q=jordan", "/2025-07/return?Limit=50"),
        (
            "order detail",
            "merchant",
            f"/orders/{demo['shipments']['regular']['order_id']}",
            f"/2025-07/return?OriginalShipmentIds={shipment}",
        ),
        (
            "create return: items",
            "merchant",
            f"/returns/new/{shipment}/items",
            f"/2025-07/return?OriginalShipmentIds={shipment}",
        ),
        ("products", "merchant", "/products", "/2025-07/fulfillment-center"),
        ("product edit", "merchant", f"/products/{TEE}", "/2025-07/fulfillment-center"),
        ("insights", "merchant", "/insights", "/2025-07/return?Status=Completed&Limit=50"),
        ("receive", "warehouse", "/receive", f"/warehouse/v1/returns/{ids['arrived']}"),
        ("inspect list", "warehouse", "/inspect", f"/warehouse/v1/returns/{ids['arrived']}"),
        (
            "inspect return",
            "warehouse",
            f"/inspect/{ids['arrived']}",
            f"/warehouse/v1/returns/{ids['arrived']}",
        ),
        ("quarantine", "warehouse", "/quarantine", f"/warehouse/v1/inventory?inventory_id={TEE}"),
    ]


async def _measure(server: Server, demo: dict[str, Any], ids: dict[str, int], backend: str) -> list[Figure]:
    connection = Connection(server.host, server.port)
    web = demo["web_users"]
    try:
        sessions = {
            "merchant": await _sign_in(connection, web["merchant"]["email"], web["merchant"]["password"]),
            "warehouse": await _sign_in(
                connection, web["warehouse"][str(CENTER)]["email"], web["warehouse"][str(CENTER)]["password"]
            ),
        }
        # The create-return wizard keeps its draft in the session: start one to time its first step.
        await connection.request(
            "GET", f"/returns/new?shipment={demo['shipments']['regular']['id']}", sessions["merchant"]
        )
        tokens = {
            "merchant": {"Authorization": f"Bearer {demo['token']}"},
            "warehouse": {"Authorization": f"Bearer {demo['warehouse_tokens'][str(CENTER)]}"},
        }
        figures = []
        for name, who, path, api_path in pages(demo, ids):
            page_ms, page_status = await _samples(connection, path, sessions[who])
            api_ms, api_status = await _samples(connection, api_path, tokens[who])
            figure: Figure = {"bench": "web_page", "backend": backend, "filter": name, "path": path}
            if not page_ms or not api_ms:
                figure.update({"met": False, "error": f"page answered {page_status}, API {api_status}"})
            else:
                p95, api_p95 = percentile(page_ms, 0.95), percentile(api_ms, 0.95)
                figure.update(
                    {
                        "p50_ms": round(percentile(page_ms, 0.5), 2),
                        "p95_ms": round(p95, 2),
                        "api_path": api_path,
                        "api_p50_ms": round(percentile(api_ms, 0.5), 2),
                        "api_p95_ms": round(api_p95, 2),
                        "ratio_p95_to_api": round(p95 / api_p95, 2),
                        "samples": SAMPLES,
                        "goal_p95_ms": GOAL_P95_MS,
                        "met": p95 <= GOAL_P95_MS,
                    }
                )
            figures.append(figure)
        return figures
    finally:
        await connection.close()


def run(backend: str, url: str) -> Iterator[Figure]:
    demo = load(Database(url))
    ids = seed(url, RETURNS)
    with running_server(url, workers=1) as server:
        yield from asyncio.run(_measure(server, demo, ids, backend))

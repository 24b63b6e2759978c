"""Warehouse throughput: returns taken from creation to Completed, and a bare insert to compare.

- warehouse_service: N returns (one unit each) through the service layer in this process, in
  batches of BATCH_RETURNS: returns.service.create_returns, receiving.service.arrive_many (by RMA),
  receiving.service.inspect_many. Three transactions per batch, each with the same checks, locks,
  status history, events, ledger and fees as one return alone, set-based.
- warehouse_service_single: the same one return at a time (create_return, arrive, inspect: three
  transactions per return), as a merchant's API client and a scanner make them; on a sample
  (HOMEWARD_BENCH_WAREHOUSE_SINGLE, default 2000) since it is the slow path.
  Both: one caller on SQLite (one writer at a time anyway), four threads on PostgreSQL.
- warehouse_http: M returns over real HTTP against `homeward serve --workers 1`, 8 concurrent
  chains of POST /2025-07/return, POST /warehouse/v1/arrivals, POST .../inspections.
- Each is also given as a ratio to a bare insert of the same rows (the return, its item, four
  status events, its inspection, its ledger entry and its two fee transactions) with Core
  executemany in batches, timed in the same run on the same database: the floor of the cost.

Sizes: HOMEWARD_BENCH_WAREHOUSE_RETURNS (default 10000), HOMEWARD_BENCH_WAREHOUSE_SINGLE (2000) and
HOMEWARD_BENCH_WAREHOUSE_HTTP (1000); the issue's goal is warehouse_service at least 0.1 of bare inserts.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bench.client import Connection
from bench.server import Server
from homeward.auth.domain import Principal, Scope, WarehousePrincipal
from homeward.db import Database, make_engine
from homeward.inventory.models import LedgerEntry
from homeward.kit.clock import utcnow
from homeward.photos.store import DiskStore
from homeward.receiving import service as receiving
from homeward.receiving.domain import Observation
from homeward.receiving.models import Inspection
from homeward.receiving.service import InspectionRequest
from homeward.returns import service as returns
from homeward.returns.domain import ReturnLine, ReturnRequest
from homeward.returns.models import ReturnItem, ReturnOrder, ReturnStatusEvent, ReturnTransaction

Figure = dict[str, Any]
SERVICE_RETURNS = int(os.environ.get("HOMEWARD_BENCH_WAREHOUSE_RETURNS", "10000"))
SINGLE_RETURNS = int(os.environ.get("HOMEWARD_BENCH_WAREHOUSE_SINGLE", "2000"))
BATCH_RETURNS = 500  # returns per batch call: a merchant's import chunk, a warehouse's cart
GOAL = 0.1  # warehouse_service ÷ bare inserts (issue 13)
HTTP_RETURNS = int(os.environ.get("HOMEWARD_BENCH_WAREHOUSE_HTTP", "1000"))
CONCURRENCY = 8
SERVICE_CALLERS = 4  # threads calling the service layer at once (PostgreSQL)
TEE, CHANNEL, CENTER, MERCHANT_ID = 1001, 11, 1, 1
BATCH = 1000


def service_figure(url: str, backend: str, count: int = SERVICE_RETURNS) -> Figure:
    """The lifecycle in batches: create_returns, arrive_many, inspect_many, BATCH_RETURNS at a time."""

    def take(db: Database, store: DiskStore, numbers: range) -> None:
        for start in range(numbers.start, numbers.stop, BATCH_RETURNS * numbers.step):
            chunk = range(start, min(start + BATCH_RETURNS * numbers.step, numbers.stop), numbers.step)
            references = [f"WB-SVC-{n:06d}" for n in chunk]
            requests = [ReturnRequest(r, CENTER, (ReturnLine(TEE, 1),)) for r in references]
            ids = [o.unwrap().id for o in returns.create_returns(db, MERCHANT, CHANNEL, requests)]
            for arrival in receiving.arrive_many(db, STAFF, references):
                arrival.unwrap()
            inspections = [InspectionRequest(i, [Observation(TEE, 1)]) for i in ids]
            for inspected in receiving.inspect_many(db, store, STAFF, inspections):
                inspected.unwrap()

    figure = _service_run(url, backend, count, "WB-SVC-", take)
    figure.update({"batch": BATCH_RETURNS, "transactions_per_batch": 3, "goal": GOAL})
    figure["met"] = figure["met"] and figure["ratio_to_bare_insert"] >= GOAL
    return figure


def single_figure(url: str, backend: str, count: int = SINGLE_RETURNS) -> Figure:
    """The lifecycle one return at a time: create_return, arrive, inspect; with the mean time of
    each call (wall time per call in its caller's thread)."""
    spent: Counter[str] = Counter()

    def take(db: Database, store: DiskStore, numbers: range) -> None:
        mine: Counter[str] = Counter()
        for n in numbers:
            reference = f"WB-ONE-{n:06d}"
            request = ReturnRequest(reference, CENTER, (ReturnLine(TEE, 1),))
            started = time.perf_counter()
            created = returns.create_return(db, MERCHANT, CHANNEL, request)
            created_at = time.perf_counter()
            receiving.arrive(db, STAFF, reference)
            arrived_at = time.perf_counter()
            receiving.inspect(db, store, STAFF, created.id, [Observation(TEE, 1)])
            mine.update(
                create=created_at - started,
                arrive=arrived_at - created_at,
                inspect=time.perf_counter() - arrived_at,
            )
        spent.update(mine)  # one update per thread, under the GIL

    figure = _service_run(url, backend, count, "WB-ONE-", take)
    figure["bench"] = "warehouse_service_single"
    figure["transactions_per_return"] = 3
    figure.update(
        {f"{step}_ms": round(1000 * spent[step] / count, 2) for step in ("create", "arrive", "inspect")}
    )
    return figure


MERCHANT = Principal(token_id=0, merchant_id=MERCHANT_ID, scopes=Scope.merchant_defaults())
STAFF = WarehousePrincipal(None, CENTER, frozenset({Scope.WAREHOUSE}), "bench")


def _service_run(
    url: str, backend: str, count: int, prefix: str, take: Callable[[Database, DiskStore, range], None]
) -> Figure:
    # PostgreSQL overlaps one caller's commit with another's work, as a server's threads would;
    # SQLite has one writer at a time, so more callers would only queue.
    callers = SERVICE_CALLERS if backend == "postgresql" else 1
    db = Database(url)
    with tempfile.TemporaryDirectory(prefix="homeward-bench-photos-") as photos:
        store = DiskStore(Path(photos))
        started = time.perf_counter()
        with ThreadPoolExecutor(callers) as pool:
            list(
                pool.map(
                    lambda numbers: take(db, store, numbers),
                    [range(i, count, callers) for i in range(callers)],
                )
            )
        seconds = time.perf_counter() - started
    completed = _completed(url, prefix)
    bare = bare_insert(url, count)
    return _figure("warehouse_service", backend, count, completed, seconds, bare, callers=callers)


async def _http_chains(server: Server, demo: dict[str, Any], count: int) -> float:
    merchant = {
        "Authorization": f"Bearer {demo['token']}",
        "shipbob_channel_id": str(demo["channel_id"]),
        "Content-Type": "application/json",
    }
    scanner = {
        "Authorization": f"Bearer {demo['warehouse_tokens'][str(CENTER)]}",
        "Content-Type": "application/json",
    }
    next_index = 0

    async def chain(connection: Connection) -> None:
        nonlocal next_index
        while next_index < count:
            n, next_index = next_index, next_index + 1
            reference = f"WB-HTTP-{n:06d}"
            body = {
                "fulfillment_center": {"id": CENTER},
                "inventory": [{"id": TEE, "quantity": 1, "requested_action": "Default"}],
                "reference_id": reference,
            }
            created = await connection.request("POST", "/2025-07/return", merchant, json.dumps(body).encode())
            _expect(created.status, 201, created.body)
            return_id = created.json()["id"]
            scan = json.dumps({"barcode": reference}).encode()
            arrived = await connection.request("POST", "/warehouse/v1/arrivals", scanner, scan)
            _expect(arrived.status, 200, arrived.body)
            inspection = json.dumps({"items": [{"inventory_id": TEE, "quantity": 1}]}).encode()
            done = await connection.request(
                "POST", f"/warehouse/v1/returns/{return_id}/inspections", scanner, inspection
            )
            _expect(done.status, 200, done.body)

    connections = [Connection(server.host, server.port) for _ in range(CONCURRENCY)]
    started = time.perf_counter()
    try:
        await asyncio.gather(*(chain(c) for c in connections))
    finally:
        for connection in connections:
            await connection.close()
    return time.perf_counter() - started


def http_figure(
    server: Server, url: str, backend: str, demo: dict[str, Any], count: int = HTTP_RETURNS
) -> Figure:
    seconds = asyncio.run(_http_chains(server, demo, count))
    completed = _completed(url, "WB-HTTP-")
    bare = bare_insert(url, count)
    figure = _figure("warehouse_http", backend, count, completed, seconds, bare, transactions_per_return=3)
    figure.update({"workers": 1, "concurrency": CONCURRENCY, "requests": 3 * count})
    return figure


def bare_insert(url: str, count: int) -> float:
    """Seconds to insert the rows one completed return leaves behind, `count` times, in batches."""
    engine = make_engine(url)
    tables = {
        "orders": ReturnOrder.__table__,
        "items": ReturnItem.__table__,
        "history": ReturnStatusEvent.__table__,
        "inspections": Inspection.__table__,
        "ledger": LedgerEntry.__table__,
        "fees": ReturnTransaction.__table__,
    }
    try:
        with engine.begin() as conn:
            first = (conn.scalar(select(func.max(ReturnOrder.id))) or 0) + 1
            first_inspection = (conn.scalar(select(func.max(Inspection.id))) or 0) + 1
        run = utcnow().strftime("%H%M%S%f")
        started = time.perf_counter()
        for offset in range(0, count, BATCH):
            rows = _bare_rows(range(offset, min(offset + BATCH, count)), first, first_inspection, run)
            with engine.begin() as conn:
                for name, table in tables.items():
                    conn.execute(table.insert(), rows[name])  # type: ignore[attr-defined]
        seconds = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:  # ids were explicit: keep the sequences ahead of them
                for table in ("return_orders", "inspections"):
                    sequence = f"pg_get_serial_sequence('{table}', 'id')"
                    conn.execute(text(f"SELECT setval({sequence}, (SELECT MAX(id) FROM {table}))"))
        return seconds
    finally:
        engine.dispose()


def _bare_rows(
    indexes: range, first: int, first_inspection: int, run: str
) -> dict[str, list[dict[str, Any]]]:
    now = utcnow()
    rows: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("orders", "items", "history", "inspections", "ledger", "fees")
    }
    for n in indexes:
        return_id, inspection_id = first + n, first_inspection + n
        rows["orders"].append(
            {
                "id": return_id,
                "merchant_id": MERCHANT_ID,
                "channel_id": CHANNEL,
                "reference_id": f"WB-BARE-{run}-{n}",
                "tracking_number": None,
                "fulfillment_center_id": CENTER,
                "original_shipment_id": None,
                "store_order_id": None,
                "customer_name": None,
                "return_type": "Regular",
                "status": "Completed",
                "insert_date": now,
                "updated_at": now,
                "completed_date": now,
            }
        )
        rows["items"].append(
            {
                "return_id": return_id,
                "inventory_id": TEE,
                "name": "Classic Tee (M)",
                "quantity": 1,
                "action": "Restock",
                "action_source": "InventoryDefault",
                "instructions": None,
                "lot_number": None,
                "lot_date": None,
                "bundle_parent_sku": None,
            }
        )
        for step, status in enumerate(("Awaiting Arrival", "Arrived", "Processing", "Completed")):
            rows["history"].append(
                {"return_id": return_id, "status": status, "occurred_at": now + timedelta(microseconds=step)}
            )
        rows["inspections"].append(
            {
                "id": inspection_id,
                "return_id": return_id,
                "inventory_id": TEE,
                "name": "Classic Tee (M)",
                "kind": "expected",
                "quantity": 1,
                "action": "Restock",
                "reason": "Item's return preference",
                "damaged": False,
                "lot_number": None,
                "expiration_date": None,
                "steps": {},
                "photo_key": None,
                "actor": "bench",
                "actor_token_id": None,
                "inspected_at": now,
            }
        )
        rows["ledger"].append(
            {
                "merchant_id": MERCHANT_ID,
                "inventory_id": TEE,
                "fulfillment_center_id": CENTER,
                "return_id": return_id,
                "inspection_id": inspection_id,
                "bucket": "sellable",
                "quantity": 1,
                "kind": "inspection",
                "reason": "Item's return preference",
                "actor": "bench",
                "actor_token_id": None,
                "occurred_at": now,
            }
        )
        for fee, amount in (("ReturnProcessingFee", "3.00"), ("ReturnPerUnitFee", "0.25")):
            rows["fees"].append({"return_id": return_id, "transaction_type": fee, "amount": amount})
    return rows


def _completed(url: str, prefix: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(func.count()).where(
                ReturnOrder.reference_id.startswith(prefix), ReturnOrder.status == "Completed"
            )
            return int(conn.scalar(query) or 0)
    finally:
        engine.dispose()


def _figure(
    name: str, backend: str, count: int, completed: int, seconds: float, bare_seconds: float, **extra: Any
) -> Figure:
    rate, bare_rate = count / seconds, count / bare_seconds
    return {
        "bench": name,
        "backend": backend,
        "returns": count,
        "completed": completed,
        "seconds": round(seconds, 2),
        "returns_per_s": round(rate, 1),
        "bare_insert_seconds": round(bare_seconds, 3),
        "bare_insert_returns_per_s": round(bare_rate, 1),
        "ratio_to_bare_insert": round(rate / bare_rate, 4),
        **extra,
        "met": completed == count,  # no goal is set: the figure is met when every return completed
    }


def _expect(status: int, wanted: int, body: bytes) -> None:
    if status != wanted:
        raise RuntimeError(f"expected {wanted}, got {status}: {body[:500]!r}")

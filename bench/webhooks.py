"""Webhooks (`make bench`, or `python -m bench.webhooks` for this suite alone).

- event_cost: what a create pays for writing its outbox event, service layer, one process. Creates
  with the event and creates with the outbox write switched off (in this process only) alternate in
  batches of 10 (ABBA), so a growing database and drifting load weigh on both alike; the figure is
  the median over the pairs of batches (the ratio of the totals is shown too), so one batch that met
  a neighbour's burst does not move it. Goal: at most 10 % more per create.
- webhook_delivery: events delivered per second by one worker (fan-out, render, sign, POST, record)
  to a receiver in another process, as a ratio to plain keep-alive HTTP POSTs of the same payloads
  from this process to the same receiver, in the same run. Goal: at least 0.5.
"""

from __future__ import annotations

import gc
import http.client
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import func, insert, select

from bench.server import free_port
from homeward.auth.domain import Principal, Scope
from homeward.config import get_settings
from homeward.db import Database
from homeward.demo.data import load
from homeward.doors.webhooks.payloads import render
from homeward.events.domain import Topic, new_event_id
from homeward.events.models import OutboxEvent, WebhookDelivery
from homeward.events.service import add_subscription
from homeward.events.worker import Worker
from homeward.importing.service import import_lines
from homeward.kit.clock import utcnow
from homeward.returns import service as returns_service
from homeward.returns.domain import ReturnLine, ReturnRequest
from homeward.returns.models import ReturnOrder

Figure = dict[str, Any]
EVENT_COST_GOAL_PCT = 10.0
DELIVERY_GOAL_RATIO = 0.5
CREATES = int(os.environ.get("HOMEWARD_BENCH_WEBHOOK_CREATES", "1000"))
EVENTS = int(os.environ.get("HOMEWARD_BENCH_WEBHOOK_EVENTS", "5000"))  # more, besides the creates' own
BATCH = 10
WITH_EVENT, WITHOUT_EVENT = 9_911, 9_912

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", "0")))
        self.send_response(204)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


def progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _shipments(db: Database, units: int) -> None:
    lines = [
        {
            "type": "order",
            "id": shipment_id,
            "merchant_id": 1,
            "channel_id": 11,
            "store_order_id": f"BENCH-EVENTS-{shipment_id}",
            "shipments": [
                {
                    "id": shipment_id,
                    "status": "Shipped",
                    "fulfillment_center_id": 1,
                    "lines": [{"inventory_id": 1001, "quantity": units}],
                }
            ],
        }
        for shipment_id in (WITH_EVENT, WITHOUT_EVENT)
    ]
    import_lines(db, "\n".join(json.dumps(line) for line in lines))


def _no_event(*args: Any, **kwargs: Any) -> None:
    """Stands in for the outbox write on the side of the comparison without events."""


def _shipment(with_event: bool) -> int:
    return WITH_EVENT if with_event else WITHOUT_EVENT


def event_cost(backend: str, db: Database, count: int = CREATES) -> Figure:
    _shipments(db, count + 10)
    merchant = Principal(token_id=0, merchant_id=1, scopes=Scope.merchant_defaults())

    def create(prefix: str, n: int, shipment_id: int) -> None:
        request = ReturnRequest(
            reference_id=f"{prefix}-{n:05d}",
            fulfillment_center_id=1,
            original_shipment_id=shipment_id,
            lines=(ReturnLine(inventory_id=1001, quantity=1),),
        )
        returns_service.create_return(db, merchant, 11, request)

    # A create writes its event through one of these (the batch path, of which a single create is
    # a batch of one, the plural; on PostgreSQL a lone create's one statement takes the event's
    # row, and without one writes none); all are swapped, and the count of events written checks it.
    names = ("record_return_event", "record_return_events", "return_event_row")
    written = {name: getattr(returns_service, name) for name in names}

    def timed(prefix: str, numbers: range, shipment_id: int, *, with_event: bool) -> float:
        for name, write in written.items():
            setattr(returns_service, name, write if with_event else _no_event)
        began = time.perf_counter()
        for n in numbers:
            create(prefix, n, shipment_id)
        return time.perf_counter() - began

    try:
        timed("WARM", range(5), WITH_EVENT, with_event=True)
        timed("WARM-BARE", range(5), WITHOUT_EVENT, with_event=False)
        gc.collect()  # what start-up built stays out of the collections a batch may trigger, as in
        gc.freeze()  # `homeward serve` (app.create_served_app)
        ratios, seconds = [], {"with": 0.0, "without": 0.0}
        for start in range(5, count + 5, BATCH):
            numbers = range(start, min(start + BATCH, count + 5))
            # ABBA: each side goes first half the time, so drifting load weighs on both alike.
            order = [True, False] if (start // BATCH) % 2 else [False, True]
            spent = {
                with_event: timed(
                    "EVENT" if with_event else "BARE", numbers, _shipment(with_event), with_event=with_event
                )
                for with_event in order
            }
            seconds["with"] += spent[True]
            seconds["without"] += spent[False]
            ratios.append(spent[True] / spent[False])
    finally:
        for name, write in written.items():
            setattr(returns_service, name, write)
        gc.unfreeze()
    with db.read() as session:
        events = int(session.scalar(select(func.count(OutboxEvent.id))) or 0)
    with_ms, without_ms = 1000 * seconds["with"] / count, 1000 * seconds["without"] / count
    extra_pct = 100 * (statistics.median(ratios) - 1)
    return {
        "bench": "event_cost",
        "backend": backend,
        "creates": count,
        "ms_per_create_with_event": round(with_ms, 3),
        "ms_per_create_without_event": round(without_ms, 3),
        "extra_pct": round(extra_pct, 1),
        "batches": len(ratios),
        "total_extra_pct": round(100 * (seconds["with"] / seconds["without"] - 1), 1),
        "goal_pct": EVENT_COST_GOAL_PCT,
        "events_written": events,
        "met": extra_pct <= EVENT_COST_GOAL_PCT and events == count + 5,
    }


@contextmanager
def receiver() -> Iterator[int]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                probe.request("POST", "/", body=b"{}")
                probe.getresponse().read()
                probe.close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _more_events(db: Database, count: int) -> None:
    """return.updated events for the returns event_cost made, written as a burst of changes would."""
    with db.write() as session:
        ids = list(session.scalars(select(ReturnOrder.id).order_by(ReturnOrder.id)))
        now = utcnow()
        session.execute(
            insert(OutboxEvent),
            [
                {
                    "event_id": new_event_id(),
                    "merchant_id": 1,
                    "topic": Topic.RETURN_UPDATED.value,
                    "return_id": ids[n % len(ids)],
                    "occurred_at": now,
                    "dispatched": False,
                }
                for n in range(count)
            ],
        )


def delivery(backend: str, db: Database) -> Figure:
    """The events event_cost wrote and 5,000 more go to one subscription. The worker
    takes them a batch at a time (fan out, render, sign, POST, record); after each of its batches
    the same payloads are POSTed plainly, so both sides meet the same load on a shared machine."""
    os.environ["HOMEWARD_WEBHOOK_ALLOW_PRIVATE"] = "1"
    get_settings.cache_clear()
    merchant = Principal(token_id=0, merchant_id=1, scopes=Scope.merchant_defaults())
    _more_events(db, EVENTS)
    with receiver() as port:
        add_subscription(db, merchant, f"http://127.0.0.1:{port}/hooks", ["return.created", "return.updated"])
        worker = Worker(db, render)
        plain = http.client.HTTPConnection("127.0.0.1", port)
        seconds = {"worker": 0.0, "plain": 0.0}
        ratios: list[float] = []
        sizes: list[int] = []
        last_id = 0
        while True:
            began = time.perf_counter()
            handled = worker.run_once()  # fan-out, render, first attempts, records (and retries)
            spent = time.perf_counter() - began
            if not handled:
                break
            with db.read() as session:
                events = session.execute(
                    select(OutboxEvent.id, OutboxEvent.payload)
                    .where(OutboxEvent.id > last_id, OutboxEvent.dispatched.is_(True))
                    .order_by(OutboxEvent.id)
                ).all()
            payloads = [e.payload.encode() for e in events if e.payload]
            last_id = max((e.id for e in events), default=last_id)
            delivered = len(payloads)
            began = time.perf_counter()
            for body in payloads:
                plain.request("POST", "/hooks", body=body, headers={"content-type": "application/json"})
                plain.getresponse().read()
            plain_spent = time.perf_counter() - began
            seconds["worker"] += spent
            seconds["plain"] += plain_spent
            sizes.extend(map(len, payloads))
            if delivered and payloads:
                ratios.append((delivered / spent) / (len(payloads) / plain_spent))
        plain.close()
        with db.read() as session:
            total = int(
                session.scalar(
                    select(func.count(WebhookDelivery.id)).where(WebhookDelivery.status == "delivered")
                )
                or 0
            )
    ratio = statistics.median(ratios)
    return {
        "bench": "webhook_delivery",
        "backend": backend,
        "events": total,
        "worker_events_per_s": round(total / seconds["worker"], 1),
        "plain_posts_per_s": round(len(sizes) / seconds["plain"], 1),
        "ratio": round(ratio, 3),
        "goal_ratio": DELIVERY_GOAL_RATIO,
        "concurrency": get_settings().webhook_concurrency,
        "avg_payload_bytes": round(sum(sizes) / max(len(sizes), 1)),
        "met": ratio >= DELIVERY_GOAL_RATIO and total == len(sizes) > 0,
    }


def run(backend: str, url: str) -> Iterator[Figure]:
    db = Database(url)
    load(db)
    progress(f"{backend}: webhooks, {CREATES:,} creates with and without their event")
    yield event_cost(backend, db)
    progress(f"{backend}: webhooks, one worker delivering them to a local receiver")
    yield delivery(backend, db)


if __name__ == "__main__":
    from bench.databases import postgres_database, sqlite_database

    for name, database in (("sqlite", sqlite_database), ("postgresql", postgres_database)):
        with database() as found:
            for figure in run(name, found):
                print(json.dumps(figure), flush=True)

"""The delivery worker: fans outbox events out to subscriptions, then POSTs them, signed.

Two steps, each safe to run in several processes at once:
- dispatch: claim undispatched outbox events (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's
  write lock serialises), render each payload once, create one delivery per matching subscription;
- deliver: claim due deliveries for a lease (commit), send them outside any transaction, then
  record every outcome in one more transaction. A worker killed mid-send leaves its claim to
  expire: the delivery is sent again (at least once, with the same `webhook-id`).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pydantic_core
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from homeward.config import Settings, get_settings
from homeward.db import Database
from homeward.events import ledger
from homeward.events.domain import DeliveryStatus, RetryPolicy, SubscriptionStatus, is_success
from homeward.events.ledger import NewDelivery
from homeward.events.models import OutboxEvent, WebhookSubscription
from homeward.events.retention import PRUNE_BATCH, cutoff, prune_batch
from homeward.events.transport import Outcome, Sender
from homeward.idempotency.service import purge_expired
from homeward.kit.clock import utcnow
from homeward.kit.sealed import unseal

log = logging.getLogger("homeward.worker")

# Renders the `data` of each event (by outbox id) inside the dispatch transaction; events are rows
# with `id`, `merchant_id`, `return_id` and `refund_id`.
Renderer = Callable[[Session, list[Any]], dict[int, Any]]

HOUSEKEEPING_EVERY = 3600.0  # seconds
# Batches one dispatch() takes in a row, each prepared while the one before is sent.
PIPELINED_BATCHES = 5
_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")


@dataclass(frozen=True)
class _Subscriber:
    id: int
    url: str
    secret: str
    failing: bool


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    subscription_id: int
    attempt: int
    first_attempt_at: datetime
    event_id: str
    subject: tuple[int | None, int | None]  # (return id, refund id) the event is about
    payload: str
    url: str
    secret: str
    failing: bool  # the subscription was failing when claimed: a success heals it


_Sent = tuple[_Job, Outcome, datetime]  # a job, what came back, when it was sent


@dataclass(frozen=True)
class _Batch:
    claim: str
    events: int
    jobs: list[_Job]
    deadline: float  # time.monotonic() after which none of it is sent any more


class Worker:
    def __init__(self, db: Database, render: Renderer, settings: Settings | None = None) -> None:
        self.db = db
        self.render = render
        self.settings = settings or get_settings()
        self.policy = RetryPolicy(
            base=self.settings.webhook_retry_base_seconds,
            cap=self.settings.webhook_retry_max_seconds,
            retry_for=self.settings.webhook_retry_for_seconds,
        )
        self.dialect = "postgresql" if db.is_postgres else "sqlite"

    def _relaxed(self, session: Session) -> None:
        """The worker's own transactions need not wait for the disk on PostgreSQL: one lost to a
        database crash only means an event is sent again, which at-least-once allows anyway."""
        if self.dialect == "postgresql":
            session.execute(_ASYNC_COMMIT)

    # --- dispatch ---------------------------------------------------------------------------

    def dispatch(self) -> int:
        """Fan out new events and make their first attempts, a few batches in a row; returns how
        many events it handled. Each batch is prepared (claimed, rendered, its deliveries created
        already claimed by this worker, committed) while the one before is on the wire; one batch
        is sent at a time, so the events of a return still go out in order. If the worker dies,
        the leases run out and anyone retries."""
        handled = 0
        # Three stages at once: this thread prepares batch n+1 while `wire` sends batch n and
        # `books` records batch n-1 (on its own connection; SQLite's write lock takes turns).
        with ThreadPoolExecutor(1, "webhook-send") as wire, ThreadPoolExecutor(1, "webhook-record") as books:
            on_wire: tuple[str, Future[list[_Sent]]] | None = None
            recording: list[Future[None]] = []
            for _ in range(PIPELINED_BATCHES):
                batch = self._fan_out()
                if on_wire is not None:
                    claim, sending = on_wire
                    recording.append(books.submit(self._record, claim, sending.result()))
                    on_wire = None
                if batch is None:
                    break
                handled += batch.events
                if batch.jobs:
                    on_wire = (batch.claim, wire.submit(self._send_all, batch.jobs, batch.deadline))
            if on_wire is not None:
                recording.append(books.submit(self._record, on_wire[0], on_wire[1].result()))
            for recorded in recording:
                recorded.result()
        return handled

    def _fan_out(self) -> _Batch | None:
        claim = uuid.uuid4().hex
        with self.db.write() as session:
            self._relaxed(session)
            events = session.execute(
                select(
                    OutboxEvent.id,
                    OutboxEvent.event_id,
                    OutboxEvent.merchant_id,
                    OutboxEvent.topic,
                    OutboxEvent.return_id,
                    OutboxEvent.refund_id,
                    OutboxEvent.occurred_at,
                )
                .where(OutboxEvent.dispatched.is_(False))
                .order_by(OutboxEvent.id)
                .limit(self.settings.webhook_batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not events:
                return None
            subscribers = self._subscribers(session, {e.merchant_id for e in events})
            wanted = [e for e in events if subscribers.get((e.merchant_id, e.topic))]
            data = self.render(session, wanted) if wanted else {}
            now = utcnow()
            lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
            payloads: dict[int, str | None] = {e.id: None for e in events}
            sends: list[tuple[Any, _Subscriber]] = []  # (event, subscriber), one per delivery
            for event in wanted:
                if event.id not in data:
                    continue  # its subject is gone: nothing true to say
                payloads[event.id] = pydantic_core.to_json(
                    {"type": event.topic, "timestamp": event.occurred_at, "data": data[event.id]}
                ).decode()
                sends.extend((event, s) for s in subscribers[(event.merchant_id, event.topic)])
            ids = ledger.fan_out(
                session,
                payloads,
                [NewDelivery(event.id, subscriber.id) for event, subscriber in sends],
                claim=claim,
                now=now,
                lease=lease,
            )
        jobs = [
            _Job(
                delivery_id=delivery_id,
                subscription_id=subscriber.id,
                attempt=1,
                first_attempt_at=now,
                event_id=event.event_id,
                subject=(event.return_id, event.refund_id),
                payload=payloads[event.id] or "",
                url=subscriber.url,
                secret=subscriber.secret,
                failing=subscriber.failing,
            )
            for delivery_id, (event, subscriber) in zip(ids, sends, strict=True)
        ]
        return _Batch(claim, len(events), jobs, self._deadline())

    def _deadline(self) -> float:
        """Stop sending a claimed batch well before its lease runs out (then it is anyone's)."""
        return time.monotonic() + self.settings.webhook_lease_seconds * 0.8

    @staticmethod
    def _subscribers(session: Session, merchant_ids: set[int]) -> dict[tuple[int, str], list[_Subscriber]]:
        found: dict[tuple[int, str], list[_Subscriber]] = defaultdict(list)
        rows = session.execute(
            select(
                WebhookSubscription.id,
                WebhookSubscription.merchant_id,
                WebhookSubscription.topics,
                WebhookSubscription.url,
                WebhookSubscription.secret,
                WebhookSubscription.status,
            )
            .where(WebhookSubscription.merchant_id.in_(merchant_ids))
            .order_by(WebhookSubscription.id)
        )
        for row in rows:
            failing = row.status == SubscriptionStatus.FAILING.value
            subscriber = _Subscriber(row.id, row.url, unseal(row.secret), failing)
            for topic in row.topics.split(","):
                found[(row.merchant_id, topic)].append(subscriber)
        return found

    # --- deliver ----------------------------------------------------------------------------

    def deliver(self, batch: int | None = None) -> int:
        """Retry one batch of due deliveries (failed before, or whose worker died); returns how
        many were attempted."""
        claim = uuid.uuid4().hex
        jobs = self._claim(claim, batch or self.settings.webhook_batch)
        if not jobs:
            return 0
        return self._send_and_record(claim, jobs, self._deadline())

    def _send_and_record(self, claim: str, jobs: list[_Job], deadline: float) -> int:
        outcomes: list[_Sent] = []
        try:
            self._send_all(jobs, deadline, outcomes)
        finally:
            if outcomes:
                self._record(claim, outcomes)
        return len(outcomes)

    def _send_all(
        self, jobs: list[_Job], deadline: float, outcomes: list[_Sent] | None = None
    ) -> list[_Sent]:
        """POST every job (until the deadline); what came back is appended to `outcomes` as it
        comes, so what was sent before a failure can still be recorded."""
        outcomes = [] if outcomes is None else outcomes
        signers = {job.subscription_id: Webhook(job.secret) for job in jobs}
        lanes = max(1, min(self.settings.webhook_concurrency, len(jobs)))
        if lanes == 1:
            outcomes.extend(self._send(jobs, signers, deadline))
            return outcomes
        # Receivers answer in parallel, each lane on its own kept-alive connections; the events
        # of one return stay in one lane, so they go out in the order they happened.
        split: list[list[_Job]] = [[] for _ in range(lanes)]
        for job in jobs:
            split[hash((job.subscription_id, job.subject)) % lanes].append(job)
        with ThreadPoolExecutor(lanes) as pool:
            for sent in pool.map(lambda lane: self._send(lane, signers, deadline), split):
                outcomes.extend(sent)
        return outcomes

    def _send(self, jobs: list[_Job], signers: dict[int, Webhook], deadline: float) -> list[_Sent]:
        sender = Sender(
            timeout=self.settings.webhook_timeout_seconds, allow_private=self.settings.webhook_allow_private
        )
        outcomes: list[_Sent] = []
        try:
            for job in jobs:
                if time.monotonic() > deadline:
                    break  # the rest stay claimed until the lease runs out, then are sent again
                sent_at = utcnow()
                headers = {
                    "content-type": "application/json",
                    "user-agent": "Homeward-Webhooks/1",
                    "webhook-id": job.event_id,
                    "webhook-timestamp": str(int(sent_at.timestamp())),
                    "webhook-signature": signers[job.subscription_id].sign(
                        job.event_id, sent_at, job.payload
                    ),
                }
                outcomes.append((job, sender.post(job.url, job.payload.encode(), headers), sent_at))
        finally:
            sender.close()
        return outcomes

    def _claim(self, claim: str, batch: int) -> list[_Job]:
        now = utcnow()
        lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
        with self.db.write() as session:
            self._relaxed(session)
            rows = ledger.claim_due(session, claim=claim, now=now, lease=lease, batch=batch)
        secrets: dict[str, str] = {}
        return [
            _Job(
                delivery_id=r.id,
                subscription_id=r.subscription_id,
                attempt=r.attempts,
                first_attempt_at=r.first_attempt_at or now,
                event_id=r.event_id,
                subject=(r.return_id, r.refund_id),
                payload=r.payload or "",
                url=r.url,
                secret=secrets.setdefault(r.secret, unseal(r.secret)),
                failing=r.status == SubscriptionStatus.FAILING.value,
            )
            for r in sorted(rows, key=lambda r: int(r.id))
        ]

    def _record(self, claim: str, outcomes: list[_Sent]) -> None:
        now = utcnow()
        settled: list[ledger.Settled] = []
        recovered: set[int] = set()
        failing: set[int] = set()
        for job, outcome, sent_at in outcomes:
            if is_success(outcome.status_code):
                if job.failing:  # healed (one known active needs no UPDATE: spares a round trip)
                    recovered.add(job.subscription_id)
                status, retry_at = DeliveryStatus.DELIVERED, None
            else:
                retry_at = self.policy.after_failure(job.attempt, job.first_attempt_at, now)
                if retry_at is None:
                    failing.add(job.subscription_id)
                status = DeliveryStatus.PENDING if retry_at else DeliveryStatus.FAILED
            settled.append(
                ledger.Settled(
                    delivery_id=job.delivery_id,
                    subscription_id=job.subscription_id,
                    attempt=job.attempt,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    error=outcome.error,
                    attempted_at=sent_at,
                    status=status,
                    next_attempt_at=retry_at,
                    finished_at=None if retry_at else now,
                )
            )
        with self.db.write() as session:
            self._relaxed(session)
            ledger.settle(session, claim, settled)
            if recovered - failing:
                session.execute(
                    update(WebhookSubscription)
                    .where(
                        WebhookSubscription.id.in_(recovered - failing),
                        WebhookSubscription.status == SubscriptionStatus.FAILING.value,
                    )
                    .values(status=SubscriptionStatus.ACTIVE.value, failing_since=None)
                )
            if failing:
                session.execute(
                    update(WebhookSubscription)
                    .where(WebhookSubscription.id.in_(failing))
                    .values(
                        status=SubscriptionStatus.FAILING.value,
                        failing_since=func.coalesce(WebhookSubscription.failing_since, now),
                    )
                )

    # --- loop -------------------------------------------------------------------------------

    def run_once(self) -> int:
        return self.dispatch() + self.deliver()

    def housekeeping(self) -> bool:
        """One small step of the housekeeping every deployment runs: idempotency keys older than a
        day, and one batch of what the event retention has passed. True while more is due now."""
        purge_expired(self.db)
        pruned = prune_batch(self.db, cutoff(self.settings.event_retention_days))
        return max(pruned.deliveries, pruned.events) >= PRUNE_BATCH

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; a failing database is retried, never fatal. Housekeeping runs
        once an hour, and again at every round while a backlog is left (between deliveries)."""
        housekeeping_due = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= housekeeping_due:
                    more = self.housekeeping()
                    housekeeping_due = time.monotonic() + (0 if more else HOUSEKEEPING_EVERY)
                busy = self.run_once()
            except Exception:
                log.exception("webhook worker step failed; retrying")
                stop.wait(max(self.settings.webhook_poll_seconds, 1.0))
                continue
            if not busy:
                stop.wait(self.settings.webhook_poll_seconds)

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, cast

import pydantic_core
from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from homeward.config import Settings, get_settings
from homeward.db import Database
from homeward.events.domain import DeliveryStatus, RetryPolicy, SubscriptionStatus, is_success
from homeward.events.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from homeward.events.transport import Outcome, Sender
from homeward.idempotency.service import purge_expired
from homeward.kit.clock import utcnow
from homeward.kit.orm import in_ids
from homeward.kit.sealed import unseal

log = logging.getLogger("homeward.worker")

# Renders the `data` of each event (by outbox id) inside the dispatch transaction; events are rows
# with `id`, `merchant_id`, `return_id` and `refund_id`.
Renderer = Callable[[Session, list[Any]], dict[int, Any]]

_ASYNC_COMMIT = text("SET LOCAL synchronous_commit = off")
_OUTBOX = cast(Table, OutboxEvent.__table__)
_DELIVERIES = cast(Table, WebhookDelivery.__table__)


@dataclass(frozen=True)
class _Subscriber:
    id: int
    url: str
    secret: str


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
        """Fan out one batch of new events and make their first attempts; returns how many events
        it handled. The deliveries are created already claimed by this worker, so the first
        attempt needs no second claim; if the worker dies, the lease runs out and anyone retries."""
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
                return 0
            subscribers = self._subscribers(session, {e.merchant_id for e in events})
            wanted = [e for e in events if subscribers.get((e.merchant_id, e.topic))]
            data = self.render(session, wanted) if wanted else {}
            now = utcnow()
            lease = now + timedelta(seconds=self.settings.webhook_lease_seconds)
            rendered: list[dict[str, Any]] = []
            deliveries: list[dict[str, Any]] = []
            jobs: list[_Job] = []
            for event in wanted:
                if event.id not in data:
                    continue  # its subject is gone: nothing true to say
                payload = pydantic_core.to_json(
                    {"type": event.topic, "timestamp": event.occurred_at, "data": data[event.id]}
                ).decode()
                rendered.append({"b_id": event.id, "b_payload": payload})
                for subscriber in subscribers[(event.merchant_id, event.topic)]:
                    deliveries.append(
                        {
                            "event_id": event.id,
                            "subscription_id": subscriber.id,
                            "status": DeliveryStatus.PENDING.value,
                            "attempts": 1,
                            "first_attempt_at": now,
                            "next_attempt_at": lease,
                            "claim": claim,
                        }
                    )
                    jobs.append(
                        _Job(
                            0,
                            subscriber.id,
                            1,
                            now,
                            event.event_id,
                            (event.return_id, event.refund_id),
                            payload,
                            subscriber.url,
                            subscriber.secret,
                        )
                    )
            table = _OUTBOX
            session.execute(
                update(table).where(in_ids(table.c.id, self.dialect)).values(dispatched=True),
                {"ids": [e.id for e in events]},
            )
            if rendered:
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"))
                    .values(payload=bindparam("b_payload")),
                    rendered,
                )
            if deliveries:
                ids = session.scalars(
                    insert(WebhookDelivery).returning(WebhookDelivery.id, sort_by_parameter_order=True),
                    deliveries,
                ).all()
                jobs = [replace(job, delivery_id=i) for job, i in zip(jobs, ids, strict=True)]
        if jobs:
            self._send_and_record(claim, jobs)
        return len(events)

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
            )
            .where(WebhookSubscription.merchant_id.in_(merchant_ids))
            .order_by(WebhookSubscription.id)
        )
        for row in rows:
            subscriber = _Subscriber(row.id, row.url, unseal(row.secret))
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
        return self._send_and_record(claim, jobs)

    def _send_and_record(self, claim: str, jobs: list[_Job]) -> int:
        deadline = time.monotonic() + self.settings.webhook_lease_seconds * 0.8
        signers = {job.subscription_id: Webhook(job.secret) for job in jobs}
        lanes = max(1, min(self.settings.webhook_concurrency, len(jobs)))
        outcomes: list[tuple[_Job, Outcome, datetime]] = []
        try:
            if lanes == 1:
                outcomes = self._send(jobs, signers, deadline)
            else:
                # Receivers answer in parallel, each lane on its own kept-alive connections; the
                # events of one return stay in one lane, so they go out in the order they happened.
                split: list[list[_Job]] = [[] for _ in range(lanes)]
                for job in jobs:
                    split[hash((job.subscription_id, job.subject)) % lanes].append(job)
                with ThreadPoolExecutor(lanes) as pool:
                    for sent in pool.map(lambda lane: self._send(lane, signers, deadline), split):
                        outcomes.extend(sent)
        finally:
            if outcomes:
                self._record(claim, outcomes)
        return len(outcomes)

    def _send(
        self, jobs: list[_Job], signers: dict[int, Webhook], deadline: float
    ) -> list[tuple[_Job, Outcome, datetime]]:
        sender = Sender(
            timeout=self.settings.webhook_timeout_seconds, allow_private=self.settings.webhook_allow_private
        )
        outcomes: list[tuple[_Job, Outcome, datetime]] = []
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
        with self.db.write() as session:
            self._relaxed(session)
            rows = session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookDelivery.subscription_id,
                    WebhookDelivery.attempts,
                    WebhookDelivery.first_attempt_at,
                    OutboxEvent.event_id,
                    OutboxEvent.return_id,
                    OutboxEvent.refund_id,
                    OutboxEvent.payload,
                    WebhookSubscription.url,
                    WebhookSubscription.secret,
                )
                .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(
                    WebhookDelivery.status == DeliveryStatus.PENDING.value,
                    WebhookDelivery.next_attempt_at <= now,
                )
                .order_by(WebhookDelivery.id)
                .limit(batch)
                .with_for_update(skip_locked=True, of=WebhookDelivery)
            ).all()
            if not rows:
                return []
            session.execute(
                update(WebhookDelivery)
                .where(in_ids(WebhookDelivery.id, self.dialect))
                .values(
                    claim=claim,
                    attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=self.settings.webhook_lease_seconds),
                    first_attempt_at=func.coalesce(WebhookDelivery.first_attempt_at, now),
                ),
                {"ids": [r.id for r in rows]},
            )
            secrets: dict[str, str] = {}
            return [
                _Job(
                    delivery_id=r.id,
                    subscription_id=r.subscription_id,
                    attempt=r.attempts + 1,
                    first_attempt_at=r.first_attempt_at or now,
                    event_id=r.event_id,
                    subject=(r.return_id, r.refund_id),
                    payload=r.payload or "",
                    url=r.url,
                    secret=secrets.setdefault(r.secret, unseal(r.secret)),
                )
                for r in rows
            ]

    def _record(self, claim: str, outcomes: list[tuple[_Job, Outcome, datetime]]) -> None:
        now = utcnow()
        with self.db.write() as session:
            self._relaxed(session)
            session.execute(
                insert(WebhookAttempt),
                [
                    {
                        "delivery_id": job.delivery_id,
                        "subscription_id": job.subscription_id,
                        "attempt": job.attempt,
                        "status_code": outcome.status_code,
                        "latency_ms": outcome.latency_ms,
                        "error": outcome.error,
                        "attempted_at": sent_at,
                    }
                    for job, outcome, sent_at in outcomes
                ],
            )
            # Every update is limited to deliveries still under our claim: one whose lease ran out
            # is another worker's now, and its outcome is theirs to record.
            table = _DELIVERIES
            mine = table.c.claim == claim
            delivered: dict[int, list[int]] = defaultdict(list)  # by status code: one UPDATE each
            retries: list[dict[str, Any]] = []
            recovered: set[int] = set()
            failing: set[int] = set()
            for job, outcome, _ in outcomes:
                if is_success(outcome.status_code):
                    assert outcome.status_code is not None
                    delivered[outcome.status_code].append(job.delivery_id)
                    recovered.add(job.subscription_id)
                    continue
                retry_at = self.policy.after_failure(job.attempt, job.first_attempt_at, now)
                if retry_at is None:
                    failing.add(job.subscription_id)
                retries.append(
                    {
                        "b_id": job.delivery_id,
                        "b_code": outcome.status_code,
                        "b_status": (DeliveryStatus.PENDING if retry_at else DeliveryStatus.FAILED).value,
                        "b_next": retry_at or now,
                        "b_finished": None if retry_at else now,
                    }
                )
            for code, ids in delivered.items():
                session.execute(
                    update(table)
                    .where(table.c.id.in_(ids), mine)
                    .values(
                        status=DeliveryStatus.DELIVERED.value,
                        finished_at=now,
                        claim=None,
                        last_status_code=code,
                    )
                )
            if retries:
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("b_id"), mine)
                    .values(
                        status=bindparam("b_status"),
                        last_status_code=bindparam("b_code"),
                        next_attempt_at=bindparam("b_next"),
                        finished_at=bindparam("b_finished"),
                        claim=None,
                    ),
                    retries,
                )
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

    def run(self, stop: threading.Event) -> None:
        """Work until `stop` is set; a failing database is retried, never fatal. Also forgets
        idempotency keys older than a day, once an hour (housekeeping every deployment runs)."""
        purged_at = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() - purged_at > 3600:
                    purge_expired(self.db)
                    purged_at = time.monotonic()
                busy = self.run_once()
            except Exception:
                log.exception("webhook worker step failed; retrying")
                stop.wait(max(self.settings.webhook_poll_seconds, 1.0))
                continue
            if not busy:
                stop.wait(self.settings.webhook_poll_seconds)

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
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pydantic_core
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from homeward.config import Settings, get_settings
from homeward.db import Database
from homeward.events.domain import DeliveryStatus, RetryPolicy, SubscriptionStatus, is_success
from homeward.events.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from homeward.events.transport import Outcome, Sender
from homeward.idempotency.service import purge_expired
from homeward.kit.clock import utcnow
from homeward.kit.sealed import unseal

log = logging.getLogger("homeward.worker")

# Renders the `data` of each event (by outbox id) inside the dispatch transaction.
Renderer = Callable[[Session, list[OutboxEvent]], dict[int, Any]]

BATCH = 100


@dataclass(frozen=True)
class _Job:
    delivery_id: int
    subscription_id: int
    attempt: int
    first_attempt_at: datetime
    event_id: str
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

    # --- dispatch ---------------------------------------------------------------------------

    def dispatch(self) -> int:
        """Fan out one batch of new events; returns how many events it handled."""
        with self.db.write() as session:
            events = list(
                session.scalars(
                    select(OutboxEvent)
                    .where(OutboxEvent.dispatched.is_(False))
                    .order_by(OutboxEvent.id)
                    .limit(BATCH)
                    .with_for_update(skip_locked=True)
                )
            )
            if not events:
                return 0
            subscribers = self._subscribers(session, {e.merchant_id for e in events})
            wanted = [e for e in events if subscribers.get((e.merchant_id, e.topic))]
            data = self.render(session, wanted) if wanted else {}
            now = utcnow()
            deliveries: list[dict[str, Any]] = []
            for event in wanted:
                if event.id not in data:
                    continue  # its subject is gone: nothing true to say
                event.payload = pydantic_core.to_json(
                    {"type": event.topic, "timestamp": event.occurred_at, "data": data[event.id]}
                ).decode()
                deliveries.extend(
                    {
                        "event_id": event.id,
                        "subscription_id": subscription_id,
                        "status": DeliveryStatus.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": now,
                    }
                    for subscription_id in subscribers[(event.merchant_id, event.topic)]
                )
            for event in events:
                event.dispatched = True
            session.flush()
            if deliveries:
                session.execute(insert(WebhookDelivery), deliveries)
            return len(events)

    @staticmethod
    def _subscribers(session: Session, merchant_ids: set[int]) -> dict[tuple[int, str], list[int]]:
        found: dict[tuple[int, str], list[int]] = defaultdict(list)
        rows = session.execute(
            select(WebhookSubscription.id, WebhookSubscription.merchant_id, WebhookSubscription.topics)
            .where(WebhookSubscription.merchant_id.in_(merchant_ids))
            .order_by(WebhookSubscription.id)
        )
        for subscription_id, merchant_id, topics in rows:
            for topic in topics.split(","):
                found[(merchant_id, topic)].append(subscription_id)
        return found

    # --- deliver ----------------------------------------------------------------------------

    def deliver(self, batch: int = BATCH) -> int:
        """Send one batch of due deliveries; returns how many were attempted."""
        claim = uuid.uuid4().hex
        jobs = self._claim(claim, batch)
        if not jobs:
            return 0
        sender = Sender(
            timeout=self.settings.webhook_timeout_seconds, allow_private=self.settings.webhook_allow_private
        )
        deadline = time.monotonic() + self.settings.webhook_lease_seconds * 0.8
        outcomes: list[tuple[_Job, Outcome, datetime]] = []
        signers: dict[int, Webhook] = {}
        try:
            for job in jobs:
                if time.monotonic() > deadline:
                    break  # the rest stay claimed until the lease runs out, then are sent again
                signer = signers.get(job.subscription_id)
                if signer is None:
                    signer = signers[job.subscription_id] = Webhook(job.secret)
                sent_at = utcnow()
                headers = {
                    "content-type": "application/json",
                    "user-agent": "Homeward-Webhooks/1",
                    "webhook-id": job.event_id,
                    "webhook-timestamp": str(int(sent_at.timestamp())),
                    "webhook-signature": signer.sign(job.event_id, sent_at, job.payload),
                }
                outcome = sender.post(job.url, job.payload.encode(), headers)
                outcomes.append((job, outcome, sent_at))
        finally:
            sender.close()
            if outcomes:
                self._record(claim, outcomes)
        return len(outcomes)

    def _claim(self, claim: str, batch: int) -> list[_Job]:
        now = utcnow()
        with self.db.write() as session:
            rows = session.execute(
                select(
                    WebhookDelivery.id,
                    WebhookDelivery.subscription_id,
                    WebhookDelivery.attempts,
                    WebhookDelivery.first_attempt_at,
                    OutboxEvent.event_id,
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
                .where(WebhookDelivery.id.in_([r.id for r in rows]))
                .values(
                    claim=claim,
                    attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=self.settings.webhook_lease_seconds),
                    first_attempt_at=func.coalesce(WebhookDelivery.first_attempt_at, now),
                )
            )
            secrets: dict[str, str] = {}
            return [
                _Job(
                    delivery_id=r.id,
                    subscription_id=r.subscription_id,
                    attempt=r.attempts + 1,
                    first_attempt_at=r.first_attempt_at or now,
                    event_id=r.event_id,
                    payload=r.payload or "",
                    url=r.url,
                    secret=secrets.setdefault(r.secret, unseal(r.secret)),
                )
                for r in rows
            ]

    def _record(self, claim: str, outcomes: list[tuple[_Job, Outcome, datetime]]) -> None:
        now = utcnow()
        with self.db.write() as session:
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
            # Only deliveries still under our claim: one whose lease ran out is another worker's now.
            ours = set(
                session.scalars(
                    select(WebhookDelivery.id).where(
                        WebhookDelivery.id.in_([job.delivery_id for job, _, _ in outcomes]),
                        WebhookDelivery.claim == claim,
                    )
                )
            )
            changes: list[dict[str, Any]] = []
            recovered: set[int] = set()
            failing: set[int] = set()
            for job, outcome, _ in outcomes:
                if job.delivery_id not in ours:
                    continue
                change: dict[str, Any] = {
                    "id": job.delivery_id,
                    "claim": None,
                    "last_status_code": outcome.status_code,
                }
                if is_success(outcome.status_code):
                    change.update(status=DeliveryStatus.DELIVERED.value, finished_at=now)
                    recovered.add(job.subscription_id)
                else:
                    retry_at = self.policy.after_failure(job.attempt, job.first_attempt_at, now)
                    if retry_at is None:
                        change.update(status=DeliveryStatus.FAILED.value, finished_at=now)
                        failing.add(job.subscription_id)
                    else:
                        change.update(next_attempt_at=retry_at)
                changes.append(change)
            if changes:
                session.execute(update(WebhookDelivery), changes)
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

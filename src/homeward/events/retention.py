"""Forgetting what was sent: finished deliveries (delivered, or given up) with their attempt log,
then dispatched outbox events no delivery refers to any more, once older than the retention.

Pending deliveries and undispatched events are never touched, whatever their age: at-least-once
outranks tidiness. Work is done in small batches, one short transaction each, so a prune never
holds SQLite's write lock (or many PostgreSQL row locks) for long.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, select

from homeward.db import Database
from homeward.events.domain import DeliveryStatus
from homeward.events.models import OutboxEvent, WebhookAttempt, WebhookDelivery
from homeward.kit.clock import utcnow

PRUNE_BATCH = 500
_FINISHED = (DeliveryStatus.DELIVERED.value, DeliveryStatus.FAILED.value)


@dataclass(frozen=True)
class Pruned:
    deliveries: int = 0
    events: int = 0

    def __add__(self, other: Pruned) -> Pruned:
        return Pruned(self.deliveries + other.deliveries, self.events + other.events)

    @property
    def rows(self) -> int:
        return self.deliveries + self.events


def cutoff(retention_days: float, now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(days=retention_days)


def prune_batch(db: Database, before: datetime, batch: int = PRUNE_BATCH) -> Pruned:
    """One batch: at most `batch` finished deliveries and `batch` unreferenced events older than
    `before`. Fewer than `batch` of each means nothing more is due."""
    with db.write() as session:
        deliveries = list(
            session.scalars(
                select(WebhookDelivery.id)
                .where(WebhookDelivery.status.in_(_FINISHED), WebhookDelivery.finished_at < before)
                .order_by(WebhookDelivery.id)
                .limit(batch)
            )
        )
        if deliveries:
            session.execute(delete(WebhookAttempt).where(WebhookAttempt.delivery_id.in_(deliveries)))
            session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(deliveries)))
        events = list(
            session.scalars(
                select(OutboxEvent.id)
                .where(
                    OutboxEvent.dispatched.is_(True),
                    OutboxEvent.occurred_at < before,
                    ~exists().where(WebhookDelivery.event_id == OutboxEvent.id),
                )
                .order_by(OutboxEvent.id)
                .limit(batch)
            )
        )
        if events:
            session.execute(delete(OutboxEvent).where(OutboxEvent.id.in_(events)))
    return Pruned(len(deliveries), len(events))


def prune(db: Database, before: datetime, batch: int = PRUNE_BATCH) -> Pruned:
    """Every batch that is due (what `homeward webhook prune` runs)."""
    total = Pruned()
    while True:
        done = prune_batch(db, before, batch)
        total += done
        if done.deliveries < batch and done.events < batch:
            return total

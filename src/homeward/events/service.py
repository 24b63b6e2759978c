"""Webhook subscriptions and their delivery log: one use case, one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from homeward.auth.domain import Principal, Scope
from homeward.config import get_settings
from homeward.db import Database
from homeward.events import domain
from homeward.events.domain import DeliveryStatus, SubscriptionStatus, Topic
from homeward.events.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from homeward.events.transport import checked_address
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, NotFound, RuleViolation
from homeward.kit.sealed import seal
from homeward.tenants.models import Merchant

DESCRIPTION_MAX = 200
LOG_LIMIT_MAX = 250


@dataclass(frozen=True)
class SubscriptionRecord:
    id: int
    url: str
    topics: tuple[Topic, ...]
    description: str
    status: SubscriptionStatus
    created_at: datetime
    failing_since: datetime | None


@dataclass(frozen=True)
class NewSubscription:
    subscription: SubscriptionRecord
    secret: str  # shown once: the receiver needs it to check signatures


@dataclass(frozen=True)
class AttemptRecord:
    id: int
    delivery_id: int
    event_id: str
    topic: str
    attempt: int
    status_code: int | None
    latency_ms: int
    error: str | None
    attempted_at: datetime
    delivery_status: str


@dataclass(frozen=True)
class ReplayRecord:
    delivery_id: int  # the new delivery: its attempts appear in the log under this id
    replay_of: int
    event_id: str
    status: DeliveryStatus


def add_subscription(
    db: Database, principal: Principal, url: str, topics: list[str], description: str = ""
) -> NewSubscription:
    principal.require(Scope.RETURNS_WRITE)
    wanted = domain.parse_topics(topics)
    if len(description) > DESCRIPTION_MAX:
        raise RuleViolation(
            "The description is too long",
            [FieldError("description", f"at most {DESCRIPTION_MAX} characters")],
        )
    receiver = domain.parse_url(url)
    try:  # checked now and again before every delivery (DNS answers change)
        checked_address(receiver, get_settings().webhook_allow_private)
    except OSError as exc:
        raise RuleViolation("The webhook url is not acceptable", [FieldError("url", str(exc))]) from None
    secret = domain.new_secret()
    with db.write() as session:
        if session.get(Merchant, principal.merchant_id) is None:
            raise NotFound(f"Merchant {principal.merchant_id} was not found")
        row = WebhookSubscription(
            merchant_id=principal.merchant_id,
            url=url,
            topics=",".join(wanted),
            description=description,
            secret=seal(secret),
            status=SubscriptionStatus.ACTIVE.value,
            created_at=utcnow(),
        )
        session.add(row)
        session.flush()
        return NewSubscription(_record(row), secret)


def list_subscriptions(db: Database, principal: Principal) -> list[SubscriptionRecord]:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        rows = session.scalars(
            select(WebhookSubscription)
            .where(WebhookSubscription.merchant_id == principal.merchant_id)
            .order_by(WebhookSubscription.id)
        )
        return [_record(row) for row in rows]


def get_subscription(db: Database, principal: Principal, subscription_id: int) -> SubscriptionRecord:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        return _record(_owned(session, principal, subscription_id))


def remove_subscription(db: Database, principal: Principal, subscription_id: int) -> None:
    """Stop sending; the pending deliveries and the log go with the subscription."""
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        session.delete(_owned(session, principal, subscription_id))


def delivery_log(
    db: Database, principal: Principal, subscription_id: int, limit: int = 50, before: int | None = None
) -> list[AttemptRecord]:
    """The subscription's attempts, newest first; `before` (an attempt id) pages back."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        _owned(session, principal, subscription_id)
        query = (
            select(WebhookAttempt, OutboxEvent.event_id, OutboxEvent.topic, WebhookDelivery.status)
            .join(WebhookDelivery, WebhookDelivery.id == WebhookAttempt.delivery_id)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .where(WebhookAttempt.subscription_id == subscription_id)
            .order_by(WebhookAttempt.id.desc())
            .limit(min(max(limit, 1), LOG_LIMIT_MAX))
        )
        if before is not None:
            query = query.where(WebhookAttempt.id < before)
        return [
            AttemptRecord(
                id=attempt.id,
                delivery_id=attempt.delivery_id,
                event_id=event_id,
                topic=topic,
                attempt=attempt.attempt,
                status_code=attempt.status_code,
                latency_ms=attempt.latency_ms,
                error=attempt.error,
                attempted_at=attempt.attempted_at,
                delivery_status=status,
            )
            for attempt, event_id, topic, status in session.execute(query)
        ]


def replay_delivery(
    db: Database, principal: Principal, subscription_id: int, delivery_id: int
) -> ReplayRecord:
    """Send a finished delivery's event again, as it was (same `webhook-id`, same bytes): a new
    delivery the worker picks up at once, with its own attempts and retry window. One still
    pending is refused: the worker is already on it."""
    principal.require(Scope.RETURNS_WRITE)
    with db.write() as session:
        _owned(session, principal, subscription_id)
        original = session.get(WebhookDelivery, delivery_id, with_for_update=True)
        if original is None or original.subscription_id != subscription_id:
            raise NotFound(f"Delivery {delivery_id} of webhook subscription {subscription_id} was not found")
        if original.status == DeliveryStatus.PENDING.value:
            raise RuleViolation(
                "This delivery is still pending",
                [FieldError("delivery_id", "it is being retried already; replay it once it is finished")],
            )
        replay = WebhookDelivery(
            event_id=original.event_id,
            subscription_id=subscription_id,
            status=DeliveryStatus.PENDING.value,
            attempts=0,
            next_attempt_at=utcnow(),
        )
        session.add(replay)
        session.flush()
        event_id = session.scalar(select(OutboxEvent.event_id).where(OutboxEvent.id == original.event_id))
        assert event_id is not None  # a delivery's event outlives it (see events.retention)
        return ReplayRecord(replay.id, original.id, event_id, DeliveryStatus.PENDING)


def _owned(session: Session, principal: Principal, subscription_id: int) -> WebhookSubscription:
    row = session.get(WebhookSubscription, subscription_id)
    if row is None or row.merchant_id != principal.merchant_id:
        raise NotFound(f"Webhook subscription {subscription_id} was not found")
    return row


def _record(row: WebhookSubscription) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=row.id,
        url=row.url,
        topics=tuple(Topic(t) for t in row.topics.split(",") if t),
        description=row.description,
        status=SubscriptionStatus(row.status),
        created_at=row.created_at,
        failing_since=row.failing_since,
    )

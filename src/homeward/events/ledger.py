"""The worker's writes, set-based: a batch of deliveries is fanned out, claimed or settled in one
statement each, whatever its size.

On PostgreSQL every column travels as one array parameter (`unnest`), so each statement's text is
the same for any batch: the server parses and plans it once (psycopg prepares it), and a batch
costs one round trip, not one per row or a VALUES list thousands of parameters long to build and
parse. SQLite, in-process, runs the same rules as plain executemany.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, func, insert, select, text, update
from sqlalchemy.orm import Session

from homeward.events.domain import DeliveryStatus
from homeward.events.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from homeward.kit import bulk

_OUTBOX = cast(Table, OutboxEvent.__table__)
_DELIVERIES = cast(Table, WebhookDelivery.__table__)
_ATTEMPTS = cast(Table, WebhookAttempt.__table__)


@dataclass(frozen=True)
class NewDelivery:
    event_id: int
    subscription_id: int


@dataclass(frozen=True)
class Settled:
    """What one attempt came to: the log row, and where its delivery stands now."""

    delivery_id: int
    subscription_id: int
    attempt: int
    status_code: int | None
    latency_ms: int
    error: str | None
    attempted_at: datetime
    status: DeliveryStatus
    next_attempt_at: datetime | None  # when to retry; None once finished
    finished_at: datetime | None


# --- fan-out: mark a batch of events dispatched (with their payloads) and create its deliveries ---

_PG_FAN_OUT = text(
    """
    WITH rendered AS (
        SELECT e.id, p.payload
        FROM unnest(CAST(:event_ids AS integer[])) WITH ORDINALITY AS e(id, n)
        JOIN json_array_elements_text(CAST(:payloads AS json)) WITH ORDINALITY AS p(payload, n)
            ON p.n = e.n
    ), dispatched AS (
        UPDATE outbox_events AS o SET dispatched = true, payload = rendered.payload
        FROM rendered WHERE o.id = rendered.id
    )
    INSERT INTO webhook_deliveries
        (event_id, subscription_id, status, attempts, first_attempt_at, next_attempt_at, claim)
    SELECT d.event_id, d.subscription_id, :status, 1, :now, :lease, :claim
    FROM unnest(CAST(:d_events AS integer[]), CAST(:d_subscriptions AS integer[]))
        AS d(event_id, subscription_id)
    RETURNING id, event_id, subscription_id
    """
)
_SQLITE_DISPATCHED = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(dispatched=True, payload=bindparam("b_payload"))
)
_NEW_DELIVERY_COLUMNS = (
    "id",
    "event_id",
    "subscription_id",
    "status",
    "attempts",
    "first_attempt_at",
    "next_attempt_at",
    "claim",
)


def fan_out(
    session: Session,
    payloads: dict[int, str | None],
    deliveries: list[NewDelivery],
    *,
    claim: str,
    now: datetime,
    lease: datetime,
) -> list[int]:
    """Mark every event of `payloads` dispatched with its payload (None: nobody wants it), and
    create `deliveries` already claimed until `lease` with their first attempt counted; returns
    their ids in the order given."""
    if session.get_bind().dialect.name == "postgresql":
        found = session.execute(
            _PG_FAN_OUT,
            {
                "event_ids": list(payloads),
                # One JSON array, not a text[]: array literals escape every quote of every
                # payload in Python, json.dumps does it in C.
                "payloads": json.dumps(list(payloads.values())),
                "d_events": [d.event_id for d in deliveries],
                "d_subscriptions": [d.subscription_id for d in deliveries],
                "status": DeliveryStatus.PENDING.value,
                "now": now,
                "lease": lease,
                "claim": claim,
            },
        )
        by_pair = {(r.event_id, r.subscription_id): r.id for r in found}
        return [by_pair[(d.event_id, d.subscription_id)] for d in deliveries]
    session.execute(_SQLITE_DISPATCHED, [{"b_id": i, "b_payload": p} for i, p in payloads.items()])
    if not deliveries:
        return []
    # The ids are drawn first (the write transaction holds SQLite's only writer lock), so one
    # executemany inserts them all: asked for RETURNING in the order given, SQLAlchemy would run
    # one INSERT per delivery instead, a third of a batch's fan-out.
    connection = session.connection()
    ids = bulk.new_ids(connection, "webhook_deliveries", len(deliveries))
    status = DeliveryStatus.PENDING.value
    first, until = bulk.timestamp(connection, now), bulk.timestamp(connection, lease)
    bulk.insert(
        connection,
        "webhook_deliveries",
        _NEW_DELIVERY_COLUMNS,
        (
            (id_, d.event_id, d.subscription_id, status, 1, first, until, claim)
            for id_, d in zip(ids, deliveries, strict=True)
        ),
    )
    return ids


# --- claim: due deliveries (retries, or ones whose worker died) for a lease ----------------------

_CLAIMED = (
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
    WebhookSubscription.status,
)


def claim_due(session: Session, *, claim: str, now: datetime, lease: datetime, batch: int) -> list[Row[Any]]:
    """Take up to `batch` due deliveries (oldest first) until `lease`, counting the attempt about
    to be made; rows of `_CLAIMED`, `attempts` already counting it. Deliveries another worker holds
    are skipped (SKIP LOCKED), not waited for."""
    due = (
        select(WebhookDelivery.id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING.value, WebhookDelivery.next_attempt_at <= now)
        .order_by(WebhookDelivery.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    taking = update(WebhookDelivery).values(
        claim=claim,
        attempts=WebhookDelivery.attempts + 1,
        next_attempt_at=lease,
        first_attempt_at=func.coalesce(WebhookDelivery.first_attempt_at, now),
    )
    if session.get_bind().dialect.name == "postgresql":  # one statement: take them and read them
        return list(
            session.execute(
                taking.where(
                    WebhookDelivery.id.in_(due.scalar_subquery()),
                    OutboxEvent.id == WebhookDelivery.event_id,
                    WebhookSubscription.id == WebhookDelivery.subscription_id,
                )
                .returning(*_CLAIMED)
                .execution_options(synchronize_session=False)
            )
        )
    # SQLite's write lock already keeps other workers out; RETURNING cannot reach joined tables.
    ids = list(session.scalars(due))
    if not ids:
        return []
    session.execute(taking.where(WebhookDelivery.id.in_(ids)).execution_options(synchronize_session=False))
    return list(
        session.execute(
            select(*_CLAIMED)
            .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
            .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
            .where(WebhookDelivery.id.in_(ids))
            .order_by(WebhookDelivery.id)
        )
    )


# --- settle: log every attempt and move its delivery on, if still ours --------------------------

_PG_SETTLE = text(
    """
    WITH logged AS (
        INSERT INTO webhook_attempts
            (delivery_id, subscription_id, attempt, status_code, latency_ms, error, attempted_at)
        SELECT * FROM unnest(
            CAST(:delivery_ids AS integer[]), CAST(:subscription_ids AS integer[]),
            CAST(:attempts AS integer[]), CAST(:codes AS integer[]), CAST(:latencies AS integer[]),
            CAST(:errors AS text[]), CAST(:attempted AS timestamptz[]))
    )
    UPDATE webhook_deliveries AS d
    SET status = v.status, last_status_code = v.code, finished_at = v.finished, claim = NULL,
        next_attempt_at = COALESCE(v.next, d.next_attempt_at)
    FROM unnest(
        CAST(:delivery_ids AS integer[]), CAST(:statuses AS text[]), CAST(:codes AS integer[]),
        CAST(:nexts AS timestamptz[]), CAST(:finished AS timestamptz[]))
        AS v(id, status, code, next, finished)
    WHERE d.id = v.id AND d.claim = :claim
    """
)
_SQLITE_SETTLE = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("b_id"), _DELIVERIES.c.claim == bindparam("b_claim"))
    .values(
        status=bindparam("b_status"),
        last_status_code=bindparam("b_code"),
        finished_at=bindparam("b_finished"),
        claim=None,
        next_attempt_at=func.coalesce(
            bindparam("b_next", type_=_DELIVERIES.c.next_attempt_at.type), _DELIVERIES.c.next_attempt_at
        ),
    )
)


def settle(session: Session, claim: str, settled: list[Settled]) -> None:
    """Only deliveries still under `claim` move on: one whose lease ran out is another worker's
    now, and its outcome is theirs to record (the attempt is logged either way)."""
    if not settled:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            _PG_SETTLE,
            {
                "delivery_ids": [s.delivery_id for s in settled],
                "subscription_ids": [s.subscription_id for s in settled],
                "attempts": [s.attempt for s in settled],
                "codes": [s.status_code for s in settled],
                "latencies": [s.latency_ms for s in settled],
                "errors": [s.error for s in settled],
                "attempted": [s.attempted_at for s in settled],
                "statuses": [s.status.value for s in settled],
                "nexts": [s.next_attempt_at for s in settled],
                "finished": [s.finished_at for s in settled],
                "claim": claim,
            },
        )
        return
    session.execute(
        insert(_ATTEMPTS),
        [
            {
                "delivery_id": s.delivery_id,
                "subscription_id": s.subscription_id,
                "attempt": s.attempt,
                "status_code": s.status_code,
                "latency_ms": s.latency_ms,
                "error": s.error,
                "attempted_at": s.attempted_at,
            }
            for s in settled
        ],
    )
    session.execute(
        _SQLITE_SETTLE,
        [
            {
                "b_id": s.delivery_id,
                "b_claim": claim,
                "b_status": s.status.value,
                "b_code": s.status_code,
                "b_finished": s.finished_at,
                "b_next": s.next_attempt_at,
            }
            for s in settled
        ],
    )

"""Writing events: called inside the transaction of the change, so both commit or neither does.

Only the outbox row is written here; which subscriptions want the event, and its payload, are the
worker's business (events.worker fans out and renders). So a change pays one small INSERT for
its event, whether or not anyone listens.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert
from sqlalchemy.orm import Session

from homeward.db import DriverInsert
from homeward.events.domain import Topic, new_event_id, new_event_ids
from homeward.events.models import OutboxEvent
from homeward.kit import bulk
from homeward.kit.clock import utcnow

# Built once, run on every create and status move: plain Core on the session's connection, so the
# event costs no ORM object and no unit-of-work flush, only the INSERT.
_INSERT = insert(cast(Table, OutboxEvent.__table__))
_DRIVER_INSERT = DriverInsert(_INSERT)  # the same, handed to the driver (every create runs it)


def record_return_event(
    session: Session, merchant_id: int, topic: Topic, return_id: int, occurred_at: datetime
) -> None:
    session.connection().execute(_INSERT, _return_event(merchant_id, topic, return_id, occurred_at))


def record_return_events(connection: Connection, events: Sequence[tuple[int, Topic, int, datetime]]) -> None:
    """Many (merchant_id, topic, return_id, occurred_at) events at once (creates, batch use cases)."""
    _DRIVER_INSERT.run(connection, [_return_event(*event) for event in events])


def _return_event(merchant_id: int, topic: Topic, return_id: int, occurred_at: datetime) -> dict[str, Any]:
    return {**return_event_row(merchant_id, topic, occurred_at), "return_id": return_id}


def return_event_row(merchant_id: int, topic: Topic, occurred_at: datetime) -> dict[str, Any]:
    """An event about a return, as its outbox row but for `return_id`: for a statement that
    stores the return and its event together (returns.repository.insert_return_at_once)."""
    return {
        "event_id": new_event_id(),
        "merchant_id": merchant_id,
        "topic": topic.value,
        "refund_id": None,
        "occurred_at": occurred_at,
        "dispatched": False,
        "payload": None,
    }


def record_refunds_applied(connection: Connection, merchant_id: int, refund_ids: list[int]) -> None:
    """refund.applied for each refund of a batch, in one bulk statement (refund processing is
    set-based: a 100,000-row file applies tens of thousands of refunds, too many for Core's
    per-row parameter handling)."""
    if not refund_ids:
        return
    now = bulk.timestamp(connection, utcnow())
    topic = Topic.REFUND_APPLIED.value
    bulk.insert(
        connection,
        "outbox_events",
        ("event_id", "merchant_id", "topic", "refund_id", "occurred_at", "dispatched"),
        (
            (event_id, merchant_id, topic, refund_id, now, False)
            for event_id, refund_id in zip(new_event_ids(len(refund_ids)), refund_ids, strict=True)
        ),
    )

"""Writing events: called inside the transaction of the change, so both commit or neither does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert
from sqlalchemy.orm import Session

from homeward.events.domain import Topic, new_event_id
from homeward.events.models import OutboxEvent
from homeward.kit.clock import utcnow


def record_return_event(
    session: Session, merchant_id: int, topic: Topic, return_id: int, occurred_at: datetime
) -> None:
    session.add(OutboxEvent(**_return_event(merchant_id, topic, return_id, occurred_at)))


def record_return_events(connection: Connection, events: Sequence[tuple[int, Topic, int, datetime]]) -> None:
    """Many (merchant_id, topic, return_id, occurred_at) events in one statement (batch use cases)."""
    if events:
        connection.execute(insert(OutboxEvent), [_return_event(*event) for event in events])


def _return_event(merchant_id: int, topic: Topic, return_id: int, occurred_at: datetime) -> dict[str, Any]:
    return {
        "event_id": new_event_id(),
        "merchant_id": merchant_id,
        "topic": topic.value,
        "return_id": return_id,
        "occurred_at": occurred_at,
        "dispatched": False,
    }


def record_refunds_applied(connection: Connection, merchant_id: int, refund_ids: list[int]) -> None:
    """refund.applied for each refund of a batch, in one statement (refund processing is set-based)."""
    if not refund_ids:
        return
    now = utcnow()
    connection.execute(
        insert(OutboxEvent),
        [
            {
                "event_id": new_event_id(),
                "merchant_id": merchant_id,
                "topic": Topic.REFUND_APPLIED.value,
                "refund_id": refund_id,
                "occurred_at": now,
                "dispatched": False,
            }
            for refund_id in refund_ids
        ],
    )

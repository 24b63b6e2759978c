"""What a webhook carries: the return in the 2025-07 shape, or the refund as /refunds/v1 shows it."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy.orm import Session

from homeward.doors.refunds_api.schemas import refund_out
from homeward.doors.shipbob.mapping import body_2025
from homeward.events.models import OutboxEvent
from homeward.labels.service import labelled_in
from homeward.refunds.reading import refunds_in


def render(session: Session, events: list[OutboxEvent]) -> dict[int, Any]:
    """The `data` of each event by outbox id, read in a few queries per merchant for the batch."""
    returns: dict[int, set[int]] = defaultdict(set)
    refunds: dict[int, set[int]] = defaultdict(set)
    for event in events:
        if event.return_id is not None:
            returns[event.merchant_id].add(event.return_id)
        if event.refund_id is not None:
            refunds[event.merchant_id].add(event.refund_id)
    return_bodies = {
        (merchant_id, return_id): body_2025(found.record, found.label)
        for merchant_id, ids in returns.items()
        for return_id, found in labelled_in(session, merchant_id, list(ids)).items()
    }
    refund_bodies = {
        (merchant_id, refund_id): refund_out(found).model_dump(mode="json")
        for merchant_id, ids in refunds.items()
        for refund_id, found in refunds_in(session, merchant_id, list(ids)).items()
    }
    data: dict[int, Any] = {}
    for event in events:
        if event.return_id is not None and (event.merchant_id, event.return_id) in return_bodies:
            data[event.id] = return_bodies[(event.merchant_id, event.return_id)]
        elif event.refund_id is not None and (event.merchant_id, event.refund_id) in refund_bodies:
            data[event.id] = refund_bodies[(event.merchant_id, event.refund_id)]
    return data

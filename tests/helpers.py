"""Test-only shortcuts into the service layer, for states no door reaches yet."""

from __future__ import annotations

from homeward.db import Database
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnOrder
from homeward.returns.service import change_status


def advance(db: Database, return_id: int, *statuses: ReturnStatus) -> None:
    """Move a return through statuses the way the warehouse will (checked transitions, history)."""
    with db.write() as session:
        row = session.get(ReturnOrder, return_id)
        assert row is not None
        for status in statuses:
            change_status(row, status)

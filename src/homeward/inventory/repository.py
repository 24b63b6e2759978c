"""Ledger sums: per item and fulfillment center, or per return and item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from homeward.inventory.domain import Balance, Bucket
from homeward.inventory.models import LedgerEntry


def balance(session: Session, inventory_id: int, fulfillment_center_id: int) -> Balance:
    return _sums(
        session,
        LedgerEntry.inventory_id == inventory_id,
        LedgerEntry.fulfillment_center_id == fulfillment_center_id,
    )


def balance_of_return(session: Session, return_id: int, inventory_id: int) -> Balance:
    return _sums(session, LedgerEntry.return_id == return_id, LedgerEntry.inventory_id == inventory_id)


def quarantine_history(
    session: Session, return_id: int, inventory_id: int
) -> tuple[list[tuple[datetime, int]], int]:
    """(units put into quarantine, oldest first), and how many of them have left since."""
    rows = session.execute(
        select(LedgerEntry.occurred_at, LedgerEntry.quantity)
        .where(
            LedgerEntry.return_id == return_id,
            LedgerEntry.inventory_id == inventory_id,
            LedgerEntry.bucket == Bucket.QUARANTINE.value,
        )
        .order_by(LedgerEntry.id)
    ).all()
    deposits = [(when, quantity) for when, quantity in rows if quantity > 0]
    released = -sum(quantity for _, quantity in rows if quantity < 0)
    return deposits, released


def _sums(session: Session, *conditions: object) -> Balance:
    query = (
        select(LedgerEntry.bucket, func.sum(LedgerEntry.quantity))
        .where(*conditions)  # type: ignore[arg-type]
        .group_by(LedgerEntry.bucket)
    )
    return Balance.of({Bucket(bucket): int(total) for bucket, total in session.execute(query)})


def quarantined_in_center(
    session: Session, fulfillment_center_id: int, limit: int
) -> list[tuple[int, int, int, datetime]]:
    """(return id, inventory id, units in quarantine, first put there) with units still there."""
    units = func.sum(LedgerEntry.quantity)
    query = (
        select(LedgerEntry.return_id, LedgerEntry.inventory_id, units, func.min(LedgerEntry.occurred_at))
        .where(
            LedgerEntry.fulfillment_center_id == fulfillment_center_id,
            LedgerEntry.bucket == Bucket.QUARANTINE.value,
        )
        .group_by(LedgerEntry.return_id, LedgerEntry.inventory_id)
        .having(units > 0)
        .order_by(func.min(LedgerEntry.occurred_at), LedgerEntry.return_id, LedgerEntry.inventory_id)
        .limit(limit)
    )
    return [(r, i, int(q), when) for r, i, q, when in session.execute(query)]

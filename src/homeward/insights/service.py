"""Insights for a merchant: what came back, why, what became of it and how long it took.

Read-only aggregate queries over the returns created in a period (insights.domain.Period),
scoped to the merchant and led by the (merchant_id, insert_date) index, so a period costs the
returns in it, not the merchant's whole history. Cancelled returns never came back: not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from homeward.auth.domain import Principal, Scope
from homeward.catalog.models import Product
from homeward.db import Database
from homeward.insights.domain import Period
from homeward.inventory.domain import Bucket
from homeward.inventory.models import LedgerEntry
from homeward.receiving.domain import LineKind
from homeward.receiving.models import Inspection
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder
from homeward.returns.reasons import LABELS, ReturnReason

NO_REASON = "No reason given"
TOP_SKUS = 10


@dataclass(frozen=True)
class ReasonCount:
    reason: ReturnReason | None  # None: the return did not say why
    label: str
    returns: int  # returns with at least one item for this reason
    units: int


@dataclass(frozen=True)
class SkuCount:
    inventory_id: int
    sku: str
    name: str
    returns: int
    units: int


@dataclass(frozen=True)
class Disposition:
    """Where the period's returned units are now: the inventory ledger's balances, so units
    released from quarantine count where they went; `short` units were announced, never came."""

    restocked: int
    quarantined: int
    disposed: int
    short: int

    @property
    def total(self) -> int:
        return self.restocked + self.quarantined + self.disposed


@dataclass(frozen=True)
class Insights:
    period: Period
    returns: int
    units: int
    completed: int
    average_days_to_complete: float | None  # over the completed returns; None when none
    by_reason: list[ReasonCount]
    top_skus: list[SkuCount]
    disposition: Disposition


def insights(db: Database, principal: Principal, period: Period, *, top: int = TOP_SKUS) -> Insights:
    principal.require(Scope.RETURNS_READ)
    start = datetime.combine(period.start, time(), UTC)
    end = datetime.combine(period.end + timedelta(days=1), time(), UTC)
    in_period = and_(
        ReturnOrder.merchant_id == principal.merchant_id,
        ReturnOrder.insert_date >= start,
        ReturnOrder.insert_date < end,
        ReturnOrder.status != ReturnStatus.CANCELLED.value,
    )
    with db.read() as session:
        returns, completed, average = session.execute(
            select(
                func.count(),
                func.count(ReturnOrder.completed_date),
                func.avg(_days_to_complete(session)),
            ).where(in_period)
        ).one()
        by_reason = _by_reason(session, in_period)
        return Insights(
            period=period,
            returns=returns,
            units=sum(r.units for r in by_reason),  # every item has one reason (or none): all units
            completed=completed,
            average_days_to_complete=float(average) if average is not None else None,
            by_reason=by_reason,
            top_skus=_top_skus(session, in_period, top),
            disposition=_disposition(session, in_period),
        )


def _days_to_complete(session: Session) -> ColumnElement[Any]:
    """Days (with fractions) from creation to completion; NULL while not completed."""
    if session.get_bind().dialect.name == "postgresql":
        seconds = func.extract("epoch", ReturnOrder.completed_date - ReturnOrder.insert_date)
        return seconds / 86400.0
    return func.julianday(ReturnOrder.completed_date) - func.julianday(ReturnOrder.insert_date)


def _items(in_period: ColumnElement[bool], *columns: Any) -> Select[Any]:
    return (
        select(*columns)
        .select_from(ReturnItem)
        .join(ReturnOrder, ReturnItem.return_id == ReturnOrder.id)
        .where(in_period)
    )


def _by_reason(session: Session, in_period: ColumnElement[bool]) -> list[ReasonCount]:
    rows = session.execute(
        _items(
            in_period,
            ReturnItem.reason_code,
            func.count(func.distinct(ReturnItem.return_id)),
            func.sum(ReturnItem.quantity),
        ).group_by(ReturnItem.reason_code)
    ).all()
    counts = []
    for code, returns, units in rows:
        reason = _reason(code)
        counts.append(ReasonCount(reason, LABELS[reason] if reason else NO_REASON, returns, int(units or 0)))
    # Unknown codes (none today) and missing ones both read "no reason"; merge them.
    merged: dict[ReturnReason | None, ReasonCount] = {}
    for c in counts:
        seen = merged.get(c.reason)
        merged[c.reason] = (
            c
            if seen is None
            else ReasonCount(c.reason, c.label, seen.returns + c.returns, seen.units + c.units)
        )
    return sorted(merged.values(), key=lambda c: (-c.returns, -c.units, c.label))


def _reason(code: str | None) -> ReturnReason | None:
    try:
        return ReturnReason(code) if code else None
    except ValueError:
        return None


def _top_skus(session: Session, in_period: ColumnElement[bool], top: int) -> list[SkuCount]:
    returns = func.count(func.distinct(ReturnItem.return_id))
    units = func.sum(ReturnItem.quantity)
    rows = session.execute(
        _items(in_period, ReturnItem.inventory_id, Product.sku, Product.name, returns, units)
        .join(Product, Product.id == ReturnItem.inventory_id)
        .group_by(ReturnItem.inventory_id, Product.sku, Product.name)
        .order_by(units.desc(), returns.desc(), Product.sku)
        .limit(top)
    ).all()
    return [SkuCount(i, sku, name, r, int(u or 0)) for i, sku, name, r, u in rows]


def _disposition(session: Session, in_period: ColumnElement[bool]) -> Disposition:
    buckets = dict(
        session.execute(
            select(LedgerEntry.bucket, func.sum(LedgerEntry.quantity))
            .join(ReturnOrder, LedgerEntry.return_id == ReturnOrder.id)
            .where(in_period)
            .group_by(LedgerEntry.bucket)
        ).all()
    )
    short = session.scalar(
        select(func.coalesce(func.sum(Inspection.quantity), 0))
        .join(ReturnOrder, Inspection.return_id == ReturnOrder.id)
        .where(in_period, Inspection.kind == LineKind.SHORT.value)
    )
    return Disposition(
        restocked=int(buckets.get(Bucket.SELLABLE.value) or 0),
        quarantined=int(buckets.get(Bucket.QUARANTINE.value) or 0),
        disposed=int(buckets.get(Bucket.DISPOSED.value) or 0),
        short=int(short or 0),
    )

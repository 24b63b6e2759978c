"""Charging fees inside the caller's transaction (receiving and quarantine use cases)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from homeward.billing import domain
from homeward.billing.models import FeeScheduleRow
from homeward.returns.domain import ReturnType
from homeward.returns.models import ReturnOrder, ReturnTransaction


def schedule_for(session: Session, merchant_id: int) -> domain.FeeSchedule:
    row = session.get(FeeScheduleRow, merchant_id)
    return row.schedule() if row is not None else domain.FeeSchedule()


def charge_completion(session: Session, row: ReturnOrder, units_processed: int) -> None:
    fees = domain.completion_fees(
        schedule_for(session, row.merchant_id), ReturnType(row.return_type), units_processed
    )
    for fee in fees:
        _charge(row, fee)


@dataclass(frozen=True)
class Completion:
    """A return just completed, with the units it received (extras included, short units not)."""

    return_id: int
    merchant_id: int
    return_type: ReturnType
    units_processed: int


def charge_completions(session: Session, completions: Sequence[Completion]) -> None:
    """charge_completion for many returns at once: one read of the schedules, one insert."""
    if not completions:
        return
    schedules = schedules_for(session, {c.merchant_id for c in completions})
    charges = [
        {"return_id": c.return_id, "transaction_type": fee.fee_type.value, "amount": fee.amount}
        for c in completions
        for fee in domain.completion_fees(
            schedules.get(c.merchant_id, domain.FeeSchedule()), c.return_type, c.units_processed
        )
    ]
    if charges:
        session.connection().execute(insert(ReturnTransaction), charges)


def schedules_for(session: Session, merchant_ids: set[int]) -> dict[int, domain.FeeSchedule]:
    rows = session.scalars(select(FeeScheduleRow).where(FeeScheduleRow.merchant_id.in_(merchant_ids)))
    return {row.merchant_id: row.schedule() for row in rows}


def charge_storage(session: Session, row: ReturnOrder, unit_days: int) -> Decimal | None:
    fee = domain.storage_fee(schedule_for(session, row.merchant_id), unit_days)
    if fee is None:
        return None
    _charge(row, fee)
    return fee.amount


def _charge(row: ReturnOrder, fee: domain.Fee) -> None:
    row.transactions.append(ReturnTransaction(transaction_type=fee.fee_type.value, amount=fee.amount))

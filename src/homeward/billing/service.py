"""Charging fees inside the caller's transaction (receiving and quarantine use cases)."""

from __future__ import annotations

from decimal import Decimal

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


def charge_storage(session: Session, row: ReturnOrder, unit_days: int) -> Decimal | None:
    fee = domain.storage_fee(schedule_for(session, row.merchant_id), unit_days)
    if fee is None:
        return None
    _charge(row, fee)
    return fee.amount


def _charge(row: ReturnOrder, fee: domain.Fee) -> None:
    row.transactions.append(ReturnTransaction(transaction_type=fee.fee_type.value, amount=fee.amount))

"""What a merchant is charged for returns, and when (see README, "Fees").

- On completion: ReturnProcessingFee for a Regular return or ReturnToSenderFee for an RTS one
  (one or the other, per return), plus ReturnPerUnitFee for every unit processed (extras
  included, short units not).
- On release from quarantine: QuarantineStorageFee per unit for each day, or part of a day,
  the unit spent in quarantine.
A fee of zero is not written; invoice_amount is the sum of a return's transactions.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum

from homeward.kit.money import to_money
from homeward.returns.domain import ReturnType

DAY = timedelta(days=1)
ZERO = Decimal("0.00")


class FeeType(StrEnum):
    RETURN_PROCESSING = "ReturnProcessingFee"
    RETURN_TO_SENDER = "ReturnToSenderFee"
    PER_UNIT = "ReturnPerUnitFee"
    QUARANTINE_STORAGE = "QuarantineStorageFee"


@dataclass(frozen=True)
class FeeSchedule:
    """One merchant's prices; all zero until an operator imports a schedule."""

    return_processing: Decimal = ZERO
    per_unit: Decimal = ZERO
    return_to_sender: Decimal = ZERO
    quarantine_per_unit_day: Decimal = ZERO


@dataclass(frozen=True)
class Fee:
    fee_type: FeeType
    amount: Decimal


def completion_fees(schedule: FeeSchedule, return_type: ReturnType, units_processed: int) -> list[Fee]:
    per_return = (
        Fee(FeeType.RETURN_TO_SENDER, to_money(schedule.return_to_sender))
        if return_type is ReturnType.RETURN_TO_SENDER
        else Fee(FeeType.RETURN_PROCESSING, to_money(schedule.return_processing))
    )
    per_unit = Fee(FeeType.PER_UNIT, to_money(schedule.per_unit * units_processed))
    return [fee for fee in (per_return, per_unit) if fee.amount != ZERO]


def storage_fee(schedule: FeeSchedule, unit_days: int) -> Fee | None:
    amount = to_money(schedule.quarantine_per_unit_day * unit_days)
    return Fee(FeeType.QUARANTINE_STORAGE, amount) if amount != ZERO else None


def quarantine_unit_days(
    deposits: Sequence[tuple[datetime, int]], released_before: int, releasing: int, now: datetime
) -> int:
    """Unit-days of storage for `releasing` units, taken first-in first-out from the deposits.

    `deposits` are (when, units) put into quarantine, oldest first; `released_before` units of
    them already left. Each unit counts every started day, at least one.
    """
    skip, left, unit_days = released_before, releasing, 0
    for when, units in deposits:
        available = units - min(skip, units)
        skip -= units - available
        taken = min(available, left)
        if taken:
            days = max(1, math.ceil((now - when) / DAY))
            unit_days += taken * days
            left -= taken
        if not left:
            break
    return unit_days

"""The OMS's view of a return: its three statuses, item statuses and times (seed 004).

Homeward's five return statuses fold into the OMS's three; a return created through the OMS
starts OPEN like any other, so a request cannot create one already PROCESSING or CLOSED.
Field names here are the OMS's own, since these rules exist only in its vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from homeward.kit.errors import FieldError
from homeward.returns.domain import ReturnStatus

# Clocks disagree a little; a creation time further ahead than this is a mistake.
CLOCK_SKEW = timedelta(minutes=5)


class OmsStatus(StrEnum):
    OPEN = "OPEN"
    PROCESSING = "PROCESSING"
    CLOSED = "CLOSED"


class ItemStatus(StrEnum):
    ACCEPTED = "ACCEPTED"
    PENDING = "PENDING"
    REJECTED = "REJECTED"

    @property
    def expects_units(self) -> bool:
        """A rejected item stays on the return, but the warehouse should receive none of it."""
        return self is not ItemStatus.REJECTED


_STATUS_OF = {
    ReturnStatus.AWAITING_ARRIVAL: OmsStatus.OPEN,
    ReturnStatus.ARRIVED: OmsStatus.OPEN,
    ReturnStatus.PROCESSING: OmsStatus.PROCESSING,
    ReturnStatus.COMPLETED: OmsStatus.CLOSED,
    ReturnStatus.CANCELLED: OmsStatus.CLOSED,
}


def status_of(status: ReturnStatus) -> OmsStatus:
    return _STATUS_OF[status]


@dataclass(frozen=True)
class NewReturnTimes:
    status: OmsStatus | None
    created_time: datetime | None
    cleared_time: datetime | None


def check_new_return(times: NewReturnTimes, now: datetime) -> list[FieldError]:
    """A new return is OPEN and not yet cleared; its creation time is not in the future."""
    errors: list[FieldError] = []
    if times.status is not None and times.status is not OmsStatus.OPEN:
        errors.append(
            FieldError(
                "status",
                f"a new return is OPEN; it becomes PROCESSING and CLOSED as the warehouse works on it "
                f"(got {times.status})",
            )
        )
    if times.cleared_time is not None:
        errors.append(
            FieldError(
                "clearedTime", "a new return is not cleared; it is cleared when completed or cancelled"
            )
        )
    if times.created_time is not None and times.created_time > now + CLOCK_SKEW:
        errors.append(FieldError("createdTime", "must not be in the future"))
    return errors


def confirm_time(
    given: datetime | None, statuses: Iterable[ItemStatus], created: datetime
) -> datetime | None:
    """When the return's items were accepted or rejected: as the OMS says, else at creation if
    any item arrived already decided; None while every item is PENDING."""
    if given is not None:
        return given
    return created if any(s is not ItemStatus.PENDING for s in statuses) else None


def cleared_time(
    status: ReturnStatus, completed: datetime | None, history: Iterable[tuple[ReturnStatus, datetime]]
) -> datetime | None:
    """A return is cleared when it is completed or cancelled."""
    if status is ReturnStatus.COMPLETED:
        return completed
    if status is ReturnStatus.CANCELLED:
        return max((at for s, at in history if s is ReturnStatus.CANCELLED), default=None)
    return None

"""Which returns an insight counts: a period of days, chosen by dates or by a preset.

A period is whole days in UTC, both ends included; the returns counted are those created in it
(so a return's reason, items, outcome and processing time all belong to the same cohort).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from homeward.kit.errors import FieldError, InvalidInput

PRESETS = (7, 30, 90)  # days, ending today
DEFAULT_DAYS = 30
MAX_DAYS = 366 * 3  # longer periods are a typo more often than a question
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Period:
    start: date  # first day counted
    end: date  # last day counted
    preset: int | None = None  # the preset (days ending today) it was chosen as, if any

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def last_days(days: int, today: date) -> Period:
    return Period(today - timedelta(days=days - 1), today, days)


def period(start: str, end: str, days: str, today: date) -> Period:
    """The period a person asked for: `days` (a preset), or from/to dates (YYYY-MM-DD); the last
    30 days when nothing is given. InvalidInput names each field that cannot be used."""
    start, end, days = start.strip(), end.strip(), days.strip()
    if not start and not end:
        if not days:
            return last_days(DEFAULT_DAYS, today)
        if days.isdigit() and int(days) in PRESETS:
            return last_days(int(days), today)
        raise InvalidInput(
            "That period is not offered",
            [FieldError("days", f"must be one of {', '.join(str(p) for p in PRESETS)}")],
        )
    errors: list[FieldError] = []
    first = _day(start, "from", errors) if start else None
    last = _day(end, "to", errors) if end else today
    if first is None and not errors:
        errors.append(FieldError("from", "give the first day of the period"))
    if errors:
        raise InvalidInput("The period's dates cannot be used", errors)
    assert first is not None and last is not None
    if last < first:
        errors.append(FieldError("to", "must be on or after the from date"))
    elif (last - first).days + 1 > MAX_DAYS:
        errors.append(FieldError("to", f"the period may be at most {MAX_DAYS} days long"))
    if errors:
        raise InvalidInput("The period's dates cannot be used", errors)
    return Period(first, last)


def _day(text: str, name: str, errors: list[FieldError]) -> date | None:
    try:
        value = date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        value = None
    if value is None:
        errors.append(FieldError(name, "must be a date written YYYY-MM-DD"))
        return None
    if not EARLIEST <= value <= date(9998, 12, 31):
        errors.append(FieldError(name, f"must be between {EARLIEST.isoformat()} and 9998-12-31"))
        return None
    return value

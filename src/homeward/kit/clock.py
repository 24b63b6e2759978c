"""One place that knows what time it is, so tests and rules agree on UTC."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)

"""Input hygiene shared by the doors' schemas: text PostgreSQL can store, ints our columns hold."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, Field

INT32_MAX = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of the supported date range") from exc


CleanStr = Annotated[str, AfterValidator(_no_nul)]
UtcDateTime = Annotated[datetime, AfterValidator(_utc)]
Id32 = Annotated[int, Field(ge=0, le=INT32_MAX)]

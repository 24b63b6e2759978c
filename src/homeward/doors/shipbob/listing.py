"""Query-string filters of the ShipBob list endpoints -> a ReturnFilter.

Lists may come comma-separated (`Status=Arrived,Processing`) or repeated (`Status=A&Status=B`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from fastapi import Query

from homeward.catalog.domain import ReturnAction
from homeward.kit.errors import FieldError, InvalidInput
from homeward.kit.text import INT32_MAX
from homeward.returns.domain import ReturnStatus, ReturnType
from homeward.returns.listing import ReturnFilter

T = TypeVar("T")
ListParam = list[str] | None


def _split(raw: ListParam) -> list[str]:
    return [part.strip() for value in raw or [] for part in value.split(",") if part.strip()]


def _parse(name: str, raw: ListParam, convert: Callable[[str], T], errors: list[FieldError]) -> tuple[T, ...]:
    parsed: list[T] = []
    for value in _split(raw):
        try:
            if "\x00" in value:
                raise ValueError("must not contain NUL characters")
            parsed.append(convert(value))
        except ValueError as exc:
            errors.append(FieldError(name, f"{value[:60]!r} is not valid: {exc}"))
    return tuple(parsed)


def _int32(text: str) -> int:
    if not text.isdigit() or int(text) > INT32_MAX:
        raise ValueError("expected a non-negative 32-bit integer")
    return int(text)


def _text(text: str) -> str:
    if len(text) > 500:
        raise ValueError("is longer than 500 characters")
    return text


def _action(text: str) -> ReturnAction:
    for action in ReturnAction:
        if action.value.lower() == text.lower():
            return action
    raise ValueError("expected Restock, Quarantine or Dispose")


def _date(name: str, text: str | None, errors: list[FieldError]) -> datetime | None:
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except (ValueError, OverflowError):
        errors.append(FieldError(name, f"{text[:60]!r} is not an ISO 8601 date-time"))
        return None


async def return_filter(
    Ids: ListParam = Query(None, description="Return ids, comma separated"),
    IDs: ListParam = Query(None, description="Alias of Ids (1.0 spelling)"),
    ReferenceIds: ListParam = Query(None),
    Status: ListParam = Query(None, description="e.g. `Awaiting Arrival` or `AwaitingArrival`"),
    FulfillmentCenterIds: ListParam = Query(None),
    TrackingNumbers: ListParam = Query(None),
    OriginalShipmentIds: ListParam = Query(None),
    InventoryIds: ListParam = Query(None),
    StoreOrderIds: ListParam = Query(None),
    ReturnTypes: ListParam = Query(None, description="Regular, ReturnToSender"),
    ReturnActions: ListParam = Query(None, description="Restock, Quarantine, Dispose"),
    StartDate: str | None = Query(None, description="Inserted at or after (ISO 8601)"),
    EndDate: str | None = Query(None, description="Inserted at or before (ISO 8601)"),
    CompletedStartDate: str | None = Query(None),
    CompletedEndDate: str | None = Query(None),
    SortOrder: str | None = Query(None, description="Newest (default) or Oldest"),
) -> ReturnFilter:
    errors: list[FieldError] = []
    sort = (SortOrder or "Newest").strip().lower()
    if sort not in ("newest", "oldest"):
        errors.append(FieldError("SortOrder", "must be Newest or Oldest"))
    result = ReturnFilter(
        ids=_parse("Ids", (Ids or []) + (IDs or []), _int32, errors),
        reference_ids=_parse("ReferenceIds", ReferenceIds, _text, errors),
        statuses=_parse("Status", Status, ReturnStatus.parse, errors),
        fulfillment_center_ids=_parse("FulfillmentCenterIds", FulfillmentCenterIds, _int32, errors),
        tracking_numbers=_parse("TrackingNumbers", TrackingNumbers, _text, errors),
        original_shipment_ids=_parse("OriginalShipmentIds", OriginalShipmentIds, _int32, errors),
        inventory_ids=_parse("InventoryIds", InventoryIds, _int32, errors),
        store_order_ids=_parse("StoreOrderIds", StoreOrderIds, _text, errors),
        return_types=_parse("ReturnTypes", ReturnTypes, ReturnType.parse, errors),
        return_actions=_parse("ReturnActions", ReturnActions, _action, errors),
        start_date=_date("StartDate", StartDate, errors),
        end_date=_date("EndDate", EndDate, errors),
        completed_start_date=_date("CompletedStartDate", CompletedStartDate, errors),
        completed_end_date=_date("CompletedEndDate", CompletedEndDate, errors),
        newest_first=sort != "oldest",
    )
    if errors:
        raise InvalidInput("The query is not valid", errors)
    return result

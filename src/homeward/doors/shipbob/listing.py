"""Query-string filters of the ShipBob list endpoints -> a ReturnFilter.

Lists may come comma-separated (`Status=Arrived,Processing`) or repeated (`Status=A&Status=B`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from fastapi import Request

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


# The filters, documented once: parsing reads the query string directly because FastAPI's
# per-parameter machinery cost more than the rest of a one-return lookup; OpenAPI still lists them.
_LISTS = {
    "Ids": "Return ids, comma separated",
    "IDs": "Alias of Ids (1.0 spelling)",
    "ReferenceIds": "Reference ids (RMAs)",
    "Status": "e.g. `Awaiting Arrival` or `AwaitingArrival`",
    "FulfillmentCenterIds": "Fulfillment center ids",
    "TrackingNumbers": "Tracking numbers",
    "OriginalShipmentIds": "Original shipment ids",
    "InventoryIds": "Inventory ids on the return",
    "StoreOrderIds": "Store order ids",
    "ReturnTypes": "Regular, ReturnToSender",
    "ReturnActions": "Restock, Quarantine, Dispose",
}
_SINGLES = {
    "StartDate": "Inserted at or after (ISO 8601)",
    "EndDate": "Inserted at or before (ISO 8601)",
    "CompletedStartDate": "Completed at or after (ISO 8601)",
    "CompletedEndDate": "Completed at or before (ISO 8601)",
    "SortOrder": "Newest (default) or Oldest",
}
OPENAPI_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "array", "items": {"type": "string"}},
    }
    for name, description in _LISTS.items()
] + [
    {"name": name, "in": "query", "required": False, "description": description, "schema": {"type": "string"}}
    for name, description in _SINGLES.items()
]


async def return_filter(request: Request) -> ReturnFilter:
    """The list filters of a request; mount with `openapi_extra={"parameters": OPENAPI_PARAMETERS}`."""
    query = request.query_params

    def many(name: str) -> ListParam:
        return query.getlist(name) or None

    def one(name: str) -> str | None:
        values = query.getlist(name)
        return values[-1] if values else None  # as FastAPI did: the last of repeated values

    errors: list[FieldError] = []
    sort = (one("SortOrder") or "Newest").strip().lower()
    if sort not in ("newest", "oldest"):
        errors.append(FieldError("SortOrder", "must be Newest or Oldest"))
    result = ReturnFilter(
        ids=_parse("Ids", (many("Ids") or []) + (many("IDs") or []), _int32, errors),
        reference_ids=_parse("ReferenceIds", many("ReferenceIds"), _text, errors),
        statuses=_parse("Status", many("Status"), ReturnStatus.parse, errors),
        fulfillment_center_ids=_parse("FulfillmentCenterIds", many("FulfillmentCenterIds"), _int32, errors),
        tracking_numbers=_parse("TrackingNumbers", many("TrackingNumbers"), _text, errors),
        original_shipment_ids=_parse("OriginalShipmentIds", many("OriginalShipmentIds"), _int32, errors),
        inventory_ids=_parse("InventoryIds", many("InventoryIds"), _int32, errors),
        store_order_ids=_parse("StoreOrderIds", many("StoreOrderIds"), _text, errors),
        return_types=_parse("ReturnTypes", many("ReturnTypes"), ReturnType.parse, errors),
        return_actions=_parse("ReturnActions", many("ReturnActions"), _action, errors),
        start_date=_date("StartDate", one("StartDate"), errors),
        end_date=_date("EndDate", one("EndDate"), errors),
        completed_start_date=_date("CompletedStartDate", one("CompletedStartDate"), errors),
        completed_end_date=_date("CompletedEndDate", one("CompletedEndDate"), errors),
        newest_first=sort != "oldest",
    )
    if errors:
        raise InvalidInput("The query is not valid", errors)
    return result

"""What a caller may filter and sort returns by, in words every dialect shares."""

from dataclasses import dataclass, replace
from datetime import datetime

from homeward.catalog.domain import ReturnAction
from homeward.returns.domain import ReturnStatus, ReturnType


@dataclass(frozen=True)
class ReturnFilter:
    ids: tuple[int, ...] = ()
    reference_ids: tuple[str, ...] = ()
    statuses: tuple[ReturnStatus, ...] = ()
    fulfillment_center_ids: tuple[int, ...] = ()
    tracking_numbers: tuple[str, ...] = ()
    original_shipment_ids: tuple[int, ...] = ()
    inventory_ids: tuple[int, ...] = ()
    store_order_ids: tuple[str, ...] = ()
    return_types: tuple[ReturnType, ...] = ()
    return_actions: tuple[ReturnAction, ...] = ()
    start_date: datetime | None = None
    end_date: datetime | None = None
    completed_start_date: datetime | None = None
    completed_end_date: datetime | None = None
    newest_first: bool = True
    # One text a person typed: a return matches when it is its RMA, tracking number or store order id.
    search: str | None = None

    def without_status(self) -> "ReturnFilter":
        return replace(self, statuses=())

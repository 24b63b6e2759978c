"""Shipment facts the returns rules need."""

from enum import StrEnum


class ShipmentStatus(StrEnum):
    PENDING = "Pending"
    PROCESSING = "Processing"
    SHIPPED = "Shipped"
    DELIVERED = "Delivered"
    CANCELLED = "Cancelled"

    @property
    def is_shipped(self) -> bool:
        return self in (ShipmentStatus.SHIPPED, ShipmentStatus.DELIVERED)


def return_refusal(status: ShipmentStatus) -> str | None:
    """Why no return can be created from a shipment in this status yet (seed 000: only once it has
    shipped; the dashboard shows the action greyed out until then), or None when one can."""
    if status.is_shipped:
        return None
    if status is ShipmentStatus.CANCELLED:
        return "This shipment was cancelled, so nothing can come back from it"
    return f"This shipment has not shipped yet (status {status.value})"

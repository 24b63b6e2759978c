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

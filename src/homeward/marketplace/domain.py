"""Marketplace order statuses and the money of one order line.

Pure Python. Amounts on an order line are for the whole line (every unit ordered); the amount of
one unit is the line amount divided by the quantity ordered.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from typing import ClassVar

ZERO = Decimal("0.00")


class MarketplaceOrderStatus(StrEnum):
    CREATED = "Created"
    READY = "Ready"
    ACKNOWLEDGED = "Acknowledged"
    IN_PROGRESS = "In Progress"
    COMPLETED = "Completed"
    CANCELLED = "Cancelled"

    @classmethod
    def parse(cls, text: str) -> MarketplaceOrderStatus:
        """`In Progress`, `inprogress`, `IN_PROGRESS` and Jet's `complete` all mean what they say."""
        key = text.replace(" ", "").replace("_", "").lower()
        aliases = {s.value.replace(" ", "").lower(): s for s in cls} | {"complete": cls.COMPLETED}
        if key not in aliases:
            raise ValueError(f"unknown status {text!r}; expected one of {', '.join(s.value for s in cls)}")
        return aliases[key]

    @property
    def refundable(self) -> bool:
        """The marketplace refunds only orders that are In Progress or Completed (seed 003)."""
        return self in (MarketplaceOrderStatus.IN_PROGRESS, MarketplaceOrderStatus.COMPLETED)


@dataclass(frozen=True)
class Amounts:
    """The four parts of what a buyer pays for (or gets back on) an order line."""

    principal: Decimal = ZERO
    tax: Decimal = ZERO
    shipping_cost: Decimal = ZERO
    shipping_tax: Decimal = ZERO

    FIELDS: ClassVar[tuple[str, ...]] = ("principal", "tax", "shipping_cost", "shipping_tax")

    @cached_property
    def total(self) -> Decimal:
        # Cached: a refund file compares the totals of the same few Amounts for every row.
        return self.principal + self.tax + self.shipping_cost + self.shipping_tax

    def __add__(self, other: Amounts) -> Amounts:
        # Spelled out: a refund file adds one per row, and a generator of getattr costs 5x more.
        return Amounts(
            self.principal + other.principal,
            self.tax + other.tax,
            self.shipping_cost + other.shipping_cost,
            self.shipping_tax + other.shipping_tax,
        )

    def __sub__(self, other: Amounts) -> Amounts:
        return Amounts(*(getattr(self, f) - getattr(other, f) for f in self.FIELDS))

    def items(self) -> list[tuple[str, Decimal]]:
        return [(f, getattr(self, f)) for f in self.FIELDS]

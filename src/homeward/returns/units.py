"""Identified units: a return may name the very units it brings back, by serial number or by the
caller's own unit id. A unit can be on one open return at a time, and when the serial numbers
shipped on an order item are known, only those can come back on it.

Pure Python: the service layer supplies the serials shipped and the units other open returns hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from homeward.kit.errors import FieldError


@dataclass(frozen=True)
class UnitRef:
    """One unit a caller names: its own id for the unit, its serial number, or both."""

    unit_id: int | None = None
    serial_number: str | None = None


@dataclass(frozen=True)
class UnitsHeld:
    """What open returns already hold of one order item, unit by unit."""

    serial_numbers: frozenset[str] = field(default_factory=frozenset)
    unit_ids: frozenset[int] = field(default_factory=frozenset)


def check_units(
    where: str,
    units: Sequence[UnitRef],
    *,
    quantity: int,
    order_item_id: int,
    serials_shipped: frozenset[str],
    held: UnitsHeld,
    claims: bool,
) -> list[FieldError]:
    """Every reason the named units cannot come back on this line; `claims` is False for lines that
    are kept on a return without expecting units (e.g. rejected), which hold no unit."""
    errors: list[FieldError] = []
    if len(units) > quantity:
        errors.append(
            FieldError(f"{where}.units", f"names {len(units)} units but the line returns only {quantity}")
        )
    serial_seen = Counter(u.serial_number for u in units if u.serial_number is not None)
    id_seen = Counter(u.unit_id for u in units if u.unit_id is not None)
    for index, unit in enumerate(units):
        at = f"{where}.units[{index}]"
        if unit.unit_id is not None:
            if id_seen[unit.unit_id] > 1:
                errors.append(FieldError(f"{at}.unit_id", f"unit {unit.unit_id} is listed more than once"))
            elif claims and unit.unit_id in held.unit_ids:
                errors.append(
                    FieldError(
                        f"{at}.unit_id",
                        f"unit {unit.unit_id} of order item {order_item_id} is already on another "
                        "open return",
                    )
                )
        serial = unit.serial_number
        if serial is None:
            continue
        if serial_seen[serial] > 1:
            errors.append(
                FieldError(f"{at}.serial_number", f"serial number {serial} is listed more than once")
            )
        elif serials_shipped and serial not in serials_shipped:
            errors.append(
                FieldError(
                    f"{at}.serial_number",
                    f"serial number {serial} was not shipped on order item {order_item_id}",
                )
            )
        elif claims and serial in held.serial_numbers:
            errors.append(
                FieldError(f"{at}.serial_number", f"serial number {serial} is already on another open return")
            )
    return errors

"""What a merchant sells and how it wants returned units handled (seed 001)."""

from dataclasses import dataclass
from enum import StrEnum


class ReturnAction(StrEnum):
    RESTOCK = "Restock"
    QUARANTINE = "Quarantine"
    DISPOSE = "Dispose"


class IneligibleCategory(StrEnum):
    """Goods a fulfillment center will not take back: always disposed on receipt (seed 001)."""

    HAZARDOUS_MATERIALS = "hazardous_materials"
    FOOD = "food"
    INTIMATE_APPAREL = "intimate_apparel"
    MEDICAL_SUPPLIES = "medical_supplies"  # syringes, testing/sample kits, collection devices
    FLUID_COLLECTION = "fluid_collection"
    MEDICINE = "medicine"  # including vitamins and supplements


@dataclass(frozen=True)
class ReturnPreference:
    """The merchant's per-item return preference; Restock when none is configured."""

    action: ReturnAction = ReturnAction.RESTOCK
    instructions: str | None = None
    backup_action: ReturnAction = ReturnAction.DISPOSE
    rts_action: ReturnAction = ReturnAction.RESTOCK  # for returns to sender (failed deliveries)


MAX_INSPECTION_STEPS = 3  # seed 001: "define up to 3 inspection steps"

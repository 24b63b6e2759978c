"""What a merchant sells and how it wants returned units handled (seed 001)."""

from dataclasses import dataclass
from enum import StrEnum

from homeward.kit.errors import FieldError, RuleViolation


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
MAX_STEP_LENGTH = 100  # one inspection step, e.g. "seal intact"
MAX_INSTRUCTIONS_LENGTH = 1000
MAX_SHELF_LIFE_DAYS = 3650  # ten years: anything longer is a typo
BACKUP_ACTIONS = (ReturnAction.QUARANTINE, ReturnAction.DISPOSE)


@dataclass(frozen=True)
class ProductPreferences:
    """Everything a merchant configures about how returned units of one product are handled."""

    return_action: ReturnAction
    rts_action: ReturnAction
    backup_action: ReturnAction
    instructions: str | None
    inspection_steps: tuple[str, ...]
    min_shelf_life_days: int


@dataclass(frozen=True)
class PreferencesInput:
    """Preferences as a person typed them (a form or a CSV line): text, checked by `check_preferences`."""

    return_action: str
    rts_action: str
    backup_action: str
    instructions: str
    inspection_steps: tuple[str, ...]  # blanks are left out; at most MAX_INSPECTION_STEPS remain
    min_shelf_life_days: str


def _action(value: str) -> ReturnAction | None:
    wanted = value.strip().casefold()
    return next((a for a in ReturnAction if a.value.casefold() == wanted), None)


def check_preferences(raw: PreferencesInput) -> ProductPreferences:
    """The preferences a merchant may save; one RuleViolation naming every field that breaks a rule.

    Seed 001: actions are Restock, Quarantine or Dispose; up to 3 inspection steps; the backup
    action handles units that fail inspection or are within the minimum shelf life, which are
    never restocked, so it must be Quarantine or Dispose.
    """
    errors: list[FieldError] = []
    choices = ", ".join(a.value for a in ReturnAction)
    actions: dict[str, ReturnAction] = {}
    for name in ("return_action", "rts_action", "backup_action"):
        value: str = getattr(raw, name)
        action = _action(value)
        if action is None:
            shown = f" (not '{value.strip()[:40]}')" if value.strip() else ""
            errors.append(FieldError(name, f"must be one of {choices}{shown}"))
        else:
            actions[name] = action
    if actions.get("backup_action") is ReturnAction.RESTOCK:
        errors.append(
            FieldError(
                "backup_action",
                "must be Quarantine or Dispose: units that fail inspection or are too close to expiry "
                "are never restocked",
            )
        )
    instructions = raw.instructions.replace("\x00", "").strip()
    if len(instructions) > MAX_INSTRUCTIONS_LENGTH:
        errors.append(
            FieldError(
                "instructions",
                f"must be at most {MAX_INSTRUCTIONS_LENGTH} characters (it has {len(instructions)})",
            )
        )
    steps = tuple(s.replace("\x00", "").strip() for s in raw.inspection_steps)
    errors.extend(_step_errors(steps))
    days = _shelf_life(raw.min_shelf_life_days, errors)
    if errors:
        raise RuleViolation("The product's return preferences break one or more rules", errors)
    return ProductPreferences(
        return_action=actions["return_action"],
        rts_action=actions["rts_action"],
        backup_action=actions["backup_action"],
        instructions=instructions or None,
        inspection_steps=tuple(s for s in steps if s),
        min_shelf_life_days=days,
    )


def _step_errors(steps: tuple[str, ...]) -> list[FieldError]:
    errors: list[FieldError] = []
    given = [(i, s) for i, s in enumerate(steps) if s]
    if len(given) > MAX_INSPECTION_STEPS:
        errors.append(
            FieldError("inspection_steps", f"at most {MAX_INSPECTION_STEPS} inspection steps (seed: up to 3)")
        )
    seen: set[str] = set()
    for index, step in given:
        if len(step) > MAX_STEP_LENGTH:
            errors.append(
                FieldError(f"inspection_steps[{index}]", f"must be at most {MAX_STEP_LENGTH} characters")
            )
        elif step.casefold() in seen:
            errors.append(FieldError(f"inspection_steps[{index}]", f"repeats the step '{step}'"))
        seen.add(step.casefold())
    return errors


def _shelf_life(value: str, errors: list[FieldError]) -> int:
    text = value.strip()
    if not text:
        return 0  # blank: no minimum shelf life
    try:
        days = int(text)
    except ValueError:
        errors.append(FieldError("min_shelf_life_days", "must be a whole number of days"))
        return 0
    if not 0 <= days <= MAX_SHELF_LIFE_DAYS:
        errors.append(FieldError("min_shelf_life_days", f"must be between 0 and {MAX_SHELF_LIFE_DAYS} days"))
    return days


def needs_preferences(*, preferences_set: bool, is_bundle: bool, category: IneligibleCategory | None) -> bool:
    """Seed 001: products whose preferences were never configured risk disposals; flag them.

    Bundles come back as their components, and ineligible goods are always disposed, so neither
    needs a preference of its own.
    """
    return not preferences_set and not is_bundle and category is None

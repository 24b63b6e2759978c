"""Receiving rules: which returns can be received or inspected, and what happens to each unit.

Pure Python. The service gathers the facts (the return, what was already processed, the catalog,
the merchant's settings) and asks `plan_inspection` for the disposition of every reported line.

The final action of a unit (seed 001):
1. ineligible categories are always disposed, whatever was requested;
2. dangerous goods are disposed when the merchant's preference says so;
3. otherwise the requested action (merchant override on the return > item preference > Restock);
4. a unit that would be restocked but is damaged, failed an inspection step, or is a lot unit
   whose expiry is past or within the item's minimum shelf life takes the item's backup action
   (Quarantine if the backup action is Restock too: such a unit is never restocked).
The operator may state the action taken; it must agree with these rules.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from homeward.catalog.domain import IneligibleCategory, ReturnAction
from homeward.kit.errors import FieldError, RuleViolation
from homeward.returns.domain import ActionSource, ReturnStatus

SHORT_ACTION = "Short"  # the action_taken of units that were expected but never arrived

CATEGORY_NAMES = {
    IneligibleCategory.HAZARDOUS_MATERIALS: "hazardous materials",
    IneligibleCategory.FOOD: "food products",
    IneligibleCategory.INTIMATE_APPAREL: "intimate apparel or intimacy-related goods",
    IneligibleCategory.MEDICAL_SUPPLIES: "syringes or medical supplies",
    IneligibleCategory.FLUID_COLLECTION: "medical supplies for fluid collection",
    IneligibleCategory.MEDICINE: "medicine",
}


class LineKind(StrEnum):
    EXPECTED = "expected"  # a unit the return announced
    EXTRA = "extra"  # more units than announced, or an item not on the return
    SHORT = "short"  # announced, never arrived; written when the return is closed


def ensure_receivable(status: ReturnStatus, return_id: int) -> None:
    if status is ReturnStatus.CANCELLED:
        raise RuleViolation(
            f"Return {return_id} was cancelled by the merchant; it cannot be received",
            [FieldError("barcode", f"matches cancelled return {return_id}")],
        )


def ensure_inspectable(status: ReturnStatus, return_id: int, what: str = "inspected") -> None:
    if status in (ReturnStatus.ARRIVED, ReturnStatus.PROCESSING):
        return
    hint = {
        ReturnStatus.AWAITING_ARRIVAL: "scan its package first (POST /warehouse/v1/arrivals)",
        ReturnStatus.COMPLETED: "every unit of it is accounted for",
        ReturnStatus.CANCELLED: "the merchant cancelled it",
    }[status]
    raise RuleViolation(
        f"Return {return_id} cannot be {what}: it is '{status}'; {hint}",
        [FieldError("status", f"is '{status}'")],
    )


@dataclass(frozen=True)
class ItemRules:
    """What the catalog and the merchant say about one inventory item, for its dispositions."""

    inventory_id: int
    name: str
    preference_action: ReturnAction  # for extras: the item's (RTS) preference
    backup_action: ReturnAction
    ineligible_category: IneligibleCategory | None = None
    dangerous_goods: bool = False
    lot_tracked: bool = False
    min_shelf_life_days: int = 0
    inspection_steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expected:
    """One item line of the return and how far its processing has got."""

    inventory_id: int
    quantity: int
    action: ReturnAction
    source: ActionSource
    processed: int = 0
    short: int = 0

    @property
    def remaining(self) -> int:
        return self.quantity - self.processed - self.short


@dataclass(frozen=True)
class Observation:
    """One line an inspector reports: units of one item, as found."""

    inventory_id: int
    quantity: int
    action: ReturnAction | None = None
    reason: str | None = None
    damaged: bool = False
    extra: bool = False
    lot_number: str | None = None
    expiration_date: date | None = None
    steps: Mapping[str, bool] = field(default_factory=dict)
    photo: str | None = None  # name of an uploaded photo


@dataclass(frozen=True)
class Decision:
    action: ReturnAction
    reason: str


@dataclass(frozen=True)
class PlannedLine:
    observation: Observation
    kind: LineKind
    decision: Decision


@dataclass(frozen=True)
class Facts:
    """Everything the rules need about the return being inspected."""

    return_id: int
    rts: bool
    expected: Mapping[int, Expected]
    items: Mapping[int, ItemRules]  # every item named by the return or by an observation
    today: date  # in the fulfillment center's time zone
    dispose_dangerous_goods: bool = False


def disposed_whatever_requested(
    category: IneligibleCategory | None, dangerous_goods: bool, dispose_dangerous_goods: bool
) -> str | None:
    """Why every unit of an item is disposed on receipt whatever the return asks (rules 1 and 2),
    or None when the requested action stands."""
    if category is not None:
        return f"Not eligible for return ({CATEGORY_NAMES[category]}): always disposed"
    if dangerous_goods and dispose_dangerous_goods:
        return "Dangerous goods: the merchant disposes them on receipt"
    return None


def decide(requested: ReturnAction, why: str, item: ItemRules, obs: Observation, facts: Facts) -> Decision:
    """The final action for units of one observation; the reason says why."""
    disposal = disposed_whatever_requested(
        item.ineligible_category, item.dangerous_goods, facts.dispose_dangerous_goods
    )
    if disposal is not None:
        return Decision(ReturnAction.DISPOSE, disposal)
    if requested is ReturnAction.RESTOCK:
        problem = _reason_not_to_restock(item, obs, facts.today)
        if problem is not None:
            if item.backup_action is ReturnAction.RESTOCK:
                return Decision(
                    ReturnAction.QUARANTINE, f"{problem}: never restocked, and the backup action is Restock"
                )
            return Decision(item.backup_action, f"{problem}: backup action")
    return Decision(requested, why)


def _reason_not_to_restock(item: ItemRules, obs: Observation, today: date) -> str | None:
    if obs.damaged:
        return "Damaged"
    failed = [step for step, passed in obs.steps.items() if not passed]
    if failed:
        return "Failed inspection step " + ", ".join(f"'{step}'" for step in failed)
    if item.lot_tracked and obs.expiration_date is not None:
        if obs.expiration_date < today:
            return f"Lot expired on {obs.expiration_date.isoformat()}"
        if (obs.expiration_date - today).days < item.min_shelf_life_days:
            return (
                f"Lot expires on {obs.expiration_date.isoformat()}, within the "
                f"{item.min_shelf_life_days}-day minimum shelf life"
            )
    return None


def plan_inspection(
    observations: Sequence[Observation], facts: Facts, photos: frozenset[str] = frozenset()
) -> list[PlannedLine]:
    """Judge every reported line; raise one RuleViolation naming every field that breaks a rule."""
    judged = judge_lines(observations, facts, photos)
    errors = [error for line in judged if not isinstance(line, PlannedLine) for error in line]
    named = {obs.photo for obs in observations if obs.photo}
    errors.extend(FieldError(f"photos.{name}", "is not named by any item's photo") for name in photos - named)
    if errors:
        raise RuleViolation("The inspection breaks one or more rules; nothing was recorded", errors)
    return [line for line in judged if isinstance(line, PlannedLine)]


def judge_lines(
    observations: Sequence[Observation], facts: Facts, photos: frozenset[str] = frozenset()
) -> list[PlannedLine | list[FieldError]]:
    """Each reported line in order: its planned disposition, or the rules it breaks."""
    judged: list[PlannedLine | list[FieldError]] = []
    claimed: dict[int, int] = defaultdict(int)  # expected units this request processes, per item
    for index, obs in enumerate(observations):
        where = f"items[{index}]"
        line_errors = _check_line(where, obs, facts, photos)
        expected = facts.expected.get(obs.inventory_id)
        item = facts.items.get(obs.inventory_id)
        if line_errors or item is None:
            judged.append(line_errors)
            continue
        if obs.extra or expected is None:
            kind = LineKind.EXTRA
            requested = item.preference_action
            why = "Extra unit: item's " + ("RTS preference" if facts.rts else "return preference")
        else:
            kind = LineKind.EXPECTED
            wanted = claimed[obs.inventory_id] + obs.quantity
            if wanted > expected.remaining:  # a refused line claims nothing
                judged.append([_too_many(where, obs, expected, wanted, facts.return_id)])
                continue
            claimed[obs.inventory_id] = wanted
            requested = expected.action
            why = _requested_reason(expected.source, facts.rts)
        decision = decide(requested, why, item, obs, facts)
        if obs.action is not None and obs.action is not decision.action:
            judged.append([FieldError(f"{where}.action", f"must be {decision.action}: {decision.reason}")])
            continue
        if obs.reason:
            decision = Decision(decision.action, f"{decision.reason}. Inspector: {obs.reason}")
        judged.append(PlannedLine(obs, kind, decision))
    return judged


def _check_line(where: str, obs: Observation, facts: Facts, photos: frozenset[str]) -> list[FieldError]:
    errors: list[FieldError] = []
    if obs.quantity < 1:
        errors.append(FieldError(f"{where}.quantity", "must be at least 1"))
    item = facts.items.get(obs.inventory_id)
    if item is None:
        return [
            *errors,
            FieldError(
                f"{where}.inventory_id", f"inventory {obs.inventory_id} is not a product of this merchant"
            ),
        ]
    if not obs.extra and obs.inventory_id not in facts.expected:
        errors.append(
            FieldError(
                f"{where}.inventory_id",
                f"inventory {obs.inventory_id} is not on return {facts.return_id}; "
                "record it with extra: true",
            )
        )
    if item.lot_tracked:
        if not obs.lot_number:
            errors.append(FieldError(f"{where}.lot_number", "is required for a lot-tracked item"))
        if obs.expiration_date is None:
            errors.append(FieldError(f"{where}.expiration_date", "is required for a lot-tracked item"))
        if not obs.photo:
            errors.append(FieldError(f"{where}.photo", "a photo of the lot label is required for lot items"))
    missing = [step for step in item.inspection_steps if step not in obs.steps]
    unknown = [step for step in obs.steps if step not in item.inspection_steps]
    errors.extend(FieldError(f"{where}.steps.{step}", "must be answered (true or false)") for step in missing)
    configured = ", ".join(f"'{s}'" for s in item.inspection_steps) or "none"
    errors.extend(
        FieldError(
            f"{where}.steps.{step}", f"is not an inspection step of this item (its steps: {configured})"
        )
        for step in unknown
    )
    if obs.photo and obs.photo not in photos:
        errors.append(FieldError(f"{where}.photo", f"names no uploaded photo '{obs.photo}'"))
    return errors


def _too_many(where: str, obs: Observation, expected: Expected, claimed: int, return_id: int) -> FieldError:
    earlier = claimed - obs.quantity
    return FieldError(
        f"{where}.quantity",
        f"{obs.quantity} unit(s) of inventory {obs.inventory_id} exceed the "
        f"{expected.remaining - earlier} still unprocessed on return {return_id} ({expected.quantity} "
        f"expected, {expected.processed} already processed"
        + (f", {earlier} in earlier lines" if earlier else "")
        + "); record more units as extras (extra: true)",
    )


def _requested_reason(source: ActionSource, rts: bool) -> str:
    if source is ActionSource.OVERRIDE:
        return "Requested by the merchant on the return"
    return "Item's RTS preference" if rts else "Item's return preference"


def shorts(expected: Mapping[int, Expected]) -> dict[int, int]:
    """Units per item that never arrived, written when a return is closed."""
    return {inventory_id: e.remaining for inventory_id, e in expected.items() if e.remaining > 0}


def fully_processed(expected: Mapping[int, Expected], just_processed: Mapping[int, int]) -> bool:
    return all(e.remaining - just_processed.get(i, 0) <= 0 for i, e in expected.items())

"""Disposition rules, inspection checks, fees and ledger moves: pure functions, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from homeward.billing.domain import FeeSchedule, FeeType, completion_fees, quarantine_unit_days, storage_fee
from homeward.catalog.domain import IneligibleCategory, ReturnAction
from homeward.inventory.domain import Bucket, Move, release_moves
from homeward.kit.errors import RuleViolation
from homeward.receiving.domain import (
    Expected,
    Facts,
    ItemRules,
    LineKind,
    Observation,
    PlannedLine,
    fully_processed,
    judge_lines,
    plan_inspection,
    shorts,
)
from homeward.returns.domain import ActionSource, ReturnType

TODAY = date(2026, 11, 23)
R, Q, D = ReturnAction.RESTOCK, ReturnAction.QUARANTINE, ReturnAction.DISPOSE


def item(inventory_id: int = 1, **facts: object) -> ItemRules:
    base: dict[str, object] = {
        "inventory_id": inventory_id,
        "name": f"item {inventory_id}",
        "preference_action": R,
        "backup_action": D,
    }
    return ItemRules(**(base | facts))  # type: ignore[arg-type]


def facts(*items: ItemRules, expected: dict[int, int] | None = None, **more: object) -> Facts:
    wanted = expected if expected is not None else {i.inventory_id: 2 for i in items}
    requested = more.pop("requested", R)
    base: dict[str, object] = {
        "return_id": 9,
        "rts": False,
        "expected": {
            i: Expected(i, quantity, requested, ActionSource.INVENTORY_DEFAULT)  # type: ignore[arg-type]
            for i, quantity in wanted.items()
        },
        "items": {i.inventory_id: i for i in items},
        "today": TODAY,
    }
    return Facts(**(base | more))  # type: ignore[arg-type]


def one(
    obs: Observation, f: Facts, photos: frozenset[str] = frozenset()
) -> tuple[ReturnAction, str, LineKind]:
    [line] = plan_inspection([obs], f, photos)
    return line.decision.action, line.decision.reason, line.kind


def test_requested_action_is_taken_when_nothing_stands_against_it() -> None:
    assert one(Observation(1, 1), facts(item()))[:2] == (R, "Item's return preference")
    quarantined = facts(item(), requested=Q)
    assert one(Observation(1, 1), quarantined)[0] is Q


@pytest.mark.parametrize("category", list(IneligibleCategory))
def test_ineligible_categories_are_disposed_whatever_was_requested(category: IneligibleCategory) -> None:
    action, reason, _ = one(Observation(1, 1), facts(item(ineligible_category=category), requested=Q))
    assert action is D and "Not eligible for return" in reason


def test_dangerous_goods_follow_the_merchants_preference() -> None:
    dg = item(dangerous_goods=True)
    assert one(Observation(1, 1), facts(dg, dispose_dangerous_goods=True))[0] is D
    assert one(Observation(1, 1), facts(dg, dispose_dangerous_goods=False))[0] is R


@pytest.mark.parametrize(
    ("expires", "backup"),
    [
        (TODAY - timedelta(days=1), True),
        (TODAY + timedelta(days=89), True),
        (TODAY + timedelta(days=90), False),
    ],
)
def test_lot_units_past_expiry_or_within_min_shelf_life_take_the_backup_action(
    expires: date, backup: bool
) -> None:
    lot = item(lot_tracked=True, min_shelf_life_days=90, backup_action=Q)
    obs = Observation(1, 1, lot_number="L1", expiration_date=expires, photo="p")
    action, reason, _ = one(obs, facts(lot), frozenset({"p"}))
    assert (action is Q) is backup
    if backup:
        assert expires.isoformat() in reason and "backup action" in reason


def test_damaged_units_and_failed_steps_take_the_backup_action_instead_of_restock() -> None:
    stepped = item(inspection_steps=("seal intact",))
    assert one(Observation(1, 1, damaged=True, steps={"seal intact": True}), facts(stepped))[0] is D
    action, reason, _ = one(Observation(1, 1, steps={"seal intact": False}), facts(stepped))
    assert action is D and "'seal intact'" in reason
    # Only a restock is replaced: a unit the merchant wants quarantined stays quarantined.
    assert (
        one(Observation(1, 1, damaged=True, steps={"seal intact": True}), facts(stepped, requested=Q))[0] is Q
    )


def test_a_damaged_unit_is_never_restocked_even_when_the_backup_action_is_restock() -> None:
    action, reason, _ = one(Observation(1, 1, damaged=True), facts(item(backup_action=R)))
    assert action is Q and "never restocked" in reason


def test_extras_use_the_items_own_preference_and_rts_uses_the_rts_one() -> None:
    f = facts(item(1), item(2, preference_action=Q), expected={1: 1})
    assert one(Observation(2, 3, extra=True), f)[::2] == (Q, LineKind.EXTRA)
    assert one(Observation(1, 5, extra=True), f)[::2] == (R, LineKind.EXTRA)
    rts = facts(item(1), item(2, preference_action=D), expected={1: 1}, rts=True)
    assert "RTS preference" in one(Observation(2, 1, extra=True), rts)[1]


def test_units_beyond_those_still_unprocessed_are_refused_naming_the_line() -> None:
    f = facts(item(1), expected={1: 3})
    with pytest.raises(RuleViolation) as refused:
        plan_inspection([Observation(1, 2), Observation(1, 2)], f)
    [error] = refused.value.errors
    assert error.field == "items[1].quantity" and "extra: true" in error.message


def test_judged_lines_answer_each_line_and_a_refused_line_claims_no_units() -> None:
    f = facts(item(1), expected={1: 1})
    first, second, third = judge_lines(
        [Observation(1, 1, damaged=True), Observation(1, 1), Observation(1, 1)], f
    )
    assert isinstance(first, PlannedLine) and first.decision.action is D
    assert first.decision.reason == "Damaged: backup action"
    for refused in (second, third):  # each is told the same: nothing is left for it
        assert not isinstance(refused, PlannedLine)
        [error] = refused
        assert "exceed the 0 still unprocessed" in error.message and "1 in earlier lines" in error.message


def test_every_broken_rule_is_reported_by_field() -> None:
    f = facts(item(1, lot_tracked=True, inspection_steps=("seal intact",)), item(2), expected={1: 1})
    with pytest.raises(RuleViolation) as refused:
        plan_inspection(
            [
                Observation(1, 1, steps={"smell": True}, photo="missing"),
                Observation(2, 1),
                Observation(77, 1, extra=True),
                Observation(1, 0),
            ],
            f,
            frozenset({"unused"}),
        )
    fields = {e.field for e in refused.value.errors}
    assert fields >= {
        "items[0].lot_number",
        "items[0].expiration_date",
        "items[0].steps.seal intact",
        "items[0].steps.smell",
        "items[0].photo",
        "items[1].inventory_id",
        "items[2].inventory_id",
        "items[3].quantity",
        "photos.unused",
    }


def test_a_stated_action_must_agree_with_the_rules() -> None:
    f = facts(item(ineligible_category=IneligibleCategory.FOOD))
    with pytest.raises(RuleViolation) as refused:
        plan_inspection([Observation(1, 1, action=R)], f)
    assert refused.value.errors[0].field == "items[0].action"
    assert refused.value.errors[0].message.startswith("must be Dispose")
    assert one(Observation(1, 1, action=D, reason="torn bag"), f)[1].endswith("Inspector: torn bag")


def test_shorts_and_completion_count_what_is_left() -> None:
    expected = {
        1: Expected(1, 3, R, ActionSource.OVERRIDE, processed=1),
        2: Expected(2, 1, D, ActionSource.OVERRIDE),
    }
    assert shorts(expected) == {1: 2, 2: 1}
    assert not fully_processed(expected, {1: 2})
    assert fully_processed(expected, {1: 2, 2: 1})


def test_completion_fees_per_return_type_and_unit() -> None:
    schedule = FeeSchedule(Decimal("3.00"), Decimal("0.25"), Decimal("5.00"), Decimal("0.10"))
    regular = completion_fees(schedule, ReturnType.REGULAR, 3)
    assert [(f.fee_type, f.amount) for f in regular] == [
        (FeeType.RETURN_PROCESSING, Decimal("3.00")),
        (FeeType.PER_UNIT, Decimal("0.75")),
    ]
    rts = completion_fees(schedule, ReturnType.RETURN_TO_SENDER, 0)
    assert [(f.fee_type, f.amount) for f in rts] == [(FeeType.RETURN_TO_SENDER, Decimal("5.00"))]
    assert completion_fees(FeeSchedule(), ReturnType.REGULAR, 10) == []
    assert storage_fee(schedule, 7) is not None and storage_fee(schedule, 7).amount == Decimal("0.70")  # type: ignore[union-attr]


def test_storage_days_are_counted_first_in_first_out_by_started_day() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    deposits = [(start, 2), (start + timedelta(days=3), 2)]
    now = start + timedelta(days=5, hours=1)
    assert quarantine_unit_days(deposits, 0, 1, now) == 6  # one unit of the first deposit, 6 started days
    assert quarantine_unit_days(deposits, 1, 2, now) == 6 + 3  # the last of the first, one of the second
    assert quarantine_unit_days([(now, 1)], 0, 1, now) == 1  # at least a day


def test_release_moves_units_between_buckets_and_never_overdraws() -> None:
    assert release_moves(3, 2, R, return_id=1) == [Move(Bucket.QUARANTINE, -2), Move(Bucket.SELLABLE, 2)]
    with pytest.raises(RuleViolation) as refused:
        release_moves(1, 2, D, return_id=1)
    assert refused.value.errors[0].field == "quantity"
    with pytest.raises(RuleViolation):
        release_moves(3, 1, Q, return_id=1)

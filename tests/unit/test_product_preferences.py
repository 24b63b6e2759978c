"""Product return preferences (catalog.domain) and insight periods (insights.domain): pure rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.catalog.domain import (
    MAX_INSPECTION_STEPS,
    MAX_SHELF_LIFE_DAYS,
    MAX_STEP_LENGTH,
    IneligibleCategory,
    PreferencesInput,
    ReturnAction,
    check_preferences,
    needs_preferences,
)
from homeward.insights.domain import MAX_DAYS, Period, period
from homeward.kit.errors import InvalidInput, RuleViolation

GOOD = PreferencesInput("Restock", "Restock", "Dispose", "", ("seal intact",), "0")
TODAY = date(2026, 12, 3)


def fields(exc: pytest.ExceptionInfo[RuleViolation] | pytest.ExceptionInfo[InvalidInput]) -> list[str]:
    return [e.field for e in exc.value.errors]


def test_actions_are_read_in_any_case_and_blanks_are_left_out() -> None:
    prefs = check_preferences(
        replace(GOOD, return_action=" quarantine ", inspection_steps=("", " seal intact ", "", "tags on"))
    )
    assert prefs.return_action is ReturnAction.QUARANTINE
    assert prefs.inspection_steps == ("seal intact", "tags on")
    assert prefs.instructions is None and prefs.min_shelf_life_days == 0


def test_at_most_three_steps() -> None:
    with pytest.raises(RuleViolation) as exc:
        check_preferences(replace(GOOD, inspection_steps=("a", "b", "c", "d")))
    assert fields(exc) == ["inspection_steps"]


def test_every_broken_rule_is_named_at_once() -> None:
    raw = PreferencesInput("Keep", "", "Restock", "x" * 1001, ("s" * 101, "a", "A"), "-1")
    with pytest.raises(RuleViolation) as exc:
        check_preferences(raw)
    assert fields(exc) == [
        "return_action",
        "rts_action",
        "backup_action",
        "instructions",
        "inspection_steps[0]",
        "inspection_steps[2]",
        "min_shelf_life_days",
    ]


@given(
    actions=st.tuples(*[st.sampled_from(["Restock", "Quarantine", "Dispose", "restock", "x", ""])] * 3),
    steps=st.lists(st.text(max_size=120), max_size=MAX_INSPECTION_STEPS),
    days=st.one_of(st.integers(-10, 5000).map(str), st.text(max_size=5)),
)
def test_what_is_accepted_always_keeps_the_rules(
    actions: tuple[str, str, str], steps: list[str], days: str
) -> None:
    try:
        prefs = check_preferences(PreferencesInput(*actions, "", tuple(steps), days))
    except RuleViolation as exc:
        assert exc.errors  # a refusal always names a field
        return
    assert prefs.backup_action is not ReturnAction.RESTOCK
    assert len(prefs.inspection_steps) <= MAX_INSPECTION_STEPS
    assert all(0 < len(s) <= MAX_STEP_LENGTH and s == s.strip() for s in prefs.inspection_steps)
    assert len({s.casefold() for s in prefs.inspection_steps}) == len(prefs.inspection_steps)
    assert 0 <= prefs.min_shelf_life_days <= MAX_SHELF_LIFE_DAYS


def test_which_products_need_preferences() -> None:
    assert needs_preferences(preferences_set=False, is_bundle=False, category=None)
    assert not needs_preferences(preferences_set=True, is_bundle=False, category=None)
    assert not needs_preferences(preferences_set=False, is_bundle=True, category=None)
    assert not needs_preferences(preferences_set=False, is_bundle=False, category=IneligibleCategory.FOOD)


def test_periods() -> None:
    assert period("", "", "", TODAY) == Period(TODAY - timedelta(days=29), TODAY, 30)
    assert period("", "", "7", TODAY) == Period(TODAY - timedelta(days=6), TODAY, 7)
    assert period("2026-01-01", "", "", TODAY) == Period(date(2026, 1, 1), TODAY)
    assert period("2026-01-01", "2026-01-01", "90", TODAY).days == 1  # dates win over a preset
    with pytest.raises(InvalidInput) as exc:
        period("2020-01-01", "2026-01-01", "", TODAY)
    assert fields(exc) == ["to"] and str(MAX_DAYS) in exc.value.errors[0].message

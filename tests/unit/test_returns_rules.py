"""The returns rules as pure functions: no database, no web."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.catalog.domain import ReturnAction, ReturnPreference
from homeward.kit.errors import RuleViolation
from homeward.returns.domain import (
    ActionSource,
    ItemFacts,
    RequestedAction,
    ReturnLine,
    ReturnRequest,
    ReturnStatus,
    ShipmentFacts,
    check_request,
    check_transition,
    ensure_changeable,
    resolve_action,
)

TEE = ItemFacts(1, "Tee", "TEE", False, (), ReturnPreference())


def request(*lines: ReturnLine, shipment: int | None = 7) -> ReturnRequest:
    return ReturnRequest(
        reference_id="RMA-1", fulfillment_center_id=1, lines=lines, original_shipment_id=shipment
    )


def errors_of(req: ReturnRequest, shipment: ShipmentFacts | None) -> list[str]:
    try:
        check_request(req, fulfillment_center_exists=True, items={1: TEE}, shipment=shipment)
    except RuleViolation as exc:
        return [str(e) for e in exc.errors]
    return []


@given(shipped=st.integers(1, 50), held=st.integers(0, 50), asked=st.integers(1, 60))
def test_a_return_never_claims_more_than_is_left(shipped: int, held: int, asked: int) -> None:
    held = min(held, shipped)
    facts = ShipmentFacts(7, True, {1: shipped}, {1: held})
    accepted = errors_of(request(ReturnLine(1, asked)), facts) == []
    assert accepted == (asked <= shipped - held)


@pytest.mark.parametrize("preference_action", list(ReturnAction))
@pytest.mark.parametrize("requested", list(RequestedAction))
def test_requested_action_resolution(preference_action: ReturnAction, requested: RequestedAction) -> None:
    resolved = resolve_action(requested, ReturnPreference(action=preference_action, instructions="careful"))
    if requested is RequestedAction.DEFAULT:
        assert (resolved.action, resolved.source) == (preference_action, ActionSource.INVENTORY_DEFAULT)
    else:
        assert (resolved.action.value, resolved.source) == (requested.value, ActionSource.OVERRIDE)
    assert resolved.instructions == "careful"


def test_default_preference_is_restock() -> None:
    assert resolve_action(RequestedAction.DEFAULT, ReturnPreference()).action is ReturnAction.RESTOCK


@pytest.mark.parametrize(
    "text", ["Awaiting Arrival", "AwaitingArrival", "awaitingarrival", "AWAITING ARRIVAL"]
)
def test_status_parsing_accepts_both_spellings(text: str) -> None:
    assert ReturnStatus.parse(text) is ReturnStatus.AWAITING_ARRIVAL


def test_unknown_status_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        ReturnStatus.parse("Lost")


ALLOWED = {
    (ReturnStatus.AWAITING_ARRIVAL, ReturnStatus.ARRIVED),
    (ReturnStatus.AWAITING_ARRIVAL, ReturnStatus.CANCELLED),
    (ReturnStatus.ARRIVED, ReturnStatus.PROCESSING),
    (ReturnStatus.ARRIVED, ReturnStatus.COMPLETED),
    (ReturnStatus.PROCESSING, ReturnStatus.COMPLETED),
}


@pytest.mark.parametrize("current", list(ReturnStatus))
@pytest.mark.parametrize("target", list(ReturnStatus))
def test_status_transitions(current: ReturnStatus, target: ReturnStatus) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(RuleViolation):
            check_transition(current, target)


@pytest.mark.parametrize("status", list(ReturnStatus))
def test_only_awaiting_arrival_is_changeable(status: ReturnStatus) -> None:
    if status is ReturnStatus.AWAITING_ARRIVAL:
        ensure_changeable(status, "modified")
    else:
        with pytest.raises(RuleViolation, match=status.value):
            ensure_changeable(status, "modified")


def test_bundle_is_refused_naming_its_components() -> None:
    bundle = ItemFacts(9, "Set", "SET", True, (1, 2), ReturnPreference())
    with pytest.raises(RuleViolation) as caught:
        check_request(
            request(ReturnLine(9, 1), shipment=None),
            fulfillment_center_exists=True,
            items={9: bundle},
            shipment=None,
        )
    assert "return its component inventory ids (1, 2)" in str(caught.value.errors[0])


def test_unshipped_shipment_is_refused() -> None:
    assert any(
        "has not shipped" in e for e in errors_of(request(ReturnLine(1, 1)), ShipmentFacts(7, False, {1: 1}))
    )

"""The dashboard's RMA rule (seed 000: 8 to 46 letters and digits) and the RMAs Homeward makes up."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from homeward.kit.errors import RuleViolation
from homeward.orders.domain import ShipmentStatus, return_refusal
from homeward.returns import domain
from homeward.returns.domain import ReturnRequest, check_dashboard_reference, new_reference_id

ALNUM = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", min_size=8, max_size=46
)


@given(ALNUM)
def test_eight_to_46_letters_and_digits_pass(reference: str) -> None:
    assert check_dashboard_reference(reference) == []


@given(st.text(min_size=1, max_size=7).filter(str.strip))
def test_shorter_ones_are_refused(reference: str) -> None:
    assert any("at least 8 characters" in e.message for e in check_dashboard_reference(reference))


@given(st.text(min_size=8, max_size=46).filter(lambda t: not t.isascii() or not t.isalnum()))
def test_anything_but_letters_and_digits_is_refused(reference: str) -> None:
    messages = [e.message for e in check_dashboard_reference(reference)]
    assert any("only letters A-Z and digits 0-9" in m for m in messages)
    assert {e.field for e in check_dashboard_reference(reference)} == {"reference_id"}


def test_blank_and_too_long_are_left_to_the_api_rules() -> None:
    assert check_dashboard_reference("") == []
    assert check_dashboard_reference("A" * 47) == []  # check_request says "at most 46"


def test_generated_references_keep_both_rules_and_differ() -> None:
    made = {new_reference_id() for _ in range(200)}
    assert len(made) == 200
    for reference in made:
        assert check_dashboard_reference(reference) == []
        # and the API's own rules have nothing to say about it either
        request = ReturnRequest(reference_id=reference, fulfillment_center_id=1, lines=())
        errors = []
        try:
            domain.check_request(request, fulfillment_center_exists=True, items={}, shipment=None)
        except RuleViolation as exc:
            errors = [e for e in exc.errors if e.field == "reference_id"]
        assert errors == []


def test_only_shipped_shipments_can_be_returned() -> None:
    assert return_refusal(ShipmentStatus.SHIPPED) is None
    assert return_refusal(ShipmentStatus.DELIVERED) is None
    assert return_refusal(ShipmentStatus.PENDING) == "This shipment has not shipped yet (status Pending)"
    assert (
        return_refusal(ShipmentStatus.PROCESSING) == "This shipment has not shipped yet (status Processing)"
    )
    assert "cancelled" in (return_refusal(ShipmentStatus.CANCELLED) or "")

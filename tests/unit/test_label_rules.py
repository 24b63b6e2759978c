"""Label rules and rate-card pricing, without a database: each rule broken alone."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.kit.errors import InvalidInput, RuleViolation
from homeward.labels.carriers.rate_card import carriers_of
from homeward.labels.domain import (
    Address,
    LabelRequest,
    LabelType,
    Parcel,
    ParcelItem,
    check_purchase,
    choose_quote,
    pickup_refusal,
)
from homeward.labels.rate_file import parse_rate_file
from homeward.labels.service import default_rate_file

CUSTOMER = Address("Jordan Lee", "410 W Adams St", "", "Chicago", "IL", "60606", "US")
CENTER = Address("Cicero (IL)", "5900 W Ogden Ave", "", "Cicero", "IL", "60804", "US")
TEE = ParcelItem(1001, "Classic Tee", 2, Decimal("0.2"), dangerous_goods=False)
OPTIMIZED = LabelRequest(LabelType.OPTIMIZED)
CARD = parse_rate_file(default_rate_file())


def check(**overrides: Any) -> None:
    facts: dict[str, Any] = {
        "parcel_items": (TEE,),
        "customer": CUSTOMER,
        "fulfillment_center": CENTER,
        "reference_id": "RMA-1",
        "tracking_number": None,
    }
    check_purchase(overrides.pop("request", OPTIMIZED), **{**facts, **overrides})


def fields(violation: pytest.ExceptionInfo[RuleViolation]) -> list[str]:
    return [e.field for e in violation.value.errors]


def test_a_good_request_passes() -> None:
    check()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"parcel_items": (replace(TEE, dangerous_goods=True),)}, "label.type"),
        ({"customer": None}, "original_shipment_id"),
        ({"customer": replace(CUSTOMER, country="CA")}, "fulfillment_center.id"),
        ({"parcel_items": (replace(TEE, quantity=341),)}, "inventory"),  # 68.2 kg
        ({"reference_id": "RMA-ÉTÉ"}, "reference_id"),
        ({"tracking_number": "1Z999AA10123456784"}, "tracking_number"),
        ({"request": LabelRequest(LabelType.CARRIER_SPECIFIC, service="Ground")}, "label.carrier"),
    ],
)
def test_each_rule_alone(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(RuleViolation) as refused:
        check(**overrides)
    assert fields(refused) == [field]


def test_exactly_68_kg_may_still_be_labelled() -> None:
    check(parcel_items=(replace(TEE, quantity=340),))


@pytest.mark.parametrize(
    "address1",
    ["PO Box 12", "P.O. Box 12", "p o box 7", "Post Office Box 9", "POB 44", "P.O.BOX 3", "POBOX 8"],
)
def test_po_boxes_are_recognised(address1: str) -> None:
    assert "P.O. box" in (pickup_refusal(replace(CUSTOMER, address1=address1)) or "")


@pytest.mark.parametrize(("city", "state"), [("APO", "AE"), ("FPO", "AP"), ("DPO", "AA"), ("apo", "AE")])
def test_military_addresses_are_recognised(city: str, state: str) -> None:
    assert "military" in (pickup_refusal(replace(CUSTOMER, city=city, state=state)) or "")


@pytest.mark.parametrize(
    "address1", ["12 Boxwood Ln", "1 Poblano Plaza", "400 Post Office Sq", "Apollo Way 3"]
)
def test_ordinary_streets_are_not_po_boxes(address1: str) -> None:
    assert pickup_refusal(replace(CUSTOMER, address1=address1)) is None


def parcel(kg: str, customer: Address = CUSTOMER) -> Parcel:
    return Parcel((ParcelItem(1, "Box", 1, Decimal(kg), False),), customer, CENTER)


def quotes(p: Parcel) -> list[Any]:
    return [q for carrier in carriers_of(CARD) for q in carrier.quote(p)]


@given(kg=st.decimals(min_value=Decimal("0.001"), max_value=Decimal("68"), places=3))
def test_optimized_buys_the_cheapest_service_allowed(kg: Decimal) -> None:
    p = parcel(str(kg))
    chosen = choose_quote(OPTIMIZED, quotes(p), p.weight_kg)
    allowed = [q for q in quotes(p) if q.amount is not None]
    if kg > Decimal("4.5"):
        assert (chosen.carrier, chosen.service) == ("FedEx", "Ground")
    else:
        assert chosen.amount == min(q.amount for q in allowed if q.amount is not None)


def test_carrier_specific_over_4_5_kg_must_be_fedex_ground() -> None:
    p = parcel("4.6")
    request = LabelRequest(LabelType.CARRIER_SPECIFIC, "USPS", "Priority")
    with pytest.raises(RuleViolation) as refused:
        choose_quote(request, quotes(p), p.weight_kg)
    assert "only with FedEx Ground" in str(refused.value.errors[0])
    assert (
        choose_quote(replace(request, carrier="fedex", service="GROUND"), quotes(p), p.weight_kg).carrier
        == "FedEx"
    )


def test_a_service_past_its_heaviest_bracket_refuses() -> None:
    usps_at_40_kg = [q for q in quotes(parcel("40")) if q.carrier == "USPS"]
    assert usps_at_40_kg and all(q.refusal and "up to 31.75 kg" in q.refusal for q in usps_at_40_kg)
    assert all(q.amount is not None for q in quotes(parcel("3.5")) if q.carrier == "USPS")


def test_prices_are_exact_decimals_with_surcharges() -> None:
    # UPS Ground, 0.85 kg (bracket 1 kg), Chicago -> Cicero is zone 2: base 8.35 + pickup 0.95, fuel 15.5 %.
    ups_ground = next(q for q in quotes(parcel("0.85")) if (q.carrier, q.service) == ("UPS", "Ground"))
    assert ups_ground.zone == "2"
    assert ups_ground.amount == Decimal("10.74")  # (8.35 + 0.95) * 1.155 = 10.7415
    heavy = next(q for q in quotes(parcel("25")) if (q.carrier, q.service) == ("FedEx", "Ground"))
    # bracket 30 kg, zone 2: 7.60 + 0.85 * 30 = 33.10, + handling 17.75 over 22.7 kg, fuel 16 %.
    assert heavy.amount == Decimal("58.99")  # 50.85 * 1.16 = 58.986


def test_another_country_is_priced_on_its_own_zones() -> None:
    toronto = Address("A", "220 Yonge St", "", "Toronto", "ON", "M5B 2H1", "CA")
    vancouver_fc = Address("FC", "1 Main", "", "Vancouver", "BC", "V6B 1A1", "CA")
    p = Parcel((ParcelItem(1, "Box", 1, Decimal("1"), False),), toronto, vancouver_fc)
    offered = {q.name: q for carrier in carriers_of(CARD) for q in carrier.quote(p)}
    assert offered["UPS Standard"].zone == "4" and offered["UPS Standard"].amount is not None
    assert "does not serve CA" in (offered["USPS Priority"].refusal or "")


# --- the rate file ------------------------------------------------------------------------------------


def rate_file(**changes: Any) -> str:
    data = json.loads(default_rate_file())
    for path, value in changes.items():
        target = data
        keys = path.split("__")
        for key in keys[:-1]:
            target = target[int(key)] if key.isdigit() else target[key]
        target[keys[-1]] = value
    return json.dumps(data)


def test_the_packaged_rate_file_is_valid_and_versioned() -> None:
    assert CARD.version == "2026-11-default"
    assert {c.code for c in CARD.carriers} == {"UPS", "USPS", "FedEx"}


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"version": ""}, "version", "at least 1"),
        ({"carriers__0__account": "TOO-LONG-1"}, "carriers[0].account", ""),
        ({"carriers__0__account": "12"}, "carriers[0].account", "6 characters"),
        ({"carriers__1__services__0__service_code": "5"}, "carriers[1].services[0].service_code", "3 digits"),
        (
            {"carriers__0__services__0__countries": ["MX"]},
            "carriers[0].services[0].countries",
            "MX has no zones",
        ),
        (
            {"carriers__0__services__0__brackets__1__up_to_kg": "0.1"},
            "carriers[0].services[0].brackets[1].up_to_kg",
            "ascend",
        ),
        (
            {"carriers__0__services__0__brackets__0__zones": {"2": "1.00"}},
            "carriers[0].services[0].brackets[0].zones",
            "no price for zone(s) 4, 5",
        ),
        (
            {"carriers__0__services__0__brackets__0__zones__2": "-1"},
            "carriers[0].services[0].brackets[0].zones.2",
            "greater than or equal",
        ),
        ({"carriers__2__tracking": "dhl"}, "carriers[2].tracking", "ups"),
        (
            {"countries__US__zones__Pacific": {"Pacific": "2"}},
            "countries.US.zones.Pacific",
            "no zone to region",
        ),
        (
            {"carriers__0__surcharges": [{"name": "Both", "amount": "1", "percent": "2"}]},
            "carriers[0].surcharges[0]",
            "exactly one",
        ),
        ({"surprise": 1}, "surprise", "Extra inputs"),
    ],
)
def test_a_bad_rate_file_names_the_problem(changes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_rate_file(rate_file(**changes))
    assert any(e.field == field and words in e.message for e in refused.value.errors), refused.value.errors


def test_a_rate_file_that_is_not_json_says_so() -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_rate_file("{not json")
    assert refused.value.message == "The rate file is not valid JSON"

"""Rules for returns named by order items, as pure functions: units, refunds, reasons, the OMS's
statuses, and how its error paths are spelled. No database, no web."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.doors.oms.mapping import oms_field
from homeward.kit.errors import RuleViolation
from homeward.oms.domain import (
    ItemStatus,
    NewReturnTimes,
    OmsStatus,
    check_new_return,
    cleared_time,
    status_of,
)
from homeward.returns import reasons
from homeward.returns.domain import ReturnStatus
from homeward.returns.order_items import OrderItemFacts, OrderItemLine, OrderItemReturn, resolve
from homeward.returns.reasons import ReturnReason
from homeward.returns.refunds import (
    CardIssuer,
    GiftCard,
    GiftCardType,
    LineMoney,
    RefundLine,
    RefundTerms,
    RefundType,
    check_refund,
    gift_card_value,
)
from homeward.returns.units import UnitRef, UnitsHeld, check_units

NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


# --- reasons -------------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", list(ReturnReason))
def test_every_catalog_label_is_matched_exactly_in_any_case(reason: ReturnReason) -> None:
    label = reasons.LABELS[reason]
    assert reasons.from_label(f"  {label.upper()} ") is reason
    assert reasons.classify(label) is reason


def test_the_marketplace_list_is_seed_003s_nineteen() -> None:
    assert len(reasons.MARKETPLACE_REASONS) == 19


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Item did not fit.", ReturnReason.DOES_NOT_FIT),
        ("too small in the shoulders", ReturnReason.DOES_NOT_FIT),
        ("It doesn't work", ReturnReason.DEFECTIVE),
        ("stopped working after a day", ReturnReason.DEFECTIVE),
        ("Arrived damaged", ReturnReason.DAMAGED_BOX_INTACT),
        ("the box was crushed", ReturnReason.DAMAGED_BOX_DAMAGED),
        ("Wrong item sent", ReturnReason.WRONG_ITEM),
        ("changed my mind", ReturnReason.NO_LONGER_WANTED),
        ("I don't want it anymore", ReturnReason.NO_LONGER_WANTED),
        ("found it cheaper elsewhere", ReturnReason.BETTER_PRICE),
        ("ordered by mistake", ReturnReason.ACCIDENTAL_ORDER),
        ("missing the charger", ReturnReason.MISSING_PARTS),
        ("it was a gift", ReturnReason.UNWANTED_GIFT),
        ("benefits unclear", ReturnReason.OTHER),  # 'fit' inside a word is not a fit
        ("", ReturnReason.OTHER),
    ],
)
def test_free_text_is_filed_under_the_catalog(text: str, expected: ReturnReason) -> None:
    assert reasons.classify(text) is expected


def test_a_line_without_reason_has_no_code_and_one_with_text_keeps_it() -> None:
    assert OrderItemLine(1, 1).reason_code is None
    assert OrderItemLine(1, 1, reason="   ").reason_code is None
    assert OrderItemLine(1, 1, reason="Item did not fit.").reason_code is ReturnReason.DOES_NOT_FIT


# --- refunds -------------------------------------------------------------------------------------


def line(
    subtotal: str | None = None, card: GiftCard | None = None, price: str | None = None, quantity: int = 1
) -> RefundLine:
    money = LineMoney(subtotal=Decimal(subtotal) if subtotal else None, gift_card=card)
    return RefundLine("inventory[0]", money, quantity, unit_price=Decimal(price) if price else None)


cents = st.integers(0, 10**9).map(lambda c: Decimal(c) / 100)


@given(subtotals=st.lists(cents, min_size=1, max_size=5), total=cents, reduction=cents)
def test_totals_are_accepted_exactly_when_they_add_up(
    subtotals: list[Decimal], total: Decimal, reduction: Decimal
) -> None:
    lines = [RefundLine(f"inventory[{i}]", LineMoney(subtotal=s), 1) for i, s in enumerate(subtotals)]
    errors = {
        e.field for e in check_refund(RefundTerms(return_total=total, reduction_total=reduction), lines)
    }
    assert ("return_total" in errors) == (total != sum(subtotals))
    assert ("reduction_total" in errors) == (reduction > total)


def test_gift_card_refunds_need_a_card_on_every_item_that_expects_units() -> None:
    terms = RefundTerms(refund_type=RefundType.GIFT_CARD)
    rejected = RefundLine("inventory[1]", None, 1, expects_units=False)
    errors = check_refund(terms, [RefundLine("inventory[0]", None, 1), rejected])
    assert [(e.field, e.message) for e in errors] == [
        ("inventory[0].gift_card", "is required when the refund type is GIFT_CARD")
    ]


@pytest.mark.parametrize("card_type", list(GiftCardType))
def test_only_gc_cards_name_an_issuer(card_type: GiftCardType) -> None:
    card = GiftCard(card_type, CardIssuer.SV, Decimal(1))
    refused = [e.field for e in check_refund(None, [line(card=card)])]
    assert refused == ([] if card_type is GiftCardType.GC else ["inventory[0].gift_card.issuer"])


def test_gift_card_value_defaults_to_price_times_quantity_then_subtotal() -> None:
    card = GiftCard(GiftCardType.GC)
    assert gift_card_value(card, line(card=card, price="19.99", quantity=2)) == Decimal("39.98")
    assert gift_card_value(card, line("7.50", card=card)) == Decimal("7.50")
    assert gift_card_value(GiftCard(GiftCardType.GC, value=Decimal(3)), line(card=card)) == Decimal(3)
    assert [e.field for e in check_refund(None, [line(card=card)])] == ["inventory[0].gift_card.value"]


# --- units ---------------------------------------------------------------------------------------


def unit_errors(
    *units: UnitRef, quantity: int = 2, shipped: tuple[str, ...] = (), claims: bool = True
) -> list[str]:
    held = UnitsHeld(frozenset({"HELD"}), frozenset({9}))
    return [
        e.field
        for e in check_units(
            "inventory[0]",
            units,
            quantity=quantity,
            order_item_id=5,
            serials_shipped=frozenset(shipped),
            held=held,
            claims=claims,
        )
    ]


def test_units_rules() -> None:
    assert unit_errors(UnitRef(1, "A"), UnitRef(2, "B")) == []
    assert unit_errors(UnitRef(1), UnitRef(2), UnitRef(3)) == ["inventory[0].units"]
    assert unit_errors(UnitRef(1, "A"), UnitRef(1, "B")) == [
        "inventory[0].units[0].unit_id",
        "inventory[0].units[1].unit_id",
    ]
    assert unit_errors(UnitRef(1, "A"), shipped=("B",)) == ["inventory[0].units[0].serial_number"]
    assert unit_errors(UnitRef(1, "HELD")) == ["inventory[0].units[0].serial_number"]
    assert unit_errors(UnitRef(9)) == ["inventory[0].units[0].unit_id"]
    # A line that expects no units (rejected) claims none, so held units are no obstacle...
    assert unit_errors(UnitRef(9, "HELD"), claims=False) == []
    # ...but a serial still has to be one that was shipped.
    assert unit_errors(UnitRef(1, "A"), shipped=("B",), claims=False) == [
        "inventory[0].units[0].serial_number"
    ]


# --- resolving order items -----------------------------------------------------------------------


def fact(order_item_id: int, shipment_id: int, inventory_id: int) -> OrderItemFacts:
    return OrderItemFacts(order_item_id, shipment_id, 50, "S-50", 11, 1, inventory_id, 2)


FACTS = {1: fact(1, 7, 1001), 2: fact(2, 7, 1002), 3: fact(3, 8, 1003), 4: fact(4, 7, 1001)}


def resolve_errors(*ids: int, shipment_id: int | None = None) -> list[str]:
    items = tuple(OrderItemLine(i, 1) for i in ids)
    try:
        resolve(OrderItemReturn("R", items, shipment_id=shipment_id), FACTS)
    except RuleViolation as exc:
        return [e.field for e in exc.errors]
    return []


def test_resolving_order_items_to_one_shipment() -> None:
    origin = resolve(OrderItemReturn("R", (OrderItemLine(1, 1), OrderItemLine(2, 1))), FACTS)
    assert (origin.shipment_id, origin.fulfillment_center_id, origin.channel_id) == (7, 1, 11)
    assert (
        resolve(
            OrderItemReturn("R", (OrderItemLine(1, 1),), fulfillment_center_id=3), FACTS
        ).fulfillment_center_id
        == 3
    )
    assert resolve_errors(1, 3) == ["inventory"]  # two shipments
    assert resolve_errors(99) == ["inventory[0].order_item_id"]
    assert resolve_errors(1, 4) == ["inventory[1].order_item_id"]  # same inventory id twice
    assert resolve_errors(1, shipment_id=8) == ["inventory[0].order_item_id"]
    assert resolve_errors() == ["inventory"]


# --- the OMS's view ------------------------------------------------------------------------------


def test_five_statuses_fold_into_three() -> None:
    assert {s: status_of(s) for s in ReturnStatus} == {
        ReturnStatus.AWAITING_ARRIVAL: OmsStatus.OPEN,
        ReturnStatus.ARRIVED: OmsStatus.OPEN,
        ReturnStatus.PROCESSING: OmsStatus.PROCESSING,
        ReturnStatus.COMPLETED: OmsStatus.CLOSED,
        ReturnStatus.CANCELLED: OmsStatus.CLOSED,
    }


def test_a_new_return_is_open_uncleared_and_not_from_the_future() -> None:
    def refused(
        status: OmsStatus | None = None, created: datetime | None = None, cleared: datetime | None = None
    ) -> list[str]:
        return [e.field for e in check_new_return(NewReturnTimes(status, created, cleared), NOW)]

    assert refused(OmsStatus.OPEN, created=NOW + timedelta(minutes=4)) == []
    assert refused(OmsStatus.PROCESSING) == ["status"]
    assert refused(cleared=NOW) == ["clearedTime"]
    assert refused(created=NOW + timedelta(hours=1)) == ["createdTime"]


def test_cleared_when_completed_or_cancelled() -> None:
    later = NOW + timedelta(days=1)
    history = [(ReturnStatus.AWAITING_ARRIVAL, NOW), (ReturnStatus.CANCELLED, later)]
    assert cleared_time(ReturnStatus.CANCELLED, None, history) == later
    assert cleared_time(ReturnStatus.COMPLETED, later, []) == later
    assert cleared_time(ReturnStatus.ARRIVED, None, history) is None
    assert ItemStatus.REJECTED.expects_units is False and ItemStatus.PENDING.expects_units


@pytest.mark.parametrize(
    ("domain_field", "shipment_given", "oms"),
    [
        ("inventory[2].quantity", False, "item[2].quantity"),
        ("inventory[0].id", False, "item[0].orderItemID"),
        ("inventory[0].order_item_id", False, "item[0].orderItemID"),
        ("inventory[1].units[3].serial_number", False, "item[1].orderItemUnits[3].serialNumber"),
        ("inventory[1].units[0].unit_id", False, "item[1].orderItemUnits[0].orderItemUnitID"),
        ("inventory[0].gift_card.issuer", False, "item[0].giftCardInfo.cardIssuer"),
        ("inventory[0].gift_card.value", False, "item[0].giftCardInfo.giftCardValue"),
        ("fulfillment_center.id", False, "returnLocation"),
        ("reduction_total", False, "returnReductionTotal"),
        ("original_shipment_id", True, "shipmentID"),
        ("original_shipment_id", False, "item"),
        ("createdTime", False, "createdTime"),
    ],
)
def test_domain_paths_are_spelled_the_oms_way(domain_field: str, shipment_given: bool, oms: str) -> None:
    assert oms_field(domain_field, shipment_given=shipment_given) == oms

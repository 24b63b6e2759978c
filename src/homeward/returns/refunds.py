"""How the customer is to be paid back for a return: refund type, gift cards and totals.

Homeward does not move money; it keeps what the merchant's system says the refund will be and
refuses terms that contradict themselves (totals that disagree with the items, a gift-card refund
without a gift card). Amounts are Decimal; the doors decide their precision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from homeward.kit.errors import FieldError


class RefundType(StrEnum):
    STANDARD = "STANDARD"
    GIFT_CARD = "GIFT_CARD"


class GiftCardType(StrEnum):
    """Gift-card payment types an order-management system names."""

    GC = "GC"
    GT = "GT"
    GX = "GX"
    IM = "IM"
    M1 = "M1"
    M2 = "M2"
    M3 = "M3"
    VA = "VA"


class CardIssuer(StrEnum):
    """Card issuers; only GC gift cards name one."""

    SV = "SV"
    CL = "CL"
    VL = "VL"


@dataclass(frozen=True)
class GiftCard:
    card_type: GiftCardType
    issuer: CardIssuer | None = None
    value: Decimal | None = None  # None: the item's actual price (see gift_card_value)


@dataclass(frozen=True)
class LineMoney:
    """What one returned line is worth to the customer and to the fulfiller."""

    subtotal: Decimal | None = None
    fulfiller_subtotal: Decimal | None = None
    gift_card: GiftCard | None = None


@dataclass(frozen=True)
class RefundTerms:
    refund_type: RefundType | None = None
    return_total: Decimal | None = None
    reduction_total: Decimal | None = None  # subtracted from the return total: the refund is the rest
    fulfiller_total: Decimal | None = None


@dataclass(frozen=True)
class RefundLine:
    """One line as the refund rules see it."""

    where: str
    money: LineMoney | None
    quantity: int
    expects_units: bool = True
    unit_price: Decimal | None = None


def actual_price(unit_price: Decimal | None, quantity: int) -> Decimal | None:
    """What the customer paid for the units returned: unit price times quantity, when the price is known."""
    return None if unit_price is None else unit_price * quantity


def gift_card_value(card: GiftCard, line: RefundLine) -> Decimal | None:
    """The card's value: as given, else the actual price, else the line's subtotal; None if none is known."""
    if card.value is not None:
        return card.value
    price = actual_price(line.unit_price, line.quantity)
    if price is not None:
        return price
    return line.money.subtotal if line.money else None


def check_refund(terms: RefundTerms | None, lines: Sequence[RefundLine]) -> list[FieldError]:
    """Every way the refund terms contradict themselves or the lines."""
    errors: list[FieldError] = []
    for line in lines:
        errors.extend(_check_gift_card(line, terms))
    if terms is None:
        return errors
    subtotals = sum((ln.money.subtotal or Decimal(0) for ln in lines if ln.money), Decimal(0))
    if terms.return_total is not None and terms.return_total != subtotals:
        errors.append(
            FieldError(
                "return_total",
                f"{terms.return_total} does not equal the sum of the items' subtotals ({subtotals})",
            )
        )
    total = terms.return_total if terms.return_total is not None else subtotals
    if terms.reduction_total is not None and terms.reduction_total > total:
        errors.append(
            FieldError(
                "reduction_total",
                f"{terms.reduction_total} exceeds the return total ({total}): the refund would be negative",
            )
        )
    fulfiller = sum((ln.money.fulfiller_subtotal or Decimal(0) for ln in lines if ln.money), Decimal(0))
    if terms.fulfiller_total is not None and terms.fulfiller_total != fulfiller:
        errors.append(
            FieldError(
                "fulfiller_total",
                f"{terms.fulfiller_total} does not equal the sum of the items' fulfiller subtotals "
                f"({fulfiller})",
            )
        )
    return errors


def _check_gift_card(line: RefundLine, terms: RefundTerms | None) -> list[FieldError]:
    card = line.money.gift_card if line.money else None
    wants_card = terms is not None and terms.refund_type is RefundType.GIFT_CARD and line.expects_units
    if card is None:
        if wants_card:
            return [FieldError(f"{line.where}.gift_card", "is required when the refund type is GIFT_CARD")]
        return []
    errors: list[FieldError] = []
    if card.issuer is not None and card.card_type is not GiftCardType.GC:
        errors.append(
            FieldError(
                f"{line.where}.gift_card.issuer",
                f"names a card issuer, which only GC gift cards have (this one is {card.card_type})",
            )
        )
    if gift_card_value(card, line) is None:
        errors.append(
            FieldError(
                f"{line.where}.gift_card.value",
                "is required: the order item's price is not known and the item has no subtotal",
            )
        )
    return errors

"""The reason catalog every door shares: why an item came back.

Entries carry the marketplace refund reasons verbatim (seed 003, matched exactly by `from_label`)
plus what customers say most that those miss (`DOES_NOT_FIT`). Doors that take free text (the OMS
dialect) keep the text and file it under a catalog entry with `classify`; nothing is refused for
an unusual reason, it is filed as OTHER.
"""

from __future__ import annotations

import re
from enum import StrEnum


class ReturnReason(StrEnum):
    NO_LONGER_WANTED = "no_longer_wanted"
    WRONG_ITEM = "wrong_item"
    DESCRIPTION_INACCURATE = "description_inaccurate"
    DEFECTIVE = "defective"
    DAMAGED_BOX_INTACT = "damaged_box_intact"
    DAMAGED_BOX_DAMAGED = "damaged_box_damaged"
    NEVER_ARRIVED = "never_arrived"
    ARRIVED_LATE = "arrived_late"
    WRONG_QUANTITY = "wrong_quantity"
    BETTER_PRICE = "better_price"
    UNWANTED_GIFT = "unwanted_gift"
    ACCIDENTAL_ORDER = "accidental_order"
    UNAUTHORIZED_PURCHASE = "unauthorized_purchase"
    MISSING_PARTS = "missing_parts"
    RTS_UNDELIVERABLE = "rts_undeliverable"
    RTS_LOST = "rts_lost"
    REFURBISHED = "refurbished"
    EXPIRED = "expired"
    ARRIVED_AFTER_ESTIMATE = "arrived_after_estimate"
    DOES_NOT_FIT = "does_not_fit"
    OTHER = "other"


LABELS: dict[ReturnReason, str] = {
    ReturnReason.NO_LONGER_WANTED: "No longer want this item",
    ReturnReason.WRONG_ITEM: "Received the wrong item",
    ReturnReason.DESCRIPTION_INACCURATE: "Website description is inaccurate",
    ReturnReason.DEFECTIVE: "Product is defective / does not work",
    ReturnReason.DAMAGED_BOX_INTACT: "Item arrived damaged - box intact",
    ReturnReason.DAMAGED_BOX_DAMAGED: "Item arrived damaged - box damaged",
    ReturnReason.NEVER_ARRIVED: "Package never arrived",
    ReturnReason.ARRIVED_LATE: "Package arrived late",
    ReturnReason.WRONG_QUANTITY: "Wrong quantity received",
    ReturnReason.BETTER_PRICE: "Better price found elsewhere",
    ReturnReason.UNWANTED_GIFT: "Unwanted gift",
    ReturnReason.ACCIDENTAL_ORDER: "Accidental order",
    ReturnReason.UNAUTHORIZED_PURCHASE: "Unauthorized purchase",
    ReturnReason.MISSING_PARTS: "Item is missing parts / accessories",
    ReturnReason.RTS_UNDELIVERABLE: "Return to Sender - damaged, undeliverable, refused",
    ReturnReason.RTS_LOST: "Return to Sender - lost in transit only",
    ReturnReason.REFURBISHED: "Item is refurbished",
    ReturnReason.EXPIRED: "Item is expired",
    ReturnReason.ARRIVED_AFTER_ESTIMATE: "Package arrived after estimated delivery date",
    ReturnReason.DOES_NOT_FIT: "Item does not fit",
    ReturnReason.OTHER: "Other",
}

# The marketplace's own list (seed 003): a refund file may name only these.
MARKETPLACE_REASONS = tuple(
    r for r in ReturnReason if r not in (ReturnReason.DOES_NOT_FIT, ReturnReason.OTHER)
)

_BY_LABEL = {label.casefold(): reason for reason, label in LABELS.items()}

_NOT = r"(?:not|n't|nt|never)"
# First match wins: the more specific phrasings come before the general ones.
_RULES: tuple[tuple[ReturnReason, re.Pattern[str]], ...] = tuple(
    (reason, re.compile(pattern, re.IGNORECASE))
    for reason, pattern in (
        (ReturnReason.RTS_LOST, r"\blost in transit\b"),
        (ReturnReason.RTS_UNDELIVERABLE, r"\b(return to sender|undeliverable|refused)\b"),
        (ReturnReason.WRONG_QUANTITY, r"\b(wrong quantity|too many|too few)\b"),
        (
            ReturnReason.DOES_NOT_FIT,
            r"\b(fit|fits|fitting|sizes?|sizing|too (small|big|large|tight|loose))\b",
        ),
        (ReturnReason.MISSING_PARTS, r"\b(missing|incomplete)\b"),
        (
            ReturnReason.WRONG_ITEM,
            rf"\b((wrong|incorrect) (item|product|colou?r|model)|{_NOT} what i ordered)\b",
        ),
        (ReturnReason.DAMAGED_BOX_DAMAGED, r"\b(damaged|crushed|torn) (box|package|packaging|parcel)\b"),
        (
            ReturnReason.DAMAGED_BOX_DAMAGED,
            r"\b(box|package|packaging|parcel) (was )?(damaged|crushed|torn)\b",
        ),
        (ReturnReason.DAMAGED_BOX_INTACT, r"\b(damaged|cracked|scratched|dented|arrived broken)\b"),
        (
            ReturnReason.DEFECTIVE,
            rf"\b(defective|faulty|broken|malfunction\w*|stopped working|does ?{_NOT} work|{_NOT} working)\b",
        ),
        (ReturnReason.EXPIRED, r"\bexpired?\b"),
        (ReturnReason.REFURBISHED, r"\brefurbished\b"),
        (ReturnReason.NEVER_ARRIVED, rf"\b(never (arrived|came)|{_NOT} (received|delivered|arrived))\b"),
        (ReturnReason.ARRIVED_AFTER_ESTIMATE, r"\bafter (the )?estimated\b"),
        (ReturnReason.ARRIVED_LATE, r"\b(late|delayed)\b"),
        (ReturnReason.BETTER_PRICE, r"\b(cheaper|(better|lower) price)\b"),
        (ReturnReason.UNWANTED_GIFT, r"\bgift\b"),
        (ReturnReason.ACCIDENTAL_ORDER, r"\b(accident\w*|by mistake|ordered twice|duplicate order)\b"),
        (ReturnReason.UNAUTHORIZED_PURCHASE, rf"\b(unauthori[sz]ed|fraud\w*|did ?{_NOT} order)\b"),
        (ReturnReason.DESCRIPTION_INACCURATE, r"\b(not as described|description|inaccurate|misleading)\b"),
        (
            ReturnReason.NO_LONGER_WANTED,
            rf"\b(no longer|changed? (my )?mind|do ?{_NOT} (want|need|like)|did ?{_NOT} like|unwanted)\b",
        ),
    )
)


def from_label(text: str) -> ReturnReason | None:
    """A catalog entry named exactly by its label (any case, surrounding blanks ignored)."""
    return _BY_LABEL.get(text.strip().casefold())


def classify(text: str) -> ReturnReason:
    """File a customer's own words under a catalog entry; OTHER when nothing fits."""
    exact = from_label(text)
    if exact is not None:
        return exact
    for reason, pattern in _RULES:
        if pattern.search(text):
            return reason
    return ReturnReason.OTHER

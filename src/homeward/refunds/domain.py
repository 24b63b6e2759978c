"""Refund files (Jet-style): the file name, the row format and the rules one refund must keep.

Pure Python. The service reads rows and gathers facts (the marketplace order, what was refunded
before, whether the alt_refund_id was already used); these functions say what is allowed and why
not. Every reason names the field it is about, so an ack row can tell the merchant what to fix.

Per-unit amounts are the order line's amounts divided by the quantity ordered. A refund is partial
when its four amounts add up to less than the line's four amounts for the units refunded; partial
refunds need a refund_feedback.
"""

from __future__ import annotations

import functools
import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import NamedTuple

from homeward.kit.errors import FieldError
from homeward.kit.money import to_money
from homeward.marketplace.domain import Amounts, MarketplaceOrderStatus

COLUMNS = (
    "merchant_order_id",
    "alt_refund_id",
    "order_item_id",
    "total_quantity_returned",
    "order_return_refund_qty",
    "refund_reason",
    "refund_feedback",
    "notes",
    "principal",
    "tax",
    "shipping_cost",
    "shipping_tax",
)
ACK_COLUMNS = (*COLUMNS, "Status", "ErrorMessage")

# The 19 reasons of seed 003, matched exactly but for letter case.
REFUND_REASONS = (
    "No longer want this item",
    "Received the wrong item",
    "Website description is inaccurate",
    "Product is defective / does not work",
    "Item arrived damaged - box intact",
    "Item arrived damaged - box damaged",
    "Package never arrived",
    "Package arrived late",
    "Wrong quantity received",
    "Better price found elsewhere",
    "Unwanted gift",
    "Accidental order",
    "Unauthorized purchase",
    "Item is missing parts / accessories",
    "Return to Sender - damaged, undeliverable, refused",
    "Return to Sender - lost in transit only",
    "Item is refurbished",
    "Item is expired",
    "Package arrived after estimated delivery date",
)
_REASON_BY_KEY = {reason.lower(): reason for reason in REFUND_REASONS}
# Between the reasons of one ErrorMessage; no single reason contains it.
REASON_SEPARATOR = "; "

ID_MAX = 100
NOTES_MAX = 1000
QUANTITY_MAX = 1_000_000
AMOUNT_MAX = Decimal("999999999999.99")
# An Amounts' four parts in Amounts.FIELDS order, as a tuple (one C call).
_PARTS = operator.attrgetter(*Amounts.FIELDS)
_WHOLE = re.compile(r"^\d+$")
_AMOUNT = re.compile(r"^(\d+(\.\d*)?|\.\d+)$")
_FILE_NAME = re.compile(r"^JET_REFUND_(\d{12})\.csv$", re.IGNORECASE)
# Names FTP clients give a file while it is still being written; it is renamed when complete.
_IN_PROGRESS_SUFFIXES = (".part", ".filepart", ".tmp", ".uploading")


class RefundFeedback(StrEnum):
    OTHER = "other"
    ITEM_DAMAGED = "item damaged"
    NOT_SHIPPED_IN_ORIGINAL_PACKAGING = "not shipped in original packaging"
    CUSTOMER_OPENED_ITEM = "customer opened item"


# --- files ---------------------------------------------------------------------------------------


def file_name_problem(name: str) -> str | None:
    """Why a name is not JET_REFUND_MMDDYYHHMMSS.csv with a real date and time, or None if it is."""
    match = _FILE_NAME.match(name)
    if match is None:
        return (
            f"file name '{name}' is not JET_REFUND_MMDDYYHHMMSS.csv (two-digit month, day, year, "
            "24-hour hour, minute, seconds), so the file was not processed"
        )
    try:
        datetime.strptime(match.group(1), "%m%d%y%H%M%S")
    except ValueError:
        return (
            f"file name '{name}': {match.group(1)} is not a valid MMDDYYHHMMSS date and time, "
            "so the file was not processed"
        )
    return None


def is_in_progress_name(name: str) -> bool:
    """Hidden files and temporary upload names are not refund files (yet)."""
    return name.startswith(".") or name.lower().endswith(_IN_PROGRESS_SUFFIXES)


def ack_name(name: str) -> str:
    stem = name[:-4] if name.lower().endswith(".csv") else name
    return f"{stem}_Ack.csv"


def header_problem(cells: Sequence[str]) -> str | None:
    """The header row must name the twelve columns in order (any letter case)."""
    given = [c.strip().lower() for c in _without_trailing_blanks(cells)]
    if given == list(COLUMNS):
        return None
    expected = ", ".join(COLUMNS)
    for index, name in enumerate(COLUMNS):
        if index >= len(given):
            return f"header row lacks column {index + 1} '{name}' (expected: {expected})"
        if given[index] != name:
            return (
                f"header column {index + 1} is '{given[index][:60]}', expected '{name}' "
                f"(expected: {expected})"
            )
    return f"header row has {len(given)} columns, expected {len(COLUMNS)}: {expected}"


def is_blank(cells: Sequence[str]) -> bool:
    """Spreadsheets leave empty rows (`,,,,`) below the data; they are not refunds."""
    return not "".join(cells).strip()


def padded(cells: Sequence[str]) -> list[str]:
    """The row as twelve cells, for echoing in the ack whatever its width (NULs dropped: no
    spreadsheet shows them, and the row's ErrorMessage says they were there)."""
    if len(cells) == len(COLUMNS) and "\x00" not in "".join(cells):
        return list(cells)  # the usual row, as it is
    cells = [c.replace("\x00", "") for c in _without_trailing_blanks(cells)]
    return [*cells[: len(COLUMNS)], *[""] * (len(COLUMNS) - len(cells))]


def group_key(cells: Sequence[str]) -> str | None:
    """Rows refunding together share (merchant_order_id, alt_refund_id); a row naming neither is
    alone (None). The key is only compared within one file while it is staged."""
    if len(cells) != len(COLUMNS):
        cells = _without_trailing_blanks(cells)
        if len(cells) != len(COLUMNS):
            return None
    order, alt = cells[0].strip(), cells[1].strip()
    if not order or not alt or len(order) > ID_MAX or len(alt) > ID_MAX:
        return None
    # The length prefix keeps ("ab", "c") and ("a", "bc") apart.
    return f"{len(order)}:{order}{alt}"


def _without_trailing_blanks(cells: Sequence[str]) -> list[str]:
    cells = list(cells)
    while len(cells) > len(COLUMNS) and not cells[-1].strip():
        cells.pop()
    return cells


# --- one row, on its own -------------------------------------------------------------------------


class RefundRow(NamedTuple):
    """A row as far as it could be read; a value that could not be read is None, with its error.

    A named tuple, not a dataclass: one is made per row of every file, and a tuple is made in a
    third of the time."""

    row_number: int
    merchant_order_id: str
    alt_refund_id: str
    order_item_id: str
    quantity_returned: int | None
    quantity_refunded: int | None
    reason: str | None
    feedback: RefundFeedback | None
    notes: str | None
    amounts: Amounts | None
    errors: tuple[FieldError, ...] = ()

    @property
    def complete(self) -> bool:
        return not self.errors


def parse_row(row_number: int, raw: Sequence[str]) -> RefundRow:
    """Read one row and check every rule that needs nothing but the row itself.

    Runs for every row of every file (100,000-row files are usual), so it is kept lean: what
    follows the three ids (quantities, reason, feedback, notes, amounts) is read once per distinct
    set of values (see _rest), and values that repeat on their own (amounts) once each.
    """
    cells = raw if len(raw) == len(COLUMNS) else _without_trailing_blanks(raw)
    if len(cells) != len(COLUMNS):
        error = FieldError("columns", f"row has {len(cells)} columns, expected {len(COLUMNS)}")
        return RefundRow(row_number, "", "", "", None, None, None, None, None, None, (error,))
    values = list(map(str.strip, cells))
    errors: list[FieldError] = []
    if "\x00" in "".join(values):
        for index, value in enumerate(values):
            if "\x00" in value:
                errors.append(FieldError(COLUMNS[index], "must not contain NUL characters"))
                values[index] = value.replace("\x00", "")
    order, alt, item = values[0], values[1], values[2]
    if not order or not alt or not item or len(order) > ID_MAX or len(alt) > ID_MAX or len(item) > ID_MAX:
        for name, value in (("merchant_order_id", order), ("alt_refund_id", alt), ("order_item_id", item)):
            errors.extend(_identifier(name, value))
    returned, refunded, reason, feedback, notes, amounts, rest_errors = _rest(*values[3:])
    return RefundRow(
        row_number,
        order,
        alt,
        item,
        returned,
        refunded,
        reason,
        feedback,
        notes,
        amounts,
        (*errors, *rest_errors) if errors else rest_errors,
    )


_Rest = tuple[
    int | None,
    int | None,
    str | None,
    RefundFeedback | None,
    str | None,
    Amounts | None,
    tuple[FieldError, ...],
]


@functools.lru_cache(maxsize=1024)
def _rest(
    returned_text: str,
    refunded_text: str,
    reason_text: str,
    feedback_text: str,
    notes: str,
    *amount_cells: str,
) -> _Rest:
    """The cells after the three ids, read and checked: (quantity returned, quantity refunded,
    reason, feedback, notes, amounts, their errors). Cached: the rows of a file repeat them."""
    errors: list[FieldError] = []
    returned = _quantity("total_quantity_returned", returned_text, errors)
    refunded = _quantity("order_return_refund_qty", refunded_text, errors)
    if returned is not None and refunded is not None and refunded > returned:
        errors.append(
            FieldError("order_return_refund_qty", f"{refunded} exceeds total_quantity_returned ({returned})")
        )
    reason = _reason(reason_text, errors)
    feedback = _feedback(feedback_text, errors) if feedback_text else None
    if len(notes) > NOTES_MAX:
        errors.append(FieldError("notes", f"must be at most {NOTES_MAX} characters"))
    if feedback is RefundFeedback.OTHER and not notes:
        errors.append(FieldError("notes", "is required when refund_feedback is 'other'"))
    amounts, amount_errors = _amounts(*amount_cells)
    if amount_errors:
        errors.extend(amount_errors)
    if amounts is not None and refunded == 0 and amounts.total == 0:
        errors.append(
            FieldError("order_return_refund_qty", "the row refunds nothing (no units and every amount 0)")
        )
    return returned, refunded, reason, feedback, notes or None, amounts, tuple(errors)


@functools.lru_cache(maxsize=4096)
def _amounts(*cells: str) -> tuple[Amounts | None, tuple[FieldError, ...]]:
    """The four amount cells as Amounts, or None with an error per bad cell. Cached like
    _money_value: the lines of one product repeat the same four amounts."""
    parts = []
    errors = []
    for name, value in zip(Amounts.FIELDS, cells, strict=True):
        amount = _money_value(value)
        if isinstance(amount, str):
            errors.append(FieldError(name, amount))
        else:
            parts.append(amount)
    return (None if errors else Amounts(*parts)), tuple(errors)


def _identifier(name: str, value: str) -> list[FieldError]:
    if not value:
        return [FieldError(name, "is required")]
    if len(value) > ID_MAX:
        return [FieldError(name, f"must be at most {ID_MAX} characters")]
    return []


def _quantity(name: str, value: str, errors: list[FieldError]) -> int | None:
    found = _whole_number(value)
    if isinstance(found, str):
        errors.append(FieldError(name, found))
        return None
    return found


@functools.lru_cache(maxsize=1024)
def _whole_number(value: str) -> int | str:
    """A quantity cell as a number, or why it is not one. Cached: a file repeats its quantities."""
    if not value:
        return "is required"
    if value.startswith("-") and _WHOLE.match(value[1:]):
        return f"must be 0 or more, got {value}"
    if not _WHOLE.match(value):
        return f"must be a whole number, got '{value[:40]}'"
    if int(value) > QUANTITY_MAX:
        return f"must be at most {QUANTITY_MAX:,}"
    return int(value)


@functools.lru_cache(maxsize=4096)
def _money_value(value: str) -> Decimal | str:
    """An amount cell as money, or why it is not one. Blank means 0 (a spreadsheet cell left
    empty); otherwise 0 or more, at most two decimals. Cached: a file repeats its prices."""
    if not value:
        return to_money(0)
    negative = value.startswith("-") and bool(_AMOUNT.match(value[1:]))
    if negative or not _AMOUNT.match(value):
        return (
            f"must be 0 or more, got {value}"
            if negative
            else f"must be an amount like 12.34, got '{value[:40]}'"
        )
    try:
        amount = Decimal(value)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        return f"must be an amount like 12.34, got '{value[:40]}'"
    if amount != amount.quantize(Decimal("0.01")):
        return f"must have at most two decimal places, got {value}"
    if amount > AMOUNT_MAX:
        return f"must be at most {AMOUNT_MAX}"
    return to_money(amount)


def _reason(value: str, errors: list[FieldError]) -> str | None:
    reason = _REASON_BY_KEY.get(value.lower())
    if reason is not None:
        return reason
    if not value:
        errors.append(FieldError("refund_reason", "is required"))
    else:
        errors.append(
            FieldError("refund_reason", f"'{value[:80]}' is not one of the 19 refund reasons Jet accepts")
        )
    return None


def _feedback(value: str, errors: list[FieldError]) -> RefundFeedback | None:
    if not value:
        return None
    try:
        return RefundFeedback(value.lower())
    except ValueError:
        allowed = " | ".join(f.value for f in RefundFeedback)
        errors.append(FieldError("refund_feedback", f"'{value[:80]}' is not one of: {allowed}"))
        return None


# --- a group of rows against the order -----------------------------------------------------------


class ItemFacts(NamedTuple):
    order_item_id: str
    quantity: int
    charged: Amounts
    refunded_quantity: int
    refunded: Amounts


@dataclass(frozen=True)
class OrderFacts:
    merchant_order_id: str
    status: MarketplaceOrderStatus
    items: dict[str, ItemFacts] = field(default_factory=dict)


class RowResult(NamedTuple):
    row_number: int
    ok: bool
    message: str


def settle_group(
    rows: Sequence[RefundRow], order: OrderFacts | None, *, already_applied: bool
) -> list[RowResult]:
    """Judge the rows of one alt_refund_id together: every row is applied, or none is.

    `order` is None when the merchant has no such order. A failed row names each broken field;
    a good row in a failed group says which rows held it back.
    """
    errors: dict[int, list[FieldError]] = {row.row_number: list(row.errors) for row in rows}
    order_id = rows[0].merchant_order_id if rows else ""
    if order_id and len(order_id) <= ID_MAX:
        for row in rows:
            errors[row.row_number].extend(_against_order(row, order, already_applied))
        _repeated_items(rows, errors)
    failed = [n for n, found in errors.items() if found]
    results = []
    for row in rows:
        own = errors[row.row_number]
        if own:
            results.append(RowResult(row.row_number, False, REASON_SEPARATOR.join(str(e) for e in own)))
        elif failed:
            others = ", ".join(str(n) for n in failed)
            why = f"not applied: row(s) {others} of alt_refund_id '{row.alt_refund_id}' failed"
            results.append(RowResult(row.row_number, False, f"alt_refund_id: {why}"))
        else:
            results.append(RowResult(row.row_number, True, ""))
    return results


def group_passes(rows: Sequence[RefundRow], order: OrderFacts) -> bool:
    """Whether settle_group would pass every row of this group (its alt_refund_id not applied
    before): the usual group, told without building a verdict per row. Any other group goes
    through settle_group, which says why."""
    if not order.status.refundable:
        return False
    items = order.items
    for row in rows:
        item = items.get(row.order_item_id)
        if row.errors or item is None or _against_item(row, item):
            return False
    return len(rows) == 1 or len({row.order_item_id for row in rows}) == len(rows)


def duplicate_results(rows: Sequence[RefundRow]) -> list[RowResult]:
    """What a group says when another processor applied the same alt_refund_id first."""
    return [RowResult(r.row_number, False, str(_duplicate(r))) for r in rows]


def _duplicate(row: RefundRow) -> FieldError:
    return FieldError(
        "alt_refund_id",
        f"duplicate alt_refund_id: '{row.alt_refund_id}' was already applied to order "
        f"'{row.merchant_order_id}'",
    )


def _against_order(row: RefundRow, order: OrderFacts | None, already_applied: bool) -> list[FieldError]:
    if already_applied:
        return [_duplicate(row)]
    if order is None:
        return [FieldError("merchant_order_id", f"order '{row.merchant_order_id}' was not found")]
    if not order.status.refundable:
        return [
            FieldError(
                "merchant_order_id",
                f"order '{order.merchant_order_id}' is '{order.status}' (only orders that are "
                f"'{MarketplaceOrderStatus.IN_PROGRESS}' or '{MarketplaceOrderStatus.COMPLETED}' "
                "can be refunded)",
            )
        ]
    if not row.order_item_id:
        return []
    item = order.items.get(row.order_item_id)
    if item is None:
        return [
            FieldError(
                "order_item_id", f"'{row.order_item_id}' is not an item of order '{order.merchant_order_id}'"
            )
        ]
    return _against_item(row, item)


def _against_item(row: RefundRow, item: ItemFacts) -> list[FieldError]:
    errors: list[FieldError] = []
    if row.quantity_returned is not None and row.quantity_returned > item.quantity:
        errors.append(
            FieldError(
                "total_quantity_returned",
                f"{row.quantity_returned} exceeds the {item.quantity} unit(s) ordered",
            )
        )
    if row.quantity_refunded is not None:
        left = item.quantity - item.refunded_quantity
        if row.quantity_refunded > left:
            errors.append(
                FieldError(
                    "order_return_refund_qty",
                    f"{row.quantity_refunded} exceeds the {left} unit(s) still refundable "
                    f"({item.quantity} ordered, {item.refunded_quantity} already refunded)",
                )
            )
    amounts = row.amounts
    if amounts is None:
        return errors
    charged_, refunded_ = item.charged, item.refunded
    if not (  # the usual row: within what is left of every part (spelled out: one row after another)
        amounts.principal <= charged_.principal - refunded_.principal
        and amounts.tax <= charged_.tax - refunded_.tax
        and amounts.shipping_cost <= charged_.shipping_cost - refunded_.shipping_cost
        and amounts.shipping_tax <= charged_.shipping_tax - refunded_.shipping_tax
    ):
        for name, amount, charged, refunded in zip(
            Amounts.FIELDS, _PARTS(amounts), _PARTS(charged_), _PARTS(refunded_), strict=True
        ):
            if amount > charged - refunded:
                errors.append(
                    FieldError(
                        name,
                        f"{amount} exceeds the {charged - refunded} still refundable "
                        f"({charged} charged, {refunded} already refunded)",
                    )
                )
    if row.quantity_refunded is not None and row.feedback is None and is_partial(row, item):
        full = to_money(item.charged.total * row.quantity_refunded / item.quantity)
        errors.append(
            FieldError(
                "refund_feedback",
                f"is required for a partial refund ({amounts.total} of the {full} charged "
                f"for {row.quantity_refunded} unit(s))",
            )
        )
    return errors


def is_partial(row: RefundRow, item: ItemFacts) -> bool:
    """Less than the line's price, tax, shipping and shipping tax for the units refunded.

    Compared as refund * ordered < line * refunded units, so no per-unit rounding can tip it.
    """
    if row.amounts is None or row.quantity_refunded is None:
        return False
    return row.amounts.total * item.quantity < item.charged.total * row.quantity_refunded


def _repeated_items(rows: Sequence[RefundRow], errors: dict[int, list[FieldError]]) -> None:
    named = [row.order_item_id for row in rows if row.order_item_id]
    if len(set(named)) == len(named):
        return  # the usual group: every item on one row
    counts = Counter(named)
    for row in rows:
        if counts[row.order_item_id] > 1:
            others = ", ".join(str(r.row_number) for r in rows if r.order_item_id == row.order_item_id)
            errors[row.row_number].append(
                FieldError(
                    "order_item_id",
                    f"'{row.order_item_id}' is on more than one row of alt_refund_id "
                    f"'{row.alt_refund_id}' (rows {others}), put each item on one row",
                )
            )

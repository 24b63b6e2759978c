"""Returns platforms' "return created" webhooks, read into one neutral shape, and their signatures.

AfterShip Returns posts an envelope `{id, event, created_at, data}` whose `data` is the return:
`rma_number`, `order.order_number`, `items[]` (`sku`, `return_quantity`), `shipments[].tracking_number`;
it signs the raw body: `as-signature-hmac-sha256` = base64(HMAC-SHA256(secret, body)).
Loop posts the return itself with `topic` "return" and `trigger` "return.created": `id`,
`order_name`, `line_items[]` (one per unit, with `sku`), and a label's `tracking_number`; it signs
the same way in `X-Loop-Signature`. Only what Homeward needs is read; everything else is ignored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from homeward.kit.errors import FieldError, InvalidInput

REFERENCE_MAX = 50
TEXT_MAX = 100


class Platform(StrEnum):
    AFTERSHIP = "aftership"
    LOOP = "loop"


SIGNATURE_HEADERS = {Platform.AFTERSHIP: "as-signature-hmac-sha256", Platform.LOOP: "x-loop-signature"}
CREATED_EVENTS = {
    Platform.AFTERSHIP: {"return.created", "return.submitted"},
    Platform.LOOP: {"return.created"},
}


class Outcome(StrEnum):
    CREATED = "created"
    DUPLICATE = "duplicate"  # the same platform return again: nothing new was made
    IGNORED = "ignored"  # another event than "return created"
    REFUSED = "refused"


@dataclass(frozen=True)
class InboundItem:
    sku: str
    quantity: int


@dataclass(frozen=True)
class InboundReturn:
    """A platform's new return, in Homeward's words (the order is the shop's order name)."""

    platform: Platform
    external_id: str
    event: str
    rma: str
    order_names: tuple[str, ...]  # as the platform may write it: "#1001" and "1001"
    items: tuple[InboundItem, ...]
    tracking_number: str | None

    @property
    def is_creation(self) -> bool:
        return self.event in CREATED_EVENTS[self.platform]


def signature_matches(secret: str, body: bytes, signature: str | None) -> bool:
    if not signature:
        return False
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return hmac.compare_digest(expected, signature.strip())


def sign(secret: str, body: bytes) -> str:
    """What the platform puts in its signature header (tests and demos send with it)."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def parse(platform: Platform, payload: Any) -> InboundReturn:
    if not isinstance(payload, dict):
        raise _invalid([FieldError("body", "must be a JSON object")])
    return _aftership(payload) if platform is Platform.AFTERSHIP else _loop(payload)


def _aftership(envelope: dict[str, Any]) -> InboundReturn:
    errors: list[FieldError] = []
    data = _object(envelope, "data", "data", errors)
    order = _object(data, "order", "data.order", errors)
    raw_items = data.get("items", data.get("return_items"))
    items: list[InboundItem] = []
    if not isinstance(raw_items, list) or not raw_items:
        errors.append(FieldError("data.items", "must list the items returned"))
    else:
        for i, raw in enumerate(raw_items):
            where = f"data.items[{i}]"
            if not isinstance(raw, dict):
                errors.append(FieldError(where, "must be an object"))
                continue
            sku = _text(raw, "sku", f"{where}.sku", errors)
            quantity = raw.get("return_quantity", raw.get("quantity", 1))
            if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= 10_000:
                errors.append(FieldError(f"{where}.return_quantity", "must be a whole number from 1"))
                continue
            if sku:
                items.append(InboundItem(sku, quantity))
    rma = _text(data, "rma_number", "data.rma_number", errors, limit=REFERENCE_MAX)
    order_number = _text(order, "order_number", "data.order.order_number", errors)
    external_id = _text(data, "id", "data.id", errors)
    event = envelope.get("event")
    shipments = data.get("shipments")
    tracking = None
    if isinstance(shipments, list):
        tracking = next(
            (
                s["tracking_number"]
                for s in shipments
                if isinstance(s, dict) and _is_text(s.get("tracking_number"))
            ),
            None,
        )
    if errors:
        raise _invalid(errors)
    return InboundReturn(
        platform=Platform.AFTERSHIP,
        external_id=external_id,
        event=event if isinstance(event, str) else "",
        rma=rma,
        order_names=_names(order_number),
        items=_merged(items),
        tracking_number=tracking,
    )


def _loop(payload: dict[str, Any]) -> InboundReturn:
    errors: list[FieldError] = []
    raw_id = payload.get("id")
    external_id = str(raw_id) if isinstance(raw_id, int | str) and not isinstance(raw_id, bool) else ""
    if not external_id or len(external_id) > 40:
        errors.append(FieldError("id", "must be Loop's return id"))
    order_name = _text(payload, "order_name", "order_name", errors)
    raw_items = payload.get("line_items")
    items: list[InboundItem] = []
    if not isinstance(raw_items, list) or not raw_items:
        errors.append(FieldError("line_items", "must list the items returned"))
    else:
        for i, raw in enumerate(raw_items):
            if not isinstance(raw, dict):
                errors.append(FieldError(f"line_items[{i}]", "must be an object"))
                continue
            sku = _text(raw, "sku", f"line_items[{i}].sku", errors)
            if sku:
                items.append(InboundItem(sku, 1))  # Loop lists one line item per unit
    label = payload.get("label")
    tracking = payload.get("tracking_number")
    if not _is_text(tracking) and isinstance(label, dict):
        tracking = label.get("tracking_number")
    trigger = payload.get("trigger")
    if errors:
        raise _invalid(errors)
    return InboundReturn(
        platform=Platform.LOOP,
        external_id=external_id,
        event=trigger if isinstance(trigger, str) else "",
        rma=f"LOOP-{external_id}",
        order_names=_names(order_name),
        items=_merged(items),
        tracking_number=tracking if _is_text(tracking) else None,
    )


def _object(parent: dict[str, Any], key: str, where: str, errors: list[FieldError]) -> dict[str, Any]:
    value = parent.get(key)
    if isinstance(value, dict):
        return value
    errors.append(FieldError(where, "must be an object"))
    return {}


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= TEXT_MAX and "\x00" not in value


def _text(
    parent: dict[str, Any], key: str, where: str, errors: list[FieldError], limit: int = TEXT_MAX
) -> str:
    value = parent.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\x00" in value:
        errors.append(FieldError(where, f"is required: text of 1 to {limit} characters"))
        return ""
    return value.strip()


def _names(order_name: str) -> tuple[str, ...]:
    """Shops write order names with a leading '#'; the imported order may have it or not."""
    bare = order_name.lstrip("#")
    return tuple(dict.fromkeys((order_name, bare, f"#{bare}")))


def _merged(items: list[InboundItem]) -> tuple[InboundItem, ...]:
    counts: Counter[str] = Counter()
    for item in items:
        counts[item.sku] += item.quantity
    return tuple(InboundItem(sku, quantity) for sku, quantity in counts.items())


def _invalid(errors: list[FieldError]) -> InvalidInput:
    return InvalidInput("The webhook is not a return this platform sends", errors)

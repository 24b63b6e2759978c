"""Keyset cursors: opaque to clients, a position in an id-ordered list to us.

A late page costs what the first page costs because we seek by id instead of skipping rows.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Generic, TypeVar

from homeward.kit.errors import FieldError, InvalidInput
from homeward.kit.text import INT32_MAX

T = TypeVar("T")


@dataclass(frozen=True)
class Cursor:
    """`key` is the id next to the page (None: an end of the list); `backwards` reads toward the start."""

    key: int | None = None
    backwards: bool = False

    def encode(self) -> str:
        # json.dumps({"k": key, "b": backwards}, separators=(",", ":")), written out: four links a page
        key = "null" if self.key is None else str(int(self.key))
        raw = f'{{"k":{key},"b":{"true" if self.backwards else "false"}}}'.encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        try:
            data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            key, backwards = data["k"], data["b"]
            if not (key is None or (isinstance(key, int) and not isinstance(key, bool))):
                raise ValueError("bad key")
            if key is not None and not 0 <= key <= INT32_MAX:
                raise ValueError("key out of range")  # keys are ids of 32-bit columns
            if not isinstance(backwards, bool):
                raise ValueError("bad direction")
        except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidInput(
                "Cursor is not valid", [FieldError("Cursor", "is not a cursor this API returned")]
            ) from exc
        return cls(key=key, backwards=backwards)


FIRST = Cursor()
LAST = Cursor(backwards=True)


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next: Cursor | None
    prev: Cursor | None


def paginate(rows: list[T], cursor: Cursor, limit: int, ids: list[int]) -> Page[T]:
    """Turn up to limit+1 fetched rows (in display order) into a page with neighbour cursors.

    `ids` are the rows' keys, same order. One extra row fetched tells whether more lie beyond.
    """
    more_beyond = len(rows) > limit
    if cursor.backwards:
        # Fetched toward the start, so the extra row (if any) sits at the front.
        rows, ids = (rows[-limit:], ids[-limit:]) if more_beyond else (rows, ids)
        has_prev, has_next = more_beyond, cursor.key is not None
    else:
        rows, ids = rows[:limit], ids[:limit]
        has_prev, has_next = cursor.key is not None, more_beyond
    if not rows:
        return Page(items=[], next=None, prev=None)
    return Page(
        items=rows,
        next=Cursor(key=ids[-1]) if has_next else None,
        prev=Cursor(key=ids[0], backwards=True) if has_prev else None,
    )

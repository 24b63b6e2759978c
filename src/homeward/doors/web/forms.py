"""Form values in, field errors out: how a page shows a domain error beside the field that caused it.

Services name fields as the JSON APIs do (`inventory[0].quantity`, `reference_id`); form inputs
carry the same names, so the message lands next to the input the user typed into.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.datastructures import FormData

from homeward.kit.errors import HomewardError


@dataclass
class FormErrors:
    """A refused form: the headline and every message keyed by field name ('' = whole form)."""

    message: str = ""
    fields: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, error: HomewardError) -> FormErrors:
        grouped: dict[str, list[str]] = {}
        for item in error.errors:
            grouped.setdefault(item.field or "", []).append(item.message)
        return cls(message=error.message, fields=grouped)

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def get(self, name: str) -> list[str]:
        return self.fields.get(name, [])

    def under(self, prefix: str) -> list[str]:
        """Messages for a field and everything inside it (`inventory[0]` → `inventory[0].quantity`)."""
        return [
            m
            for name, messages in self.fields.items()
            if name == prefix or name.startswith(prefix + ".") or name.startswith(prefix + "[")
            for m in messages
        ]

    def __bool__(self) -> bool:
        return bool(self.message or self.fields)


def text(form: FormData, name: str, limit: int = 1000) -> str:
    """A text field as typed (trimmed, cut to a sane length, without NUL); '' when absent."""
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    return value.replace("\x00", "").strip()[:limit]


def integer(form: FormData, name: str, errors: FormErrors, *, label: str | None = None) -> int | None:
    """A whole number field; a message on `name` (and None) when it is not one."""
    raw = text(form, name, 20)
    if raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        errors.add(name, f"{label or 'this'} must be a whole number")
        return None
    if not -(2**31) < value < 2**31:
        errors.add(name, f"{label or 'this'} is too large")
        return None
    return value

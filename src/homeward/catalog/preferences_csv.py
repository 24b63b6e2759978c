"""The products CSV: one product's return preferences per line, for bulk edits and the export.

A line names its product by `inventory_id` or, failing that, by `sku`. Every other column is
optional: a column left out of the file changes nothing; a cell left blank clears the
instructions or a step, and means 0 days of minimum shelf life. Errors name the line and the
column as a person sees them in a spreadsheet ("line 4: return_action").
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from homeward.catalog.domain import MAX_INSPECTION_STEPS
from homeward.kit.errors import FieldError, InvalidInput

KEY_COLUMNS = ("inventory_id", "sku")
STEP_COLUMNS = tuple(f"inspection_step_{n}" for n in range(1, MAX_INSPECTION_STEPS + 1))
PREFERENCE_COLUMNS = (
    "return_action",
    "rts_action",
    "backup_action",
    "instructions",
    *STEP_COLUMNS,
    "min_shelf_life_days",
)
COLUMNS = ("inventory_id", "sku", "name", *PREFERENCE_COLUMNS)  # `name` is read by people only
MAX_LINES = 10_000
MAX_CELL = 2_000  # longer than any field allows, so a too-long cell still gets its own message


@dataclass(frozen=True)
class CsvLine:
    """One data line as written: its line number in the file and its non-key cells by column."""

    number: int
    inventory_id: str
    sku: str
    cells: Mapping[str, str]


def parse(text: str) -> list[CsvLine]:
    """Lines of a products CSV; InvalidInput naming the line for a file that cannot be read as one."""
    rows = csv.reader(io.StringIO(text.replace("\x00", "")))
    try:
        header = [h.strip().lower() for h in next(rows)]
    except StopIteration:
        raise InvalidInput(
            "The CSV file is empty", [FieldError("line 1", "a header line is expected")]
        ) from None
    except csv.Error as exc:
        raise InvalidInput("The CSV file cannot be read", [FieldError("line 1", str(exc))]) from None
    _check_header(header)
    lines: list[CsvLine] = []
    errors: list[FieldError] = []
    try:
        for row in rows:
            number = rows.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(header):
                errors.append(
                    FieldError(f"line {number}", f"has {len(row)} cells; the header has {len(header)}")
                )
                continue
            cells = {name: value.strip()[:MAX_CELL] for name, value in zip(header, row, strict=False)}
            lines.append(
                CsvLine(
                    number=number,
                    inventory_id=cells.pop("inventory_id", ""),
                    sku=cells.pop("sku", ""),
                    cells={k: v for k, v in cells.items() if k in PREFERENCE_COLUMNS},
                )
            )
            if len(lines) > MAX_LINES:
                raise InvalidInput(
                    f"The CSV file has more than {MAX_LINES} products; split it",
                    [FieldError(f"line {number}", f"at most {MAX_LINES} product lines per file")],
                )
    except csv.Error as exc:
        errors.append(FieldError(f"line {rows.line_num}", f"cannot be read as CSV ({exc})"))
    if errors:
        raise InvalidInput("The CSV file cannot be read; nothing was changed", errors)
    if not lines:
        raise InvalidInput("The CSV file has no product lines", [FieldError("line 2", "no product lines")])
    return lines


def _check_header(header: list[str]) -> None:
    errors: list[FieldError] = []
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        errors.append(
            FieldError(
                "line 1",
                f"unknown column(s) {', '.join(repr(u) for u in unknown)}; known: {', '.join(COLUMNS)}",
            )
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        errors.append(FieldError("line 1", f"column(s) {', '.join(repeated)} appear more than once"))
    if not any(k in header for k in KEY_COLUMNS):
        errors.append(FieldError("line 1", "needs an inventory_id or a sku column to name each product"))
    if errors:
        raise InvalidInput("The CSV header is not valid; nothing was changed", errors)


def column_of(field: str) -> str:
    """The CSV column of a preference field as the domain names it (`inspection_steps[1]` → step 2)."""
    if field.startswith("inspection_steps[") and field.endswith("]"):
        index = field[len("inspection_steps[") : -1]
        if index.isdigit():
            return f"inspection_step_{int(index) + 1}"
    return {"inspection_steps": "inspection_step_1..3"}.get(field, field)


def write(rows: Iterable[Mapping[str, object]]) -> str:
    """A CSV of the given rows (dicts keyed by COLUMNS); what the export and the template are."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in COLUMNS})
    return out.getvalue()

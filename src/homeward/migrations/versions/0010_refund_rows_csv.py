"""refund_file_rows.cells: one CSV record instead of a JSON list (reading JSON cost more per row
than the rest of a big file's parsing)

Revision ID: 0010_refund_rows_csv
Revises: 0009_products
Create Date: 2026-12-03 14:00:00
"""

import csv
import json
import types
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_refund_rows_csv"
down_revision: str | None = "0009_products"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


# As homeward.refunds.csv_format.LineEncoder writes them (a migration keeps its own copy: the
# module may change after it): a row with a NUL stays JSON, marked by a leading \x01.
JSON_MARK = "\x01"


def _to_csv(cells: str) -> str:
    written: list[str] = []
    csv.writer(types.SimpleNamespace(write=written.append), lineterminator="\r\n").writerow(json.loads(cells))
    line = written[0][:-2]
    return JSON_MARK + cells if "\x00" in line or line.startswith(JSON_MARK) else line


def _to_json(cells: str) -> str:
    if cells.startswith(JSON_MARK):
        return cells[1:]
    return json.dumps(next(csv.reader([cells], strict=True), []), ensure_ascii=False)


def _convert(change: Callable[[str], str]) -> None:
    """Rewrite every staged row's cells, a batch at a time (the rows of done files are kept too:
    their acks are served from them)."""
    bind = op.get_bind()
    select = sa.text(
        "SELECT file_id, row_number, cells FROM refund_file_rows "
        "WHERE file_id > :f OR (file_id = :f AND row_number > :n) ORDER BY file_id, row_number LIMIT :l"
    )
    update = sa.text("UPDATE refund_file_rows SET cells = :c WHERE file_id = :f AND row_number = :n")
    after = (0, 0)
    while rows := bind.execute(select, {"f": after[0], "n": after[1], "l": BATCH}).all():
        bind.execute(update, [{"f": f, "n": n, "c": change(cells)} for f, n, cells in rows])
        after = (rows[-1][0], rows[-1][1])


def upgrade() -> None:
    _convert(_to_csv)


def downgrade() -> None:
    _convert(_to_json)

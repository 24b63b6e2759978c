"""The Alembic history builds exactly the schema the models describe, on both backends."""

from __future__ import annotations

import json
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, select, text

from homeward.db import Database, alembic_config, normalize_url
from homeward.demo.data import load
from homeward.refunds.acks import AckFolder
from homeward.refunds.csv_format import LineEncoder, decode_lines
from homeward.refunds.domain import COLUMNS
from homeward.refunds.models import Refund
from homeward.refunds.service import complete
from homeward.tables import metadata
from tests.refund_files import cent_row, read_ack


def test_migrations_match_the_models(database_url: str) -> None:
    engine = create_engine(normalize_url(database_url))
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    engine.dispose()
    assert differences == []


def test_history_is_one_line() -> None:
    scripts = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(scripts.get_heads()) == 1
    assert len(list(scripts.walk_revisions())) == len({r.revision for r in scripts.walk_revisions()})


def test_0010_keeps_staged_rows_cells_when_their_format_changes(database_url: str) -> None:
    """Files staged before 0010 kept each row's cells as JSON; after it, as one CSV record (a row
    with a NUL stays JSON, marked). Their acks are written from these cells, so not one may change."""
    rows = [
        ["O-1", "A", "I-1", "1", "1", "Unwanted gift", "", "", "1.00", "0", "0", "0"],
        ["O,2", 'say "hi"', "line\r\nbreak", " padded ", "", "", "", "", "", "", "", ""],
        ["nul\x00inside", "\x01first"],
        ["[not json", "é"],
    ]
    config = alembic_config(database_url)
    load(Database(database_url))  # a merchant for the file
    command.downgrade(config, "0009_products")
    engine = create_engine(normalize_url(database_url))
    try:
        with engine.begin() as connection:
            file_id = _insert_refund_file(connection, "done", 4)
            connection.execute(
                text(
                    "INSERT INTO refund_file_rows (file_id, row_number, group_key, cells) "
                    "VALUES (:f, :n, 'k', :c)"
                ),
                [{"f": file_id, "n": n, "c": json.dumps(cells)} for n, cells in enumerate(rows, start=2)],
            )
        stored = text("SELECT cells FROM refund_file_rows WHERE file_id = :f ORDER BY row_number")
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert decode_lines(list(connection.execute(stored, {"f": file_id}).scalars())) == rows
        command.downgrade(config, "0009_products")
        with engine.connect() as connection:
            assert [json.loads(c) for c in connection.execute(stored, {"f": file_id}).scalars()] == rows
    finally:
        command.upgrade(config, "head")
        engine.dispose()


def test_0011_keeps_a_half_processed_file_half_processed_both_ways(database_url: str, tmp_path: Path) -> None:
    """Before 0011 a file's groups were rows of refund_file_groups, settled ones marked done; after
    it, each row names its group's first row and the file keeps a watermark. A file half settled
    on either side of the migration goes on where it stopped: nothing settled is settled again."""
    alts = ["A", "B", "A", "C", "D"]  # rows 2..6: A is rows 2 and 4
    encode = LineEncoder()
    cells = [encode([cent_row(alt)[column] for column in COLUMNS]) for alt in alts]
    config = alembic_config(database_url)
    db = Database(database_url)
    load(db)
    command.downgrade(config, "0010_refund_rows_csv")
    engine = create_engine(normalize_url(database_url))
    groups = text("SELECT first_row, done FROM refund_file_groups WHERE file_id = :f ORDER BY first_row")
    try:
        with engine.begin() as connection:
            file_id = _insert_refund_file(connection, "processing", 5)
            connection.execute(
                text(
                    "INSERT INTO refund_file_rows (file_id, row_number, group_key, cells, ok, error) "
                    "VALUES (:f, :n, :k, :c, :ok, :e)"
                ),
                [
                    {
                        "f": file_id,
                        "n": n,
                        "k": f"key-{alt}",
                        "c": c,
                        "ok": False if alt == "B" else None,
                        "e": "B failed" if alt == "B" else None,
                    }
                    for n, (alt, c) in enumerate(zip(alts, cells, strict=True), start=2)
                ],
            )
            # A and B were settled (A's refund is not in the database: were it applied again, it would be).
            connection.execute(
                text(
                    "INSERT INTO refund_file_groups (file_id, group_key, first_row, done) "
                    "VALUES (:f, :k, :r, :d)"
                ),
                [
                    {"f": file_id, "k": f"key-{alt}", "r": first, "d": alt in "AB"}
                    for alt, first in (("A", 2), ("B", 3), ("C", 5), ("D", 6))
                ],
            )
        command.upgrade(config, "head")
        stored = text("SELECT group_first_row FROM refund_file_rows WHERE file_id = :f ORDER BY row_number")
        with engine.connect() as connection:
            assert list(connection.execute(stored, {"f": file_id}).scalars()) == [2, 3, 2, 5, 6]
            assert watermark(connection, file_id) == 4
        command.downgrade(config, "0010_refund_rows_csv")
        with engine.connect() as connection:
            assert [(r, bool(d)) for r, d in connection.execute(groups, {"f": file_id})] == [
                (2, True),
                (3, True),
                (5, False),
                (6, False),
            ]
            keys = text("SELECT group_key FROM refund_file_rows WHERE file_id = :f ORDER BY row_number")
            found = list(connection.execute(keys, {"f": file_id}).scalars())
            assert found[0] == found[2] and len(set(found)) == 4
        command.upgrade(config, "head")
        with engine.connect() as connection:
            assert watermark(connection, file_id) == 4

        outcome = complete(db, file_id, AckFolder(tmp_path))
        ack = read_ack(Path(outcome.ack_location).read_bytes())
        assert [(a["alt_refund_id"], a["Status"]) for a in ack] == [
            ("A", "TRUE"),
            ("B", "FALSE"),
            ("A", "TRUE"),
            ("C", "TRUE"),
            ("D", "TRUE"),
        ]
        assert ack[1]["ErrorMessage"] == "B failed"
        with db.read() as session:
            assert sorted(session.scalars(select(Refund.alt_refund_id))) == ["C", "D"]
    finally:
        command.upgrade(config, "head")
        engine.dispose()


def watermark(connection: Connection, file_id: int) -> int:
    return int(
        connection.execute(
            text("SELECT settled_through FROM refund_files WHERE id = :f"), {"f": file_id}
        ).scalar_one()
    )


def _insert_refund_file(connection: Connection, status: str, row_count: int) -> int:
    """A refund file of merchant 1, written as the migration under test finds it (plain SQL: the
    models describe the newest schema)."""
    return int(
        connection.execute(
            text(
                "INSERT INTO refund_files (merchant_id, name, source, origin, sha256, status, has_bom, "
                "row_count, rows_ok, rows_failed, received_at) VALUES (1, 'JET_REFUND_010126090000.csv', "
                "'cli', '', 'x', :status, false, :rows, 0, 0, CURRENT_TIMESTAMP) RETURNING id"
            ),
            {"status": status, "rows": row_count},
        ).scalar_one()
    )

"""The Alembic history builds exactly the schema the models describe, on both backends."""

from __future__ import annotations

import json

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from homeward.db import Database, alembic_config, normalize_url
from homeward.demo.data import load
from homeward.refunds.csv_format import decode_lines
from homeward.tables import metadata


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
            file_id = connection.execute(
                text(
                    "INSERT INTO refund_files (merchant_id, name, source, origin, sha256, status, has_bom, "
                    "row_count, rows_ok, rows_failed, received_at) VALUES (1, 'JET_REFUND_010126090000.csv', "
                    "'cli', '', 'x', 'done', false, 4, 0, 0, CURRENT_TIMESTAMP) RETURNING id"
                )
            ).scalar_one()
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

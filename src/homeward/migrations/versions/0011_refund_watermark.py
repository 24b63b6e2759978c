"""refund files: each staged row names its group by the group's first row number, and a file's
settled groups are one watermark (refund_files.settled_through) instead of a refund_file_groups
row per group (staging a 100,000-row file wrote 50,000 group rows and a 40-character key index,
and settling it updated every group row again)

Revision ID: 0011_refund_watermark
Revises: 0010_refund_rows_csv
Create Date: 2026-12-03 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_refund_watermark"
down_revision: str | None = "0010_refund_rows_csv"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("refund_files", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("settled_through", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
    with op.batch_alter_table("refund_file_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_first_row", sa.Integer(), nullable=True))
    # A group's first row, from the rows themselves (by the (file_id, group_key) index), so the
    # rows of files whose groups are gone (or never were) are grouped too.
    op.execute(
        "UPDATE refund_file_rows SET group_first_row = (SELECT min(other.row_number) "
        "FROM refund_file_rows AS other WHERE other.file_id = refund_file_rows.file_id "
        "AND other.group_key = refund_file_rows.group_key)"
    )
    # Groups were settled in the order of their first rows, a batch at a time, so the settled ones
    # are those before the first unsettled one; a file with none left unsettled is settled whole.
    op.execute(
        "UPDATE refund_files SET settled_through = COALESCE("
        "(SELECT min(g.first_row) - 1 FROM refund_file_groups AS g "
        "WHERE g.file_id = refund_files.id AND NOT g.done), "
        "(SELECT max(r.row_number) FROM refund_file_rows AS r WHERE r.file_id = refund_files.id), 0)"
    )
    with op.batch_alter_table("refund_file_rows", schema=None) as batch_op:
        batch_op.alter_column("group_first_row", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_index("ix_refund_file_rows_file_group")
        batch_op.drop_column("group_key")
        batch_op.create_index(
            "ix_refund_file_rows_file_group_first_row", ["file_id", "group_first_row"], unique=False
        )
    with op.batch_alter_table("refund_file_groups", schema=None) as batch_op:
        batch_op.drop_index("ix_refund_file_groups_file_first_row")
    op.drop_table("refund_file_groups")


def downgrade() -> None:
    op.create_table(
        "refund_file_groups",
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("first_row", sa.Integer(), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["refund_files.id"],
            name=op.f("fk_refund_file_groups_file_id_refund_files"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("file_id", "group_key", name=op.f("pk_refund_file_groups")),
    )
    with op.batch_alter_table("refund_file_groups", schema=None) as batch_op:
        batch_op.create_index("ix_refund_file_groups_file_first_row", ["file_id", "first_row"], unique=False)
    with op.batch_alter_table("refund_file_rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("group_key", sa.String(length=64), nullable=True))
    # Keys only need to tell a file's groups apart: the first row names its group.
    op.execute("UPDATE refund_file_rows SET group_key = 'g:' || CAST(group_first_row AS VARCHAR(20))")
    op.execute(
        "INSERT INTO refund_file_groups (file_id, group_key, first_row, done) "
        "SELECT r.file_id, min(r.group_key), r.group_first_row, r.group_first_row <= f.settled_through "
        "FROM refund_file_rows AS r JOIN refund_files AS f ON f.id = r.file_id "
        "GROUP BY r.file_id, r.group_first_row, f.settled_through"
    )
    with op.batch_alter_table("refund_file_rows", schema=None) as batch_op:
        batch_op.alter_column("group_key", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_index("ix_refund_file_rows_file_group_first_row")
        batch_op.drop_column("group_first_row")
        batch_op.create_index("ix_refund_file_rows_file_group", ["file_id", "group_key"], unique=False)
    with op.batch_alter_table("refund_files", schema=None) as batch_op:
        batch_op.drop_column("settled_through")

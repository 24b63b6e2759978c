"""products: when the merchant set the return preferences (None: never, the defaults apply)

Revision ID: 0009_products
Revises: 0007_events
Create Date: 2026-12-03 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import homeward.kit.orm

revision: str = "0009_products"
down_revision: str | None = "0007_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("preferences_set_at", homeward.kit.orm.UTCDateTime(timezone=True), nullable=True)
        )
    # Products whose preferences differ from the defaults were configured by someone: count them
    # as set. The rest stay unset (flagged until the merchant confirms them).
    op.execute(
        "UPDATE products SET preferences_set_at = CURRENT_TIMESTAMP "
        "WHERE return_action <> 'Restock' OR rts_action <> 'Restock' OR backup_action <> 'Dispose' "
        "OR return_instructions IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("preferences_set_at")

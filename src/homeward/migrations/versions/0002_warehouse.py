"""warehouse: tokens per fulfillment center, inspections, inventory ledger, fees

Revision ID: 0002_warehouse
Revises: 0001_foundation
Create Date: 2026-11-23 19:24:38.511679
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import homeward.kit.orm

revision: str = "0002_warehouse"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Money = homeward.kit.orm.Money
UTCDateTime = homeward.kit.orm.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "fee_schedules",
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("return_processing", Money(precision=14, scale=2), nullable=False),
        sa.Column("per_unit", Money(precision=14, scale=2), nullable=False),
        sa.Column("return_to_sender", Money(precision=14, scale=2), nullable=False),
        sa.Column("quarantine_per_unit_day", Money(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_fee_schedules_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("merchant_id", name=op.f("pk_fee_schedules")),
    )
    op.create_table(
        "inspections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1500), nullable=False),
        sa.Column("damaged", sa.Boolean(), nullable=False),
        sa.Column("lot_number", sa.String(length=100), nullable=True),
        sa.Column("expiration_date", sa.Date(), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("photo_key", sa.String(length=100), nullable=True),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("inspected_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["inventory_id"], ["products.id"], name=op.f("fk_inspections_inventory_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["return_orders.id"], name=op.f("fk_inspections_return_id_return_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspections")),
    )
    op.create_index(op.f("ix_inspections_return_id"), "inspections", ["return_id"])

    op.create_table(
        "inventory_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("fulfillment_center_id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("inspection_id", sa.Integer(), nullable=True),
        sa.Column("bucket", sa.String(length=20), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("actor", sa.String(length=300), nullable=False),
        sa.Column("actor_token_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["fulfillment_center_id"],
            ["fulfillment_centers.id"],
            name=op.f("fk_inventory_ledger_fulfillment_center_id_fulfillment_centers"),
        ),
        sa.ForeignKeyConstraint(
            ["inspection_id"], ["inspections.id"], name=op.f("fk_inventory_ledger_inspection_id_inspections")
        ),
        sa.ForeignKeyConstraint(
            ["inventory_id"], ["products.id"], name=op.f("fk_inventory_ledger_inventory_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_inventory_ledger_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"], ["return_orders.id"], name=op.f("fk_inventory_ledger_return_id_return_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_ledger")),
    )
    op.create_index(
        "ix_inventory_ledger_item_fc_bucket",
        "inventory_ledger",
        ["inventory_id", "fulfillment_center_id", "bucket"],
    )
    op.create_index("ix_inventory_ledger_return_item", "inventory_ledger", ["return_id", "inventory_id"])

    # Warehouse tokens belong to a fulfillment center instead of a merchant.
    with op.batch_alter_table("access_tokens") as batch_op:
        batch_op.add_column(sa.Column("fulfillment_center_id", sa.Integer(), nullable=True))
        batch_op.alter_column("merchant_id", existing_type=sa.INTEGER(), nullable=True)
        batch_op.create_index(batch_op.f("ix_access_tokens_fulfillment_center_id"), ["fulfillment_center_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_access_tokens_fulfillment_center_id_fulfillment_centers"),
            "fulfillment_centers",
            ["fulfillment_center_id"],
            ["id"],
        )
        batch_op.create_check_constraint(
            op.f("ck_access_tokens_one_owner"), "(merchant_id IS NULL) <> (fulfillment_center_id IS NULL)"
        )

    with op.batch_alter_table("merchants") as batch_op:
        batch_op.add_column(
            sa.Column("dispose_dangerous_goods", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("products") as batch_op:
        batch_op.add_column(
            sa.Column("inspection_steps", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )
    with op.batch_alter_table("return_orders") as batch_op:
        batch_op.create_index("ix_return_orders_tracking_number", ["tracking_number"])
        batch_op.create_index("ix_return_orders_reference_id", ["reference_id"])


def downgrade() -> None:
    with op.batch_alter_table("return_orders") as batch_op:
        batch_op.drop_index("ix_return_orders_reference_id")
        batch_op.drop_index("ix_return_orders_tracking_number")
    with op.batch_alter_table("products") as batch_op:
        batch_op.drop_column("inspection_steps")
    with op.batch_alter_table("merchants") as batch_op:
        batch_op.drop_column("dispose_dangerous_goods")
    op.execute("DELETE FROM access_tokens WHERE merchant_id IS NULL")
    with op.batch_alter_table("access_tokens") as batch_op:
        batch_op.drop_constraint(op.f("ck_access_tokens_one_owner"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_access_tokens_fulfillment_center_id_fulfillment_centers"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_access_tokens_fulfillment_center_id"))
        batch_op.alter_column("merchant_id", existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("fulfillment_center_id")
    op.drop_index("ix_inventory_ledger_return_item", table_name="inventory_ledger")
    op.drop_index("ix_inventory_ledger_item_fc_bucket", table_name="inventory_ledger")
    op.drop_table("inventory_ledger")
    op.drop_index(op.f("ix_inspections_return_id"), table_name="inspections")
    op.drop_table("inspections")
    op.drop_table("fee_schedules")

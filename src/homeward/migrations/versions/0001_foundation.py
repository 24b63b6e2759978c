"""foundation: tenants, catalog, orders, returns, tokens

Revision ID: 0001_foundation
Revises:
Create Date: 2026-11-23 18:52:25.847620
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import homeward.kit.orm

revision: str = "0001_foundation"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "fulfillment_centers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("address1", sa.String(length=200), nullable=False),
        sa.Column("address2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("zip_code", sa.String(length=20), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fulfillment_centers")),
    )
    op.create_table(
        "merchants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merchants")),
    )
    op.create_table(
        "access_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=500), nullable=False),
        sa.Column("created_at", homeward.kit.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", homeward.kit.orm.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_access_tokens_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_access_tokens_token_hash")),
    )
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_access_tokens_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "channels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("application_name", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_channels_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
    )
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_channels_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("weight_kg", sa.Numeric(precision=10, scale=3), nullable=False),
        sa.Column("is_bundle", sa.Boolean(), nullable=False),
        sa.Column("dangerous_goods", sa.Boolean(), nullable=False),
        sa.Column("ineligible_category", sa.String(length=40), nullable=True),
        sa.Column("lot_tracked", sa.Boolean(), nullable=False),
        sa.Column("min_shelf_life_days", sa.Integer(), nullable=False),
        sa.Column("return_action", sa.String(length=20), nullable=False),
        sa.Column("return_instructions", sa.String(length=1000), nullable=True),
        sa.Column("backup_action", sa.String(length=20), nullable=False),
        sa.Column("rts_action", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_products_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
    )
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_products_merchant_id"), ["merchant_id"], unique=False)

    op.create_table(
        "bundle_components",
        sa.Column("bundle_id", sa.Integer(), nullable=False),
        sa.Column("component_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_id"], ["products.id"], name=op.f("fk_bundle_components_bundle_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["component_id"], ["products.id"], name=op.f("fk_bundle_components_component_id_products")
        ),
        sa.PrimaryKeyConstraint("bundle_id", "component_id", name=op.f("pk_bundle_components")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=True),
        sa.Column("store_order_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["channel_id"], ["channels.id"], name=op.f("fk_orders_channel_id_channels")),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_orders_merchant_id_merchants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_merchant_store_order", ["merchant_id", "store_order_id"], unique=False
        )

    op.create_table(
        "shipments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("fulfillment_center_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=True),
        sa.Column("shipped_at", homeward.kit.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipient_name", sa.String(length=200), nullable=False),
        sa.Column("address1", sa.String(length=200), nullable=False),
        sa.Column("address2", sa.String(length=200), nullable=False),
        sa.Column("city", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=100), nullable=False),
        sa.Column("zip_code", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["fulfillment_center_id"],
            ["fulfillment_centers.id"],
            name=op.f("fk_shipments_fulfillment_center_id_fulfillment_centers"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_shipments_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], name=op.f("fk_shipments_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipments")),
    )
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipments_merchant_id"), ["merchant_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_shipments_tracking_number"), ["tracking_number"], unique=False)

    op.create_table(
        "return_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("merchant_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sa.Integer(), nullable=False),
        sa.Column("reference_id", sa.String(length=50), nullable=False),
        sa.Column("tracking_number", sa.String(length=500), nullable=True),
        sa.Column("fulfillment_center_id", sa.Integer(), nullable=False),
        sa.Column("original_shipment_id", sa.Integer(), nullable=True),
        sa.Column("store_order_id", sa.String(length=100), nullable=True),
        sa.Column("customer_name", sa.String(length=200), nullable=True),
        sa.Column("return_type", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("insert_date", homeward.kit.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", homeward.kit.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_date", homeward.kit.orm.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_return_orders_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["fulfillment_center_id"],
            ["fulfillment_centers.id"],
            name=op.f("fk_return_orders_fulfillment_center_id_fulfillment_centers"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["merchants.id"], name=op.f("fk_return_orders_merchant_id_merchants")
        ),
        sa.ForeignKeyConstraint(
            ["original_shipment_id"],
            ["shipments.id"],
            name=op.f("fk_return_orders_original_shipment_id_shipments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_orders")),
        sa.UniqueConstraint(
            "merchant_id", "reference_id", name=op.f("uq_return_orders_merchant_id_reference_id")
        ),
    )
    with op.batch_alter_table("return_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_return_orders_merchant_completed_date", ["merchant_id", "completed_date"], unique=False
        )
        batch_op.create_index(
            "ix_return_orders_merchant_fc_id", ["merchant_id", "fulfillment_center_id", "id"], unique=False
        )
        batch_op.create_index("ix_return_orders_merchant_id_id", ["merchant_id", "id"], unique=False)
        batch_op.create_index(
            "ix_return_orders_merchant_insert_date", ["merchant_id", "insert_date"], unique=False
        )
        batch_op.create_index(
            "ix_return_orders_merchant_shipment", ["merchant_id", "original_shipment_id"], unique=False
        )
        batch_op.create_index(
            "ix_return_orders_merchant_status_id", ["merchant_id", "status", "id"], unique=False
        )
        batch_op.create_index(
            "ix_return_orders_merchant_store_order", ["merchant_id", "store_order_id"], unique=False
        )
        batch_op.create_index(
            "ix_return_orders_merchant_tracking", ["merchant_id", "tracking_number"], unique=False
        )
        batch_op.create_index(
            "ix_return_orders_merchant_type_id", ["merchant_id", "return_type", "id"], unique=False
        )

    op.create_table(
        "shipment_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shipment_id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.String(length=100), nullable=True),
        sa.Column("lot_expiration", sa.Date(), nullable=True),
        sa.Column("bundle_inventory_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["bundle_inventory_id"],
            ["products.id"],
            name=op.f("fk_shipment_lines_bundle_inventory_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["inventory_id"], ["products.id"], name=op.f("fk_shipment_lines_inventory_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["shipment_id"], ["shipments.id"], name=op.f("fk_shipment_lines_shipment_id_shipments")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_lines")),
    )
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_shipment_lines_shipment_id"), ["shipment_id"], unique=False)

    op.create_table(
        "return_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("inventory_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("action_source", sa.String(length=20), nullable=False),
        sa.Column("instructions", sa.String(length=1000), nullable=True),
        sa.Column("lot_number", sa.String(length=100), nullable=True),
        sa.Column("lot_date", homeward.kit.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("bundle_parent_sku", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["inventory_id"], ["products.id"], name=op.f("fk_return_items_inventory_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["return_orders.id"],
            name=op.f("fk_return_items_return_id_return_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_items")),
    )
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.create_index("ix_return_items_inventory_return", ["inventory_id", "return_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_return_items_return_id"), ["return_id"], unique=False)

    op.create_table(
        "return_status_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", homeward.kit.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["return_orders.id"],
            name=op.f("fk_return_status_history_return_id_return_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_status_history")),
    )
    with op.batch_alter_table("return_status_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_status_history_return_id"), ["return_id"], unique=False)

    op.create_table(
        "return_transactions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=False),
        sa.Column("transaction_type", sa.String(length=40), nullable=False),
        sa.Column("amount", homeward.kit.orm.Money(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_id"],
            ["return_orders.id"],
            name=op.f("fk_return_transactions_return_id_return_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_return_transactions")),
    )
    with op.batch_alter_table("return_transactions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_return_transactions_return_id"), ["return_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("return_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_transactions_return_id"))

    op.drop_table("return_transactions")
    with op.batch_alter_table("return_status_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_status_history_return_id"))

    op.drop_table("return_status_history")
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_return_items_return_id"))
        batch_op.drop_index("ix_return_items_inventory_return")

    op.drop_table("return_items")
    with op.batch_alter_table("shipment_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipment_lines_shipment_id"))

    op.drop_table("shipment_lines")
    with op.batch_alter_table("return_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_return_orders_merchant_type_id")
        batch_op.drop_index("ix_return_orders_merchant_tracking")
        batch_op.drop_index("ix_return_orders_merchant_store_order")
        batch_op.drop_index("ix_return_orders_merchant_status_id")
        batch_op.drop_index("ix_return_orders_merchant_shipment")
        batch_op.drop_index("ix_return_orders_merchant_insert_date")
        batch_op.drop_index("ix_return_orders_merchant_id_id")
        batch_op.drop_index("ix_return_orders_merchant_fc_id")
        batch_op.drop_index("ix_return_orders_merchant_completed_date")

    op.drop_table("return_orders")
    with op.batch_alter_table("shipments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shipments_tracking_number"))
        batch_op.drop_index(batch_op.f("ix_shipments_order_id"))
        batch_op.drop_index(batch_op.f("ix_shipments_merchant_id"))

    op.drop_table("shipments")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_merchant_store_order")

    op.drop_table("orders")
    op.drop_table("bundle_components")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_products_merchant_id"))

    op.drop_table("products")
    with op.batch_alter_table("channels", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_channels_merchant_id"))

    op.drop_table("channels")
    with op.batch_alter_table("access_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_access_tokens_merchant_id"))

    op.drop_table("access_tokens")
    op.drop_table("merchants")
    op.drop_table("fulfillment_centers")

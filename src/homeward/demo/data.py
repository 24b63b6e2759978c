"""Demo data: two merchants, three fulfillment centers in two countries, one shipment per case.

Loading is idempotent (an import by fixed ids); demo tokens are re-issued on every run because
only their hashes are stored, so the secrets printed last are the ones that work. The demo FTP
password likewise (one per process, so repeated loads in one process skip the slow hash).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from homeward.auth.domain import Scope
from homeward.auth.models import AccessToken
from homeward.auth.service import create_token, create_warehouse_token
from homeward.catalog.models import FulfillmentCenter
from homeward.db import Database
from homeward.ftp_accounts.domain import hash_password, new_password
from homeward.ftp_accounts.service import put_hashed_account
from homeward.importing.service import import_lines
from homeward.labels.service import ensure_default_rate_card
from homeward.marketplace.models import MarketplaceOrder
from homeward.orders.models import Shipment, ShipmentLineSerial
from homeward.users import domain as web_users
from homeward.users.service import put_hashed_user_in

MERCHANT, OTHER_MERCHANT = 1, 2
CHANNEL, OTHER_CHANNEL = 11, 21
DEMO_TOKEN_PREFIX = "demo:"
CASES = {
    "regular": 7001,
    "hazmat": 7002,
    "bundle": 7003,
    "lot": 7004,
    "unshipped": 7005,
    "serialized": 7006,
    "other": 8001,
}
BUNDLE_ID = 1004
FTP_USER = "acme-jet"
MERCHANT_USER, OTHER_MERCHANT_USER = "merchant@acme.example", "merchant@globex.example"
# Marketplace (Jet) orders of the demo merchant; JET-ACME-1001 was fulfilled as Homeward order
# ACME-1001 (two tees at 19.99, a mug at 12.50), JET-ACME-1002 as ACME-1002.
MARKETPLACE_ORDERS: list[dict[str, Any]] = [
    {
        "merchant_order_id": "JET-ACME-1001",
        "store_order_id": "ACME-1001",
        "status": "Completed",
        "items": [
            {
                "order_item_id": "JET-ACME-1001-1",
                "inventory_id": 1001,
                "quantity": 2,
                "principal": "39.98",
                "tax": "3.30",
                "shipping_cost": "5.00",
                "shipping_tax": "0.42",
            },
            {
                "order_item_id": "JET-ACME-1001-2",
                "inventory_id": 1002,
                "quantity": 1,
                "principal": "12.50",
                "tax": "1.20",
                "shipping_cost": "2.50",
                "shipping_tax": "0.21",
            },
        ],
    },
    {
        "merchant_order_id": "JET-ACME-1002",
        "store_order_id": "ACME-1002",
        "status": "In Progress",
        "items": [
            {
                "order_item_id": "JET-ACME-1002-1",
                "inventory_id": 1001,
                "quantity": 1,
                "principal": "19.99",
                "tax": "1.65",
                "shipping_cost": "4.99",
                "shipping_tax": "0.41",
            }
        ],
    },
    {
        "merchant_order_id": "JET-ACME-1009",
        "status": "Acknowledged",
        "items": [
            {
                "order_item_id": "JET-ACME-1009-1",
                "inventory_id": 1002,
                "quantity": 1,
                "principal": "12.50",
                "tax": "1.20",
                "shipping_cost": "0.00",
                "shipping_tax": "0.00",
            }
        ],
    },
]

_US = {
    "name": "Jordan Lee",
    "address1": "410 W Adams St",
    "city": "Chicago",
    "state": "IL",
    "zip_code": "60606",
    "country": "US",
}


def _records() -> list[dict[str, Any]]:
    def product(pid: int, merchant: int, sku: str, name: str, kg: str, **extra: Any) -> dict[str, Any]:
        return {
            "type": "product",
            "id": pid,
            "merchant_id": merchant,
            "sku": sku,
            "name": name,
            "weight_kg": kg,
            **extra,
        }

    def order(
        oid: int,
        merchant: int,
        channel: int,
        store_id: str,
        sid: int,
        status: str,
        tracking: str | None,
        lines: list[dict[str, Any]],
        fc: int = 1,
    ) -> dict[str, Any]:
        shipped = "2026-10-01T15:00:00Z" if status == "Shipped" else None
        return {
            "type": "order",
            "id": oid,
            "merchant_id": merchant,
            "channel_id": channel,
            "store_order_id": store_id,
            "shipments": [
                {
                    "id": sid,
                    "status": status,
                    "fulfillment_center_id": fc,
                    "tracking_number": tracking,
                    "shipped_at": shipped,
                    "recipient": _US,
                    "lines": lines,
                }
            ],
        }

    return [
        {
            "type": "merchant",
            "id": MERCHANT,
            "name": "Acme Outfitters",
            "fees": {
                "return_processing": "3.00",
                "per_unit": "0.25",
                "return_to_sender": "5.00",
                "quarantine_per_unit_day": "0.10",
            },
            "dispose_dangerous_goods": True,
        },
        {"type": "merchant", "id": OTHER_MERCHANT, "name": "Globex Goods"},
        {
            "type": "fulfillment_center",
            "id": 1,
            "name": "Cicero (IL)",
            "country": "US",
            "address1": "5900 W Ogden Ave",
            "city": "Cicero",
            "state": "IL",
            "zip_code": "60804",
            "timezone": "America/Chicago",
        },
        {
            "type": "fulfillment_center",
            "id": 2,
            "name": "Moreno Valley (CA)",
            "country": "US",
            "address1": "14500 Heacock St",
            "city": "Moreno Valley",
            "state": "CA",
            "zip_code": "92553",
            "timezone": "America/Los_Angeles",
        },
        {
            "type": "fulfillment_center",
            "id": 3,
            "name": "Toronto (ON)",
            "country": "CA",
            "address1": "6200 Dixie Rd",
            "city": "Mississauga",
            "state": "ON",
            "zip_code": "L5T 2E1",
            "timezone": "America/Toronto",
        },
        {"type": "channel", "id": CHANNEL, "merchant_id": MERCHANT, "name": "Acme Shopify Store"},
        {"type": "channel", "id": OTHER_CHANNEL, "merchant_id": OTHER_MERCHANT, "name": "Globex API"},
        product(1001, MERCHANT, "TEE-CLASSIC-M", "Classic Tee (M)", "0.200"),
        product(
            1002,
            MERCHANT,
            "MUG-CERAMIC-12",
            "Ceramic Mug 12oz",
            "0.450",
            return_preference={
                "action": "Quarantine",
                "instructions": "Check for chips and cracks",
                "backup_action": "Dispose",
            },
            inspection_steps=["no chips or cracks"],
        ),
        product(
            1003,
            MERCHANT,
            "CLEANER-AEROSOL",
            "Aerosol Screen Cleaner",
            "0.300",
            dangerous_goods=True,
            ineligible_category="hazardous_materials",
        ),
        product(
            1004,
            MERCHANT,
            "GIFTSET-TEE-MUG",
            "Tee & Mug Gift Set",
            "0.650",
            components=[{"id": 1001, "quantity": 1}, {"id": 1002, "quantity": 1}],
        ),
        product(
            1005,
            MERCHANT,
            "SERUM-VITC-30",
            "Vitamin C Face Serum 30ml",
            "0.080",
            lot_tracked=True,
            min_shelf_life_days=90,
            return_preference={"action": "Quarantine", "backup_action": "Dispose", "rts_action": "Restock"},
            inspection_steps=["seal intact", "expiry checked"],
        ),
        product(
            1006, MERCHANT, "BAR-PROTEIN-CHOC", "Chocolate Protein Bar", "0.060", ineligible_category="food"
        ),
        product(1007, MERCHANT, "EARBUDS-WL", "Wireless Earbuds", "0.100"),
        product(2001, OTHER_MERCHANT, "WIDGET-STD", "Standard Widget", "1.200"),
        order(
            5001,
            MERCHANT,
            CHANNEL,
            "ACME-1001",
            CASES["regular"],
            "Shipped",
            "1Z999AA10123456784",
            [
                {"inventory_id": 1001, "quantity": 2, "unit_price": "19.99"},
                {"inventory_id": 1002, "quantity": 1, "unit_price": "12.50"},
            ],
        ),
        order(
            5002,
            MERCHANT,
            CHANNEL,
            "ACME-1002",
            CASES["hazmat"],
            "Shipped",
            "1Z999AA10123456791",
            [{"inventory_id": 1003, "quantity": 1}, {"inventory_id": 1001, "quantity": 1}],
        ),
        order(
            5003,
            MERCHANT,
            CHANNEL,
            "ACME-1003",
            CASES["bundle"],
            "Shipped",
            "1Z999AA10123456805",
            [{"inventory_id": BUNDLE_ID, "quantity": 1}],
        ),
        order(
            5004,
            MERCHANT,
            CHANNEL,
            "ACME-1004",
            CASES["lot"],
            "Shipped",
            "1Z999AA10123456812",
            [
                {
                    "inventory_id": 1005,
                    "quantity": 3,
                    "lot_number": "LOT-2026-09",
                    "lot_expiration": "2027-06-30",
                }
            ],
        ),
        order(
            5005,
            MERCHANT,
            CHANNEL,
            "ACME-1005",
            CASES["unshipped"],
            "Processing",
            None,
            [{"inventory_id": 1001, "quantity": 1}],
        ),
        order(
            5006,
            MERCHANT,
            CHANNEL,
            "ACME-1006",
            CASES["serialized"],
            "Shipped",
            "1Z999AA10123456836",
            [
                {
                    "inventory_id": 1007,
                    "quantity": 2,
                    "unit_price": "59.00",
                    "serial_numbers": ["830001", "830002"],
                }
            ],
        ),
        order(
            6001,
            OTHER_MERCHANT,
            OTHER_CHANNEL,
            "GLOBEX-77",
            CASES["other"],
            "Shipped",
            "1Z999AA10123456829",
            [{"inventory_id": 2001, "quantity": 2}],
            fc=2,
        ),
        *({"type": "marketplace_order", "merchant_id": MERCHANT, **order} for order in MARKETPLACE_ORDERS),
    ]


def demo_jsonl() -> str:
    return "\n".join(json.dumps(record) for record in _records()) + "\n"


def load(db: Database) -> dict[str, Any]:
    """Load (or refresh) the demo and return what a client needs to try it."""
    import_lines(db, demo_jsonl())
    ensure_default_rate_card(db)  # return labels are priced from it
    with db.write() as session:
        session.execute(delete(AccessToken).where(AccessToken.name.startswith(DEMO_TOKEN_PREFIX)))
        everything = Scope.merchant_defaults()
        token = create_token(session, MERCHANT, everything, f"{DEMO_TOKEN_PREFIX}all scopes")
        readonly = create_token(
            session, MERCHANT, frozenset({Scope.RETURNS_READ}), f"{DEMO_TOKEN_PREFIX}read only"
        )
        other = create_token(session, OTHER_MERCHANT, everything, f"{DEMO_TOKEN_PREFIX}other merchant")
        fcs = session.scalars(select(FulfillmentCenter).order_by(FulfillmentCenter.id)).all()
        warehouse = {
            str(fc.id): create_warehouse_token(session, fc.id, f"{DEMO_TOKEN_PREFIX}warehouse {fc.id}").secret
            for fc in fcs
        }
        shipments = {
            case: _shipment(session, session.get(Shipment, sid))
            for case, sid in CASES.items()
            if case != "other"
        }
        shipments["bundle"]["bundle_inventory_id"] = BUNDLE_ID
        ftp_password, ftp_hash = _demo_ftp_secret()
        put_hashed_account(session, MERCHANT, FTP_USER, ftp_hash)
        web_password, web_hash = _demo_web_secret()
        for email, merchant_id in ((MERCHANT_USER, MERCHANT), (OTHER_MERCHANT_USER, OTHER_MERCHANT)):
            put_hashed_user_in(session, email, web_hash, merchant_id=merchant_id, replace=True)
        for fc in fcs:
            put_hashed_user_in(
                session, _warehouse_user(fc.id), web_hash, fulfillment_center_id=fc.id, replace=True
            )
        return {
            "token": token.secret,
            "readonly_token": readonly.secret,
            "other_token": other.secret,
            "warehouse_tokens": warehouse,
            "merchant_id": MERCHANT,
            "channel_id": CHANNEL,
            "other_channel_id": OTHER_CHANNEL,
            "fulfillment_centers": [{"id": fc.id, "name": fc.name, "country": fc.country} for fc in fcs],
            "shipments": shipments,
            "other_shipment": _shipment(session, session.get(Shipment, CASES["other"])),
            "web_users": {
                "merchant": {"email": MERCHANT_USER, "password": web_password},
                "other_merchant": {"email": OTHER_MERCHANT_USER, "password": web_password},
                "warehouse": {
                    str(fc.id): {"email": _warehouse_user(fc.id), "password": web_password} for fc in fcs
                },
            },
            "marketplace": {
                "ftp_user": FTP_USER,
                "ftp_password": ftp_password,
                "orders": [
                    _marketplace_order(session, order["merchant_order_id"]) for order in MARKETPLACE_ORDERS
                ],
            },
        }


@cache
def _demo_ftp_secret() -> tuple[str, str]:
    """A fresh password per process; only its hash is stored."""
    password = new_password()
    return password, hash_password(password)


@cache
def _demo_web_secret() -> tuple[str, str]:
    """One sign-in password for every demo web user, fresh per process; only its hash is stored."""
    password = web_users.new_password()
    return password, web_users.hash_password(password)


def _warehouse_user(fulfillment_center_id: int) -> str:
    return f"warehouse{fulfillment_center_id}@homeward.example"


def _marketplace_order(session: Any, merchant_order_id: str) -> dict[str, Any]:
    order = session.scalars(
        select(MarketplaceOrder).where(
            MarketplaceOrder.merchant_id == MERCHANT, MarketplaceOrder.merchant_order_id == merchant_order_id
        )
    ).one()
    return {
        "merchant_order_id": order.merchant_order_id,
        "store_order_id": order.store_order_id,
        "status": order.status,
        "items": [
            {
                "order_item_id": item.order_item_id,
                "inventory_id": item.inventory_id,
                "quantity": item.quantity,
                "principal": str(item.principal),
                "tax": str(item.tax),
                "shipping_cost": str(item.shipping_cost),
                "shipping_tax": str(item.shipping_tax),
            }
            for item in order.items
        ],
    }


def _shipment(session: Session, row: Shipment | None) -> dict[str, Any]:
    assert row is not None, "demo shipments are imported just above"
    serials = session.execute(
        select(ShipmentLineSerial.shipment_line_id, ShipmentLineSerial.serial_number)
        .where(ShipmentLineSerial.shipment_line_id.in_([line.id for line in row.lines]))
        .order_by(ShipmentLineSerial.serial_number)
    ).all()
    return {
        "id": row.id,
        "order_id": row.order_id,
        "store_order_id": row.order.store_order_id,
        "tracking_number": row.tracking_number,
        "fulfillment_center_id": row.fulfillment_center_id,
        "status": row.status,
        "inventory": [
            {
                "id": line.inventory_id,
                "quantity": line.quantity,
                "order_item_id": line.id,
                "lot_number": line.lot_number,
                "unit_price": str(line.unit_price) if line.unit_price is not None else None,
                "serial_numbers": [serial for line_id, serial in serials if line_id == line.id],
            }
            for line in row.lines
        ],
    }

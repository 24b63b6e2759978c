"""The ledger's use cases: append entries (inside receiving's transactions), release quarantined
units, and read balances."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from homeward.auth.domain import Caller, Principal, Scope, WarehousePrincipal
from homeward.billing.domain import quarantine_unit_days
from homeward.billing.service import charge_storage
from homeward.catalog.domain import ReturnAction
from homeward.catalog.models import FulfillmentCenter, Product
from homeward.db import Database
from homeward.inventory import domain, repository
from homeward.inventory.domain import Balance, Bucket, EntryKind
from homeward.inventory.models import LedgerEntry
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, InvalidInput, NotFound
from homeward.receiving.repository import get_in_center


@dataclass(frozen=True)
class BalanceRecord:
    inventory_id: int
    fulfillment_center_id: int
    balance: Balance


@dataclass(frozen=True)
class ReleaseRecord:
    return_id: int
    inventory_id: int
    quantity: int
    action: ReturnAction
    return_balance: Balance  # this return's units of the item, after the release
    storage_fee: Decimal | None


@dataclass(frozen=True)
class QuarantinedRecord:
    """Units of one return's item still in quarantine in a fulfillment center."""

    return_id: int
    reference_id: str
    merchant_name: str
    inventory_id: int
    sku: str
    name: str
    quantity: int
    since: datetime  # when the first of them went into quarantine


def append_many(session: Session, entries: list[dict[str, Any]]) -> None:
    """Append ledger_entry values in one statement (batch use cases)."""
    if entries:
        session.connection().execute(insert(LedgerEntry), entries)


def ledger_entry(
    *,
    merchant_id: int,
    fulfillment_center_id: int,
    return_id: int,
    inventory_id: int,
    bucket: Bucket,
    quantity: int,
    kind: EntryKind,
    reason: str | None,
    staff: WarehousePrincipal,
    when: datetime,
    inspection_id: int | None = None,
) -> dict[str, Any]:
    """The columns of one ledger entry: units of a return's item into (or out of) a bucket."""
    return {
        "merchant_id": merchant_id,
        "inventory_id": inventory_id,
        "fulfillment_center_id": fulfillment_center_id,
        "return_id": return_id,
        "inspection_id": inspection_id,
        "bucket": bucket.value,
        "quantity": quantity,
        "kind": kind.value,
        "reason": reason,
        "actor": staff.actor,
        "actor_token_id": staff.token_id,
        "occurred_at": when,
    }


def release(
    db: Database,
    staff: WarehousePrincipal,
    return_id: int,
    inventory_id: int,
    quantity: int,
    action: ReturnAction,
    reason: str | None = None,
) -> ReleaseRecord:
    """Move units of one return's item out of quarantine; storage is charged for the days they sat."""
    staff.require(Scope.WAREHOUSE)
    with db.write() as session:
        # Locking the return serializes releases (and inspections) of its units.
        row = get_in_center(session, staff.fulfillment_center_id, return_id, for_update=True)
        if row is None:
            raise NotFound(
                f"Return {return_id} was not found in fulfillment center {staff.fulfillment_center_id}"
            )
        quarantined = repository.balance_of_return(session, row.id, inventory_id).quarantine
        moves = domain.release_moves(quarantined, quantity, action, return_id=row.id)
        deposits, released_before = repository.quarantine_history(session, row.id, inventory_id)
        now = utcnow()
        text = f"Released from quarantine to {action}" + (f". Inspector: {reason}" if reason else "")
        append_many(
            session,
            [
                ledger_entry(
                    merchant_id=row.merchant_id,
                    fulfillment_center_id=row.fulfillment_center_id,
                    return_id=row.id,
                    inventory_id=inventory_id,
                    bucket=move.bucket,
                    quantity=move.quantity,
                    kind=EntryKind.RELEASE,
                    reason=text,
                    staff=staff,
                    when=now,
                )
                for move in moves
            ],
        )
        fee = charge_storage(session, row, quarantine_unit_days(deposits, released_before, quantity, now))
        row.updated_at = now
        session.flush()
        return ReleaseRecord(
            return_id=row.id,
            inventory_id=inventory_id,
            quantity=quantity,
            action=action,
            return_balance=repository.balance_of_return(session, row.id, inventory_id),
            storage_fee=fee,
        )


def balance(
    db: Database, caller: Caller, inventory_id: int, fulfillment_center_id: int | None
) -> BalanceRecord:
    """Warehouse staff read any item in their own center; a merchant reads its own items anywhere."""
    with db.read() as session:
        product = session.get(Product, inventory_id)
        if isinstance(caller, WarehousePrincipal):
            caller.require(Scope.WAREHOUSE)
            center = fulfillment_center_id or caller.fulfillment_center_id
            caller.require_center(center)
        else:
            center = _merchant_center(session, caller, fulfillment_center_id)
            if product is not None and product.merchant_id != caller.merchant_id:
                product = None
        if product is None:
            raise NotFound(
                f"Inventory {inventory_id} was not found",
                [FieldError("inventory_id", f"inventory {inventory_id} does not exist")],
            )
        return BalanceRecord(inventory_id, center, repository.balance(session, inventory_id, center))


def _merchant_center(session: Session, caller: Principal, fulfillment_center_id: int | None) -> int:
    caller.require(Scope.RETURNS_READ)
    if fulfillment_center_id is None:
        raise InvalidInput(
            "fulfillment_center_id is required",
            [FieldError("fulfillment_center_id", "is required with a merchant token")],
        )
    if session.get(FulfillmentCenter, fulfillment_center_id) is None:
        raise NotFound(
            f"Fulfillment center {fulfillment_center_id} was not found",
            [FieldError("fulfillment_center_id", f"{fulfillment_center_id} does not exist")],
        )
    return fulfillment_center_id


def quarantined(db: Database, staff: WarehousePrincipal, limit: int = 500) -> list[QuarantinedRecord]:
    """What sits in quarantine in the staff's center, per return and item, the oldest first."""
    staff.require(Scope.WAREHOUSE)
    with db.read() as session:
        return [
            QuarantinedRecord(
                return_id=return_id,
                reference_id=reference_id,
                merchant_name=merchant_name,
                inventory_id=inventory_id,
                sku=sku,
                name=name,
                quantity=int(quantity),
                since=since,
            )
            for return_id, reference_id, merchant_name, inventory_id, sku, name, quantity, since in (
                repository.quarantined_in_center(session, staff.fulfillment_center_id, limit)
            )
        ]

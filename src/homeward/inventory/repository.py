"""Ledger sums: per item and fulfillment center, or per return and item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from homeward.catalog.models import Product
from homeward.inventory.domain import Balance, Bucket
from homeward.inventory.models import LedgerEntry
from homeward.returns.models import ReturnOrder
from homeward.tenants.models import Merchant


def balance(session: Session, inventory_id: int, fulfillment_center_id: int) -> Balance:
    return _sums(
        session,
        LedgerEntry.inventory_id == inventory_id,
        LedgerEntry.fulfillment_center_id == fulfillment_center_id,
    )


def balance_of_return(session: Session, return_id: int, inventory_id: int) -> Balance:
    return _sums(session, LedgerEntry.return_id == return_id, LedgerEntry.inventory_id == inventory_id)


def quarantine_history(
    session: Session, return_id: int, inventory_id: int
) -> tuple[list[tuple[datetime, int]], int]:
    """(units put into quarantine, oldest first), and how many of them have left since."""
    rows = session.execute(
        select(LedgerEntry.occurred_at, LedgerEntry.quantity)
        .where(
            LedgerEntry.return_id == return_id,
            LedgerEntry.inventory_id == inventory_id,
            LedgerEntry.bucket == Bucket.QUARANTINE.value,
        )
        .order_by(LedgerEntry.id)
    ).all()
    deposits = [(when, quantity) for when, quantity in rows if quantity > 0]
    released = -sum(quantity for _, quantity in rows if quantity < 0)
    return deposits, released


def _sums(session: Session, *conditions: object) -> Balance:
    query = (
        select(LedgerEntry.bucket, func.sum(LedgerEntry.quantity))
        .where(*conditions)  # type: ignore[arg-type]
        .group_by(LedgerEntry.bucket)
    )
    return Balance.of({Bucket(bucket): int(total) for bucket, total in session.execute(query)})


def quarantined_in_center(session: Session, fulfillment_center_id: int, limit: int) -> list[tuple[Any, ...]]:
    """Per return and item with units still in quarantine: return id, RMA, merchant name,
    inventory id, SKU, name, units, and when the first of them went in; the oldest first."""
    units = func.sum(LedgerEntry.quantity)
    since = func.min(LedgerEntry.occurred_at)
    query = (
        select(
            LedgerEntry.return_id,
            ReturnOrder.reference_id,
            Merchant.name,
            LedgerEntry.inventory_id,
            Product.sku,
            Product.name,
            units,
            since,
        )
        .join(ReturnOrder, ReturnOrder.id == LedgerEntry.return_id)
        .join(Merchant, Merchant.id == ReturnOrder.merchant_id)
        .join(Product, Product.id == LedgerEntry.inventory_id)
        .where(
            LedgerEntry.fulfillment_center_id == fulfillment_center_id,
            LedgerEntry.bucket == Bucket.QUARANTINE.value,
        )
        .group_by(
            LedgerEntry.return_id,
            ReturnOrder.reference_id,
            Merchant.name,
            LedgerEntry.inventory_id,
            Product.sku,
            Product.name,
        )
        .having(units > 0)
        .order_by(since, LedgerEntry.return_id, LedgerEntry.inventory_id)
        .limit(limit)
    )
    return [tuple(row) for row in session.execute(query)]

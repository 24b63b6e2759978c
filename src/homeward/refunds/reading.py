"""What merchants read about their refunds: files, acks, marketplace orders, refunds on a return."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.kit.errors import NotFound
from homeward.marketplace.domain import ZERO, Amounts
from homeward.marketplace.models import MarketplaceOrder, MarketplaceOrderItem
from homeward.refunds import repository, service
from homeward.refunds.models import Refund, RefundFile
from homeward.refunds.records import (
    FileRecord,
    FileStatus,
    MarketplaceOrderRecord,
    OrderItemRecord,
    RefundLineRecord,
    RefundRecord,
    ReturnRefundsRecord,
    Source,
    file_record,
)
from homeward.returns.models import ReturnOrder


def list_files(
    db: Database,
    principal: Principal,
    *,
    name: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[FileRecord]:
    principal.require(Scope.REFUNDS_WRITE)
    with db.read() as session:
        query = select(RefundFile).where(RefundFile.merchant_id == principal.merchant_id)
        if name is not None:
            query = query.where(RefundFile.name == name)
        if before_id is not None:
            query = query.where(RefundFile.id < before_id)
        rows = session.scalars(query.order_by(RefundFile.id.desc()).limit(limit))
        return [file_record(row) for row in rows]


def get_file(db: Database, principal: Principal, file_id: int) -> FileRecord:
    principal.require(Scope.REFUNDS_WRITE)
    with db.read() as session:
        row = session.get(RefundFile, file_id)
        if row is None or row.merchant_id != principal.merchant_id:
            raise NotFound(f"Refund file {file_id} was not found")
        return file_record(row)


def file_ack(db: Database, principal: Principal, file_id: int) -> tuple[FileRecord, Iterator[bytes]]:
    """A file's ack; a file left unfinished (a crash cut its processing short) is finished first.

    Only a file sent over this API is marked done here: one that came by FTP is done when its
    ack has reached the FTP site, which its own door still sees to.
    """
    record = get_file(db, principal, file_id)
    if record.status is not FileStatus.DONE:
        record = service.finish(db, file_id)
        if record.source is Source.API:
            record = service.mark_done(db, file_id)
    return record, service.ack_chunks(db, file_id)


def marketplace_order(db: Database, principal: Principal, merchant_order_id: str) -> MarketplaceOrderRecord:
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        order = session.scalars(
            select(MarketplaceOrder).where(
                MarketplaceOrder.merchant_id == principal.merchant_id,
                MarketplaceOrder.merchant_order_id == merchant_order_id,
            )
        ).first()
        if order is None:
            raise NotFound(f"Marketplace order '{merchant_order_id}' was not found")
        refunds = repository.refunds_where(
            session, Refund.merchant_id == principal.merchant_id, Refund.marketplace_order_id == order.id
        )
        return MarketplaceOrderRecord(
            merchant_order_id=order.merchant_order_id,
            store_order_id=order.store_order_id,
            status=order.status,
            items=tuple(_item(item) for item in order.items),
            refunds=tuple(_refund(r, name, items) for r, name, items in refunds),
        )


def return_refunds(db: Database, principal: Principal, return_id: int) -> ReturnRefundsRecord:
    """The marketplace refunds paid for one Homeward return (only the lines linked to it)."""
    principal.require(Scope.RETURNS_READ)
    with db.read() as session:
        row = session.get(ReturnOrder, return_id)
        if row is None or row.merchant_id != principal.merchant_id:
            raise NotFound(f"Return {return_id} was not found")
        found = repository.refunds_of_return(session, principal.merchant_id, return_id)
        refunds = tuple(_refund(r, name, items, return_id=return_id) for r, name, items in found)
        total = Amounts(ZERO, ZERO, ZERO, ZERO)
        for refund in refunds:
            for line in refund.lines:
                total = total + line.amounts
        return ReturnRefundsRecord(row.id, row.reference_id, row.store_order_id, refunds, total)


def refunds_in(session: Session, merchant_id: int, refund_ids: list[int]) -> dict[int, RefundRecord]:
    """Some of the merchant's refunds by id, inside the caller's transaction (refund.applied)."""
    found = repository.refunds_where(session, Refund.merchant_id == merchant_id, Refund.id.in_(refund_ids))
    return {r.id: _refund(r, name, items) for r, name, items in found}


def _item(item: MarketplaceOrderItem) -> OrderItemRecord:
    return OrderItemRecord(
        order_item_id=item.order_item_id,
        inventory_id=item.inventory_id,
        quantity=item.quantity,
        charged=item.charged,
        refunded_quantity=item.refunded_quantity,
        refunded=item.refunded,
    )


def _refund(
    refund: Refund, file_name: str, items: dict[int, MarketplaceOrderItem], *, return_id: int | None = None
) -> RefundRecord:
    lines = [line for line in refund.lines if return_id is None or line.return_id == return_id]
    return RefundRecord(
        id=refund.id,
        merchant_order_id=refund.merchant_order_id,
        alt_refund_id=refund.alt_refund_id,
        file_id=refund.file_id,
        file_name=file_name,
        created_at=refund.created_at,
        lines=tuple(
            RefundLineRecord(
                order_item_id=items[line.item_id].order_item_id,
                inventory_id=items[line.item_id].inventory_id,
                return_id=line.return_id,
                quantity_returned=line.quantity_returned,
                quantity_refunded=line.quantity_refunded,
                reason=line.reason,
                feedback=line.feedback,
                notes=line.notes,
                amounts=Amounts(line.principal, line.tax, line.shipping_cost, line.shipping_tax),
            )
            for line in lines
        ),
    )

"""OMS use cases: the same returns as every other door, plus what the OMS said about them.

Creating goes through returns.service (same rules, same locks, same rows) and stores the OMS's
own fields next to the return in the same transaction; reading folds the return's current state
into the OMS's shape.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from homeward.auth.domain import Principal, Scope
from homeward.db import Database
from homeward.kit.clock import utcnow
from homeward.kit.errors import RuleViolation
from homeward.oms import domain
from homeward.oms.details import OmsItemDetails, OmsReturnDetails
from homeward.oms.models import OmsGiftCard, OmsItemUnit, OmsReturn, OmsReturnItem
from homeward.oms.records import OmsGiftCardRecord, OmsItemRecord, OmsReturnRecord, OmsUnitRecord
from homeward.orders.models import Shipment
from homeward.returns import service as returns
from homeward.returns.domain import ReturnStatus
from homeward.returns.models import ReturnItem, ReturnOrder
from homeward.returns.order_items import OrderItemFacts, OrderItemLine, OrderItemReturn
from homeward.returns.records import ReturnItemRecord
from homeward.returns.refunds import RefundLine, gift_card_value


def create_return(
    db: Database, principal: Principal, request: OrderItemReturn, details: OmsReturnDetails
) -> OmsReturnRecord:
    principal.require(Scope.RETURNS_WRITE)
    now = utcnow()
    lifecycle = domain.check_new_return(
        domain.NewReturnTimes(details.status, details.created_time, details.cleared_time), now
    )
    with db.write() as session:
        try:
            row = returns.create_order_item_return_in(session, principal, request)
        except RuleViolation as exc:
            raise RuleViolation(exc.message, [*lifecycle, *exc.errors]) from exc
        if lifecycle:
            raise RuleViolation("The return request breaks one or more rules", lifecycle)
        facts = returns.order_item_facts(session, principal, {i.order_item_id for i in request.items})
        _store(session, row, request, details, facts)
        session.flush()
        return _record(session, row)


def get_return(db: Database, principal: Principal, return_id: int) -> OmsReturnRecord:
    with db.read() as session:
        return _record(session, returns.get_return_in(session, principal, return_id))


def _store(
    session: Session,
    row: ReturnOrder,
    request: OrderItemReturn,
    details: OmsReturnDetails,
    facts: dict[int, OrderItemFacts],
) -> None:
    refund = request.refund
    subtotals = [i.money.subtotal for i in request.items if i.money and i.money.subtotal is not None]
    fulfiller = [
        i.money.fulfiller_subtotal
        for i in request.items
        if i.money and i.money.fulfiller_subtotal is not None
    ]
    given_total = refund.return_total if refund else None
    given_fulfiller = refund.fulfiller_total if refund else None
    session.add(
        OmsReturn(
            return_id=row.id,
            oms_return_id=details.oms_return_id,
            refund_type=refund.refund_type.value if refund and refund.refund_type else None,
            # Totals the OMS left out are the items' sums, when the items say anything.
            return_total=given_total if given_total is not None else _sum(subtotals),
            return_reduction_total=refund.reduction_total if refund else None,
            fulfiller_total=given_fulfiller if given_fulfiller is not None else _sum(fulfiller),
            created_time=details.created_time,
            confirm_time=domain.confirm_time(
                details.confirm_time, (d.status for d in details.items), row.insert_date
            ),
        )
    )
    for item_row, item, extra in zip(row.items, request.items, details.items, strict=True):
        _store_item(session, item_row, item, extra, facts.get(item.order_item_id))


def _store_item(
    session: Session,
    item_row: ReturnItem,
    item: OrderItemLine,
    extra: OmsItemDetails,
    fact: OrderItemFacts | None,
) -> None:
    money = item.money
    session.add(
        OmsReturnItem(
            return_item_id=item_row.id,
            return_id=item_row.return_id,
            quantity=item.quantity,
            status=extra.status.value,
            reason=item.reason,
            return_subtotal=money.subtotal if money else None,
            fulfiller_subtotal=money.fulfiller_subtotal if money else None,
            part_number=extra.part_number,
            upc=extra.upc,
            sku=extra.sku,
            part_name=extra.part_name,
            options=list(extra.options),
        )
    )
    card = money.gift_card if money else None
    if card is not None:
        note = extra.gift_card_note
        line = RefundLine("", money, item.quantity, item.expects_units, fact.unit_price if fact else None)
        session.add(
            OmsGiftCard(
                return_item_id=item_row.id,
                gift_card_type=card.card_type.value,
                card_issuer=card.issuer.value if card.issuer else None,
                to_name=note.to_name if note else None,
                from_name=note.from_name if note else None,
                email=note.email if note else None,
                message=note.message if note else None,
                delivery_date=note.delivery_date if note else None,
                print_form=note.print_form if note else False,
                value=gift_card_value(card, line),
            )
        )
    numeric = extra.serial_is_number
    session.add_all(
        OmsItemUnit(
            return_item_id=item_row.id,
            order_item_unit_id=unit.unit_id,
            serial_number=unit.serial_number,
            serial_is_number=numeric[n] if n < len(numeric) else False,
        )
        for n, unit in enumerate(item.units)
        if unit.unit_id is not None
    )


def _sum(amounts: list[Decimal]) -> Decimal | None:
    return sum(amounts, Decimal(0)) if amounts else None


def _record(session: Session, row: ReturnOrder) -> OmsReturnRecord:
    record = returns.record_of(session, row)
    oms = session.get(OmsReturn, row.id)
    item_ids = [i.item_id for i in record.items]
    details = {
        d.return_item_id: d
        for d in session.scalars(select(OmsReturnItem).where(OmsReturnItem.return_id == row.id))
    }
    cards = {
        c.return_item_id: c
        for c in session.scalars(select(OmsGiftCard).where(OmsGiftCard.return_item_id.in_(item_ids)))
    }
    units: dict[int, list[OmsItemUnit]] = {}
    for unit in session.scalars(
        select(OmsItemUnit).where(OmsItemUnit.return_item_id.in_(item_ids)).order_by(OmsItemUnit.id)
    ):
        units.setdefault(unit.return_item_id, []).append(unit)
    shipment = session.get(Shipment, record.original_shipment_id) if record.original_shipment_id else None
    history = [(ReturnStatus(e.status), e.occurred_at) for e in row.history]
    return OmsReturnRecord(
        return_id=record.id,
        reference_id=record.reference_id,
        status=domain.status_of(record.status),
        status_detail=record.status,
        fulfillment_center_id=record.fulfillment_center_id,
        store_order_id=record.store_order_id,
        order_id=shipment.order_id if shipment else None,
        shipment_id=record.original_shipment_id,
        return_total=oms.return_total if oms else None,
        return_reduction_total=oms.return_reduction_total if oms else None,
        fulfiller_total=oms.fulfiller_total if oms else None,
        refund_type=oms.refund_type if oms else None,
        created_time=oms.created_time if oms and oms.created_time else record.insert_date,
        confirm_time=oms.confirm_time if oms else None,
        cleared_time=domain.cleared_time(record.status, record.completed_date, history),
        items=tuple(
            _item_record(i, details.get(i.item_id), cards.get(i.item_id), units.get(i.item_id, []))
            for i in record.items
        ),
    )


def _item_record(
    item: ReturnItemRecord,
    detail: OmsReturnItem | None,
    card: OmsGiftCard | None,
    units: list[OmsItemUnit],
) -> OmsItemRecord:
    """An item as the OMS sent it, or, for items that came through another door, what is known."""
    return OmsItemRecord(
        return_item_id=item.item_id,
        order_item_id=item.order_item_id,
        quantity=detail.quantity if detail else item.quantity,
        status=detail.status if detail else None,
        reason=detail.reason if detail else None,
        reason_code=item.reason_code,
        return_subtotal=detail.return_subtotal if detail else None,
        fulfiller_subtotal=detail.fulfiller_subtotal if detail else None,
        part_number=detail.part_number if detail else None,
        upc=detail.upc if detail else None,
        sku=detail.sku if detail else None,
        part_name=detail.part_name if detail else None,
        options=tuple(detail.options) if detail else (),
        units=tuple(OmsUnitRecord(u.order_item_unit_id, u.serial_number, u.serial_is_number) for u in units),
        gift_card=OmsGiftCardRecord(
            gift_card_type=card.gift_card_type,
            card_issuer=card.card_issuer,
            to_name=card.to_name,
            from_name=card.from_name,
            email=card.email,
            message=card.message,
            delivery_date=card.delivery_date,
            print_form=card.print_form,
            value=card.value,
        )
        if card
        else None,
    )

"""OMS bodies -> returns requests and OMS details; records -> OMS bodies; errors -> OMS paths.

How the OMS's fields land on Homeward's return (documented in the README):
- orderItemID is a shipment line of the caller's merchant: it gives inventory id, lot and shipment;
  all items of one return come from one shipment (one return is one package).
- returnLocation is the fulfillment center (default: the shipment's); externalOrderID, orderID
  and shipmentID are checked against the items' order and shipment.
- returnID, when sent, becomes the RMA reference `OMS-<returnID>` (so a retried create is refused
  as a duplicate); otherwise Homeward makes one up. The answer's returnID is Homeward's id.
- item status REJECTED keeps the item on the return but expects none of its units.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from homeward.doors.oms import schemas
from homeward.kit.errors import FieldError, HomewardError, InvalidInput, RuleViolation
from homeward.oms.details import GiftCardNote, OmsItemDetails, OmsReturnDetails
from homeward.oms.domain import ItemStatus
from homeward.oms.records import OmsItemRecord, OmsReturnRecord
from homeward.returns.order_items import OrderItemLine, OrderItemReturn
from homeward.returns.refunds import GiftCard, LineMoney, RefundTerms
from homeward.returns.units import UnitRef

REFERENCE_PREFIX = "OMS-"


def reference_for(return_id: int | None) -> str:
    """The RMA: from the OMS's own return number, else letters only so it never looks like one."""
    if return_id is not None:
        return f"{REFERENCE_PREFIX}{return_id}"
    return REFERENCE_PREFIX + "".join(secrets.choice(string.ascii_uppercase) for _ in range(12))


def to_request(body: schemas.CreateReturnIn) -> tuple[OrderItemReturn, OmsReturnDetails]:
    items = tuple(_item(item) for item in body.item)
    refund = None
    if any(
        v is not None
        for v in (body.refundType, body.returnTotal, body.returnReductionTotal, body.fulfillerTotal)
    ):
        refund = RefundTerms(
            body.refundType, body.returnTotal, body.returnReductionTotal, body.fulfillerTotal
        )
    request = OrderItemReturn(
        reference_id=reference_for(body.returnID),
        items=items,
        fulfillment_center_id=body.returnLocation,
        shipment_id=body.shipmentID,
        order_id=body.orderID,
        store_order_id=body.externalOrderID,
        refund=refund,
    )
    details = OmsReturnDetails(
        items=tuple(_item_details(item) for item in body.item),
        oms_return_id=body.returnID,
        status=body.status,
        created_time=body.createdTime,
        cleared_time=body.clearedTime,
        confirm_time=body.confirmTime,
    )
    return request, details


def _item(item: schemas.ReturnItemIn) -> OrderItemLine:
    card = item.giftCardInfo
    money = None
    if item.returnSubtotal is not None or item.fulfillerSubtotal is not None or card is not None:
        money = LineMoney(
            subtotal=item.returnSubtotal,
            fulfiller_subtotal=item.fulfillerSubtotal,
            gift_card=GiftCard(card.giftCardType, card.cardIssuer, card.giftCardValue) if card else None,
        )
    status = item.status or ItemStatus.PENDING
    return OrderItemLine(
        order_item_id=item.orderItemID,
        quantity=item.quantity,
        expects_units=status.expects_units,
        units=tuple(
            UnitRef(
                unit_id=u.orderItemUnitID,
                serial_number=str(u.serialNumber) if u.serialNumber is not None else None,
            )
            for u in item.orderItemUnits
        ),
        reason=item.reason,
        money=money,
    )


def _item_details(item: schemas.ReturnItemIn) -> OmsItemDetails:
    card = item.giftCardInfo
    return OmsItemDetails(
        status=item.status or ItemStatus.PENDING,
        part_number=item.partNumber,
        upc=item.UPC,
        sku=item.SKU,
        part_name=item.partName,
        options=tuple(item.options),
        gift_card_note=GiftCardNote(
            card.toName, card.fromName, card.email, card.message, card.deliveryDate, card.printForm
        )
        if card
        else None,
        serial_is_number=tuple(isinstance(u.serialNumber, int) for u in item.orderItemUnits),
    )


def to_body(record: OmsReturnRecord) -> schemas.ReturnOut:
    return schemas.ReturnOut(
        returnID=record.return_id,
        referenceID=record.reference_id,
        status=record.status.value,
        statusDetail=record.status_detail.value,
        returnLocation=record.fulfillment_center_id,
        externalOrderID=record.store_order_id,
        orderID=record.order_id,
        shipmentID=record.shipment_id,
        returnTotal=_float(record.return_total),
        returnReductionTotal=_float(record.return_reduction_total),
        fulfillerTotal=_float(record.fulfiller_total),
        refundType=record.refund_type,
        createdTime=record.created_time,
        confirmTime=record.confirm_time,
        clearedTime=record.cleared_time,
        item=[_item_body(i) for i in record.items],
    )


def _item_body(item: OmsItemRecord) -> schemas.ReturnItemOut:
    card = item.gift_card
    return schemas.ReturnItemOut(
        returnItemID=item.return_item_id,
        orderItemID=item.order_item_id,
        quantity=item.quantity,
        returnSubtotal=_float(item.return_subtotal),
        fulfillerSubtotal=_float(item.fulfiller_subtotal),
        status=item.status,
        reason=item.reason,
        reasonCode=item.reason_code,
        partNumber=item.part_number,
        UPC=item.upc,
        SKU=item.sku,
        partName=item.part_name,
        orderItemUnits=[
            schemas.OrderItemUnitOut(
                orderItemUnitID=u.order_item_unit_id,
                serialNumber=int(u.serial_number)
                if u.serial_is_number and u.serial_number
                else u.serial_number,
            )
            for u in item.units
        ],
        options=list(item.options),
        giftCardInfo=schemas.GiftCardInfoOut(
            toName=card.to_name,
            fromName=card.from_name,
            email=card.email,
            message=card.message,
            deliveryDate=card.delivery_date,
            printForm=card.print_form,
            giftCardType=card.gift_card_type,
            cardIssuer=card.card_issuer,
            giftCardValue=_float(card.value),
        )
        if card
        else None,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


# --- errors ---------------------------------------------------------------------------------------

_RETURN_FIELDS = {
    "reference_id": "returnID",
    "fulfillment_center.id": "returnLocation",
    "order_id": "orderID",
    "store_order_id": "externalOrderID",
    "inventory": "item",
    "return_total": "returnTotal",
    "reduction_total": "returnReductionTotal",
    "fulfiller_total": "fulfillerTotal",
    "refund_type": "refundType",
}
_ITEM_FIELDS = {
    "id": "orderItemID",
    "order_item_id": "orderItemID",
    "quantity": "quantity",
    "units": "orderItemUnits",
    "gift_card": "giftCardInfo",
    "gift_card.issuer": "giftCardInfo.cardIssuer",
    "gift_card.value": "giftCardInfo.giftCardValue",
}
_UNIT_FIELDS = {"unit_id": "orderItemUnitID", "serial_number": "serialNumber"}
_LINE = re.compile(r"^inventory\[(\d+)\](?:\.(.+))?$")
_UNIT = re.compile(r"^units\[(\d+)\]\.(.+)$")


def oms_field(field: str, *, shipment_given: bool) -> str:
    """A returns-domain field path in the OMS's words, e.g. inventory[0].units[1].serial_number ->
    item[0].orderItemUnits[1].serialNumber. Paths already in OMS words pass through."""
    if field == "original_shipment_id":
        # The shipment is the caller's shipmentID, or else the one the items came from.
        return "shipmentID" if shipment_given else "item"
    if field in _RETURN_FIELDS:
        return _RETURN_FIELDS[field]
    line = _LINE.match(field)
    if line is None:
        return field
    index, rest = line.groups()
    if rest is None:
        return f"item[{index}]"
    unit = _UNIT.match(rest)
    if unit is not None:
        return (
            f"item[{index}].orderItemUnits[{unit.group(1)}].{_UNIT_FIELDS.get(unit.group(2), unit.group(2))}"
        )
    return f"item[{index}].{_ITEM_FIELDS.get(rest, rest)}"


@contextmanager
def oms_errors(*, shipment_given: bool) -> Iterator[None]:
    """Bad input in this dialect is a 400 whatever rule it broke, naming every field in OMS paths."""
    try:
        yield
    except (RuleViolation, InvalidInput) as exc:
        errors = [
            FieldError(oms_field(e.field, shipment_given=shipment_given), e.message) for e in exc.errors
        ]
        raise InvalidInput(exc.message, errors) from exc


def error_body(status: int, error: HomewardError) -> dict[str, Any]:
    """Every OMS error: a message and a list of {field, message} (one entry even without a field)."""
    errors = [{"field": e.field, "message": e.message} for e in error.errors]
    return {"message": error.message, "errors": errors or [{"field": "", "message": error.message}]}

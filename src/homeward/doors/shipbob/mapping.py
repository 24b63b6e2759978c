"""Domain records -> ShipBob bodies, and ShipBob bodies -> domain requests."""

from __future__ import annotations

from typing import Any

from homeward.doors.http.errors import problem_details
from homeward.doors.http.urls import photo_url
from homeward.doors.shipbob import schemas
from homeward.kit.errors import HomewardError
from homeward.labels.domain import LabelRequest
from homeward.labels.records import LabelRecord
from homeward.returns.domain import RequestedAction, ReturnLine, ReturnRequest
from homeward.returns.records import ReturnRecord


def to_request(body: schemas.CreateReturnRequest) -> ReturnRequest:
    return ReturnRequest(
        reference_id=body.reference_id,
        fulfillment_center_id=body.fulfillment_center.id,
        original_shipment_id=body.original_shipment_id,
        tracking_number=body.tracking_number,
        lines=tuple(
            ReturnLine(
                inventory_id=item.id,
                quantity=item.quantity,
                requested_action=item.requested_action or RequestedAction.DEFAULT,
                lot_number=item.lot_number,
                lot_date=item.lot_date,
            )
            for item in body.inventory
        ),
    )


def return_body(record: ReturnRecord) -> dict[str, Any]:
    """The 2025-07 PublicReturnV1Dto as a dict; 1.0 is a subset of it."""
    return {
        "channel": {"id": record.channel_id, "name": record.channel_name},
        "completed_date": record.completed_date,
        "customer_name": record.merchant_name,
        "fulfillment_center": {"id": record.fulfillment_center_id, "name": record.fulfillment_center_name},
        "id": record.id,
        "insert_date": record.insert_date,
        "inventory": [
            {
                "action_requested": {
                    "action": item.action,
                    "action_type": item.action_source,
                    "instructions": item.instructions,
                },
                "action_taken": [
                    {
                        "action": taken.action,
                        "action_reason": taken.reason,
                        "image_url": photo_url(taken.photo_key),
                        "quantity_processed": taken.quantity,
                    }
                    for taken in item.actions_taken
                ],
                "bundle_parent_sku": item.bundle_parent_sku,
                "id": item.inventory_id,
                "name": item.name,
                "quantity": item.quantity,
            }
            for item in record.items
        ],
        "invoice_amount": float(record.invoice_amount) if record.invoice_amount is not None else None,
        "original_shipment_id": record.original_shipment_id,
        "reference_id": record.reference_id,
        "return_type": record.return_type.value,
        "status": record.status.value,
        "store_order_id": record.store_order_id,
        "tracking_number": record.tracking_number,
        "transactions": [
            {"amount": float(t.amount), "transaction_type": t.transaction_type} for t in record.transactions
        ],
    }


def to_label_request(body: schemas.LabelRequestDto | None) -> LabelRequest | None:
    if body is None:
        return None
    return LabelRequest(type=body.type, carrier=body.carrier, service=body.service)


def label_body(label: LabelRecord) -> dict[str, Any]:
    return {
        "type": label.type.value,
        "requested_type": label.requested_type.value,
        "fallback_reason": label.fallback_reason,
        "carrier": label.carrier,
        "service": label.service,
        "tracking_number": label.tracking_number,
        "cost": float(label.cost) if label.cost is not None else None,
        "weight_kg": float(label.weight_kg) if label.weight_kg is not None else None,
        "zone": label.zone,
        "rate_card_version": label.rate_card_version,
        "label_url": f"/2025-07/return/{label.return_id}/label" if label.purchased else None,
    }


def body_2025(record: ReturnRecord, label: LabelRecord | None = None) -> dict[str, Any]:
    """The 2025-07 body as plain data in PublicReturnV1Dto's exact shape.

    Lists send fifty of these, so they are serialized as they are rather than validated into
    models first; a test holds them equal to what the model would send.
    """
    body = return_body(record)
    if label is not None:
        body["label"] = label_body(label)
    return body


def to_2025(record: ReturnRecord, label: LabelRecord | None = None) -> schemas.PublicReturnV1Dto:
    return schemas.PublicReturnV1Dto.model_validate(body_2025(record, label))


def to_1_0(record: ReturnRecord, label: LabelRecord | None = None) -> schemas.ReturnOrderV1:
    # The 1.0 contract has no label: its clients see the tracking number and the invoice only.
    body = return_body(record)
    # 1.0 documents customer_name as the customer on the related shipment.
    body["customer_name"] = record.customer_name or record.merchant_name
    return schemas.ReturnOrderV1.model_validate(body)


def api_error(status: int, error: HomewardError) -> dict[str, Any]:
    """2025-07: 422 is an ApiError; 400 and 404 are problem details; 401/403 carry a message."""
    if status == 422:
        reasons = [str(e) for e in error.errors] or [error.message]
        return {"message": error.message, "errors": reasons, "details": None, "stackTrace": None}
    if status in (401, 403):
        return {"message": error.message}
    return problem_details(status, error)


def problem_error(status: int, error: HomewardError) -> dict[str, Any]:
    """1.0: ValidationProblemDetails for 400/404/422; 401/403 carry a message."""
    if status in (401, 403):
        return {"message": error.message}
    return problem_details(status, error)

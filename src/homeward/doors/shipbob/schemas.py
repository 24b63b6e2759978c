"""ShipBob's outside shapes: request bodies and responses of the 2025-07 and 1.0 dialects."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from homeward.kit.text import CleanStr, Id32, UtcDateTime
from homeward.labels.domain import LabelType
from homeward.returns.domain import REFERENCE_ID_MAX, RequestedAction

QUANTITY_MAX = 2**31 - 1


class _In(BaseModel):
    # Unknown fields are ignored, as ShipBob does (its examples send `name` on the facility).
    model_config = ConfigDict(extra="ignore")


class Facility(_In):
    id: Id32 = Field(description="Unique identifier of the fulfillment center")
    name: CleanStr | None = Field(None, max_length=200, description="Ignored; the id decides")


class ReturnInventory(_In):
    id: Id32 = Field(description="ID of the inventory item to return")
    quantity: int = Field(ge=1, le=QUANTITY_MAX, description="Units of this item in the return")
    requested_action: RequestedAction = Field(description="Default uses the item's return preference")
    lot_date: UtcDateTime | None = None
    lot_number: CleanStr | None = Field(None, max_length=100)


class ReturnInventoryV1(ReturnInventory):
    requested_action: RequestedAction | None = None  # type: ignore[assignment]  # optional in 1.0


class CreateReturnRequest(_In):
    fulfillment_center: Facility
    inventory: list[ReturnInventory] = Field(min_length=1, max_length=500)
    reference_id: CleanStr = Field(
        min_length=1, max_length=REFERENCE_ID_MAX, description="Your unique RMA for this return"
    )
    original_shipment_id: Id32 | None = None
    tracking_number: CleanStr | None = Field(None, max_length=500)


class LabelRequestDto(_In):
    """Homeward addition (seed 000): which return label to use."""

    type: LabelType = Field(
        description="Prepaid: your own label, add its tracking_number later; Optimized: the cheapest "
        "carrier service that may carry the parcel; CarrierSpecific: the carrier and service you name"
    )
    carrier: CleanStr | None = Field(None, max_length=40, description="CarrierSpecific only, e.g. UPS")
    service: CleanStr | None = Field(None, max_length=40, description="CarrierSpecific only, e.g. Ground")


class CreateReturnWithLabel(CreateReturnRequest):
    label: LabelRequestDto | None = Field(
        None, description="Homeward addition: the label to use; without it the return is Prepaid"
    )


class CreateReturnV1(CreateReturnRequest):
    inventory: list[ReturnInventoryV1] = Field(min_length=1, max_length=500)  # type: ignore[assignment]


# --- responses -----------------------------------------------------------------------------------


class ChannelDto(BaseModel):
    id: int
    name: str | None


class FulfillmentCenterDto(BaseModel):
    id: int
    name: str | None


class ActionRequestedDto(BaseModel):
    action: str | None
    action_type: str | None
    instructions: str | None


class ActionTakenDto(BaseModel):
    action: str | None
    action_reason: str | None
    image_url: str | None = None
    quantity_processed: int


class InventoryItemDto(BaseModel):
    action_requested: ActionRequestedDto
    action_taken: list[ActionTakenDto] | None
    bundle_parent_sku: str | None
    id: int
    name: str | None
    quantity: int


class TransactionDto(BaseModel):
    amount: float
    transaction_type: str | None


class LabelDto(BaseModel):
    """Homeward addition: the return's label. `type` is Prepaid when nothing was bought."""

    type: str
    requested_type: str
    fallback_reason: str | None = Field(description="Why a purchased label fell back to Prepaid")
    carrier: str | None
    service: str | None
    tracking_number: str | None
    cost: float | None = Field(description="Also invoiced as the ReturnLabelInvoice transaction")
    weight_kg: float | None
    zone: str | None
    rate_card_version: str | None
    label_url: str | None = Field(description="The label PDF, when a label was bought")


class PublicReturnV1Dto(BaseModel):
    """2025-07 return body (seed 002): every field, always present; `label` only once one was asked for."""

    channel: ChannelDto
    completed_date: datetime | None
    customer_name: str | None
    fulfillment_center: FulfillmentCenterDto
    id: int
    insert_date: datetime
    inventory: list[InventoryItemDto] | None
    invoice_amount: float | None
    original_shipment_id: int | None
    reference_id: str | None
    return_type: str | None
    status: str | None
    store_order_id: str | None
    tracking_number: str | None
    transactions: list[TransactionDto] | None
    label: LabelDto | None = Field(None, description="Homeward addition: present once a label was asked for")

    @model_serializer(mode="wrap")
    def _without_absent_label(self, handler: SerializerFunctionWrapHandler) -> Any:
        # Seed 002 clients never asked for a label; their bodies stay exactly the seed's shape.
        data = handler(self)
        if isinstance(data, dict) and data.get("label") is None:
            data.pop("label", None)
        return data


class ReturnListPage(BaseModel):
    items: list[PublicReturnV1Dto]
    first: str | None
    last: str | None
    next: str | None
    prev: str | None


class StatusHistoryDto(BaseModel):
    status: str
    time_stamp: datetime


# 1.0 shapes (reference/shipbob-returns-api-1.0.yaml): the same data without 2025-07 additions.


class ActionTakenV1(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action: str | None
    action_reason: str | None
    quantity_processed: int


class InventoryItemV1(BaseModel):
    model_config = ConfigDict(extra="ignore")
    action_requested: ActionRequestedDto
    action_taken: list[ActionTakenV1] | None
    id: int
    name: str | None
    quantity: int


class ReturnOrderV1(BaseModel):
    model_config = ConfigDict(extra="ignore")
    channel: ChannelDto
    completed_date: datetime | None
    customer_name: str | None
    fulfillment_center: FulfillmentCenterDto
    id: int
    insert_date: datetime | None
    inventory: list[InventoryItemV1] | None
    invoice_amount: float | None
    original_shipment_id: int | None
    reference_id: str | None
    return_type: str | None
    status: str | None
    store_order_id: str | None
    tracking_number: str | None
    transactions: list[TransactionDto] | None


class ChannelViewDto(BaseModel):
    id: int
    name: str
    application_name: str
    scopes: list[str]


class ChannelPage(BaseModel):
    items: list[ChannelViewDto]
    next: str | None
    prev: str | None


class FulfillmentCenterViewDto(BaseModel):
    id: int
    name: str
    country: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    timezone: str


# --- errors ---------------------------------------------------------------------------------------


class ProblemDetails(BaseModel):
    """400/404 body (and 1.0's 422): RFC 9457 with `errors` {field: [messages]}."""

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    errors: dict[str, list[str]] | None = None


class ApiError(BaseModel):
    """2025-07 business-rule error (seed 002): a message and every reason, each naming its field."""

    message: str | None
    errors: list[str] | None
    details: object | None = None
    stackTrace: str | None = None  # ShipBob's spelling


class SimpleError(BaseModel):
    message: str

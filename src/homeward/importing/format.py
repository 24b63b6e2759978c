"""The import format: one JSON object per line, each with a `type` (documented in the README)."""

from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from homeward.catalog.domain import MAX_INSPECTION_STEPS, IneligibleCategory, ReturnAction
from homeward.kit.text import CleanStr, Id32, UtcDateTime
from homeward.marketplace.domain import MarketplaceOrderStatus
from homeward.orders.domain import ShipmentStatus


class _Line(BaseModel):
    model_config = ConfigDict(extra="forbid")


Fee = Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2)]


class FeeScheduleIn(_Line):
    """Prices the operator charges this merchant (see README, "Fees"); omitted ones are zero."""

    return_processing: Fee = Decimal("0")
    per_unit: Fee = Decimal("0")
    return_to_sender: Fee = Decimal("0")
    quarantine_per_unit_day: Fee = Decimal("0")


class MerchantLine(_Line):
    type: Literal["merchant"]
    id: Id32
    name: CleanStr = Field(min_length=1, max_length=200)
    # Omitted on re-import: left as they are (a fee schedule is never wiped by accident).
    fees: FeeScheduleIn | None = None
    dispose_dangerous_goods: bool | None = None


class ChannelLine(_Line):
    type: Literal["channel"]
    id: Id32
    merchant_id: Id32 | None = None
    name: CleanStr = Field(min_length=1, max_length=200)
    application_name: CleanStr = Field("Homeward", max_length=100)


class FulfillmentCenterLine(_Line):
    type: Literal["fulfillment_center"]
    id: Id32
    name: CleanStr = Field(min_length=1, max_length=200)
    country: CleanStr = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    address1: CleanStr = Field("", max_length=200)
    address2: CleanStr = Field("", max_length=200)
    city: CleanStr = Field("", max_length=100)
    state: CleanStr = Field("", max_length=100)
    zip_code: CleanStr = Field("", max_length=20)
    timezone: CleanStr = Field("UTC", max_length=64)


class Component(_Line):
    id: Id32
    quantity: int = Field(1, ge=1, le=10_000)


class ReturnPreferenceIn(_Line):
    action: ReturnAction = ReturnAction.RESTOCK
    instructions: CleanStr | None = Field(None, max_length=1000)
    backup_action: ReturnAction = ReturnAction.DISPOSE
    rts_action: ReturnAction = ReturnAction.RESTOCK


class ProductLine(_Line):
    type: Literal["product"]
    id: Id32
    merchant_id: Id32 | None = None
    sku: CleanStr = Field(min_length=1, max_length=100)
    name: CleanStr = Field(min_length=1, max_length=300)
    weight_kg: Decimal = Field(Decimal("0"), ge=0, le=100_000, decimal_places=3)
    components: list[Component] = Field(default_factory=list, description="Non-empty makes it a bundle")
    dangerous_goods: bool = False
    ineligible_category: IneligibleCategory | None = None
    lot_tracked: bool = False
    min_shelf_life_days: int = Field(0, ge=0, le=3650)
    return_preference: ReturnPreferenceIn = Field(default_factory=ReturnPreferenceIn)
    inspection_steps: list[Annotated[CleanStr, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=MAX_INSPECTION_STEPS, description="e.g. 'seal intact'"
    )

    @field_validator("inspection_steps")
    @classmethod
    def _distinct(cls, steps: list[str]) -> list[str]:
        if len(set(steps)) != len(steps):
            raise ValueError("inspection steps must be distinct")
        return steps


class Recipient(_Line):
    name: CleanStr = Field("", max_length=200)
    address1: CleanStr = Field("", max_length=200)
    address2: CleanStr = Field("", max_length=200)
    city: CleanStr = Field("", max_length=100)
    state: CleanStr = Field("", max_length=100)
    zip_code: CleanStr = Field("", max_length=20)
    country: CleanStr = Field("US", pattern=r"^[A-Z]{2}$")


SerialNumber = Annotated[CleanStr, Field(min_length=1, max_length=100)]


class ShipmentLineIn(_Line):
    inventory_id: Id32
    quantity: int = Field(ge=1, le=1_000_000)
    lot_number: CleanStr | None = Field(None, max_length=100)
    lot_expiration: date | None = None
    unit_price: Decimal | None = Field(
        None, ge=0, le=Decimal("999999999999.99"), decimal_places=2, description="What one unit sold for"
    )
    serial_numbers: list[SerialNumber] = Field(
        default_factory=list, max_length=10_000, description="Serials shipped; at most one per unit"
    )


class ShipmentIn(_Line):
    id: Id32
    status: ShipmentStatus = ShipmentStatus.SHIPPED
    fulfillment_center_id: Id32
    tracking_number: CleanStr | None = Field(None, max_length=100)
    shipped_at: UtcDateTime | None = None
    recipient: Recipient = Field(default_factory=Recipient)
    lines: list[ShipmentLineIn] = Field(min_length=1)


class OrderLine(_Line):
    type: Literal["order"]
    id: Id32
    merchant_id: Id32 | None = None
    channel_id: Id32 | None = None
    store_order_id: CleanStr = Field(min_length=1, max_length=100)
    shipments: list[ShipmentIn] = Field(default_factory=list)


def _marketplace_status(value: object) -> object:
    return MarketplaceOrderStatus.parse(value) if isinstance(value, str) else value


# Whole-line amounts (every unit ordered), in the currency's major unit with at most two decimals.
LineAmount = Annotated[Decimal, Field(Decimal("0"), ge=0, max_digits=12, decimal_places=2)]


class MarketplaceItemIn(_Line):
    order_item_id: CleanStr = Field(min_length=1, max_length=100)
    inventory_id: Id32 | None = Field(None, description="The product this line sold, to link returns")
    quantity: int = Field(ge=1, le=1_000_000)
    principal: LineAmount
    tax: LineAmount
    shipping_cost: LineAmount
    shipping_tax: LineAmount


class MarketplaceOrderLine(_Line):
    type: Literal["marketplace_order"]
    merchant_id: Id32 | None = None
    merchant_order_id: CleanStr = Field(min_length=1, max_length=100)
    store_order_id: CleanStr | None = Field(None, min_length=1, max_length=100)
    status: Annotated[MarketplaceOrderStatus, BeforeValidator(_marketplace_status)]
    items: list[MarketplaceItemIn] = Field(min_length=1, max_length=1000)


ImportLine = Annotated[
    MerchantLine | ChannelLine | FulfillmentCenterLine | ProductLine | OrderLine | MarketplaceOrderLine,
    Field(discriminator="type"),
]
RECORD_TYPES = ("merchant", "channel", "fulfillment_center", "product", "order", "marketplace_order")
OPERATOR_ONLY = ("merchant", "channel", "fulfillment_center")

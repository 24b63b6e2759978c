"""The OMS "Create Return" shapes (seed 004): field names, lengths, enums and minimums as the seed
gives them. Rules that need data (quantities, serials, totals) are the returns domain's."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from homeward.kit.text import INT32_MAX, CleanStr, UtcDateTime
from homeward.oms.domain import ItemStatus, OmsStatus
from homeward.returns.refunds import CardIssuer, GiftCardType, RefundType

INT64_MAX = 2**63 - 1
MONEY_MAX = Decimal("999999999999.99")  # what a Money column holds
SERIAL_MAX_LENGTH = 100
SERIAL_NUMBER_MAX = 10**30 - 1  # serials sent as JSON numbers: up to 30 digits

Money = Annotated[Decimal, Field(ge=0, le=MONEY_MAX, decimal_places=2)]


def _serial_number(value: Any) -> Any:
    """The seed types serialNumber as a number; real serials often carry letters, so text is
    accepted too. Checked here in full so errors name the field, not a union branch."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a whole number or a string")
    if isinstance(value, int) and not 0 <= value <= SERIAL_NUMBER_MAX:
        raise ValueError(f"must be between 0 and {SERIAL_NUMBER_MAX}")
    if isinstance(value, str) and not 1 <= len(value) <= SERIAL_MAX_LENGTH:
        raise ValueError(f"must be 1 to {SERIAL_MAX_LENGTH} characters")
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


SerialNumber = Annotated[
    int | str,
    BeforeValidator(_serial_number),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": SERIAL_NUMBER_MAX},
                {"type": "string", "minLength": 1, "maxLength": SERIAL_MAX_LENGTH},
            ],
            "description": "The unit's serial number (a number, or text)",
        }
    ),
]

_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")


def _email(value: str) -> str:
    local, at, domain = value.rpartition("@")
    if (
        not at
        or not _LOCAL.match(local)
        or local.startswith(".")
        or local.endswith(".")
        or ".." in local
        or not _DOMAIN.match(domain)
    ):
        raise ValueError("is not a valid email address")
    return value


Email = Annotated[CleanStr, Field(max_length=250), AfterValidator(_email)]
Option = Annotated[CleanStr, Field(max_length=200)]


class _In(BaseModel):
    # Fields this door does not know (an OMS sends more than the seed lists) are ignored.
    model_config = ConfigDict(extra="ignore")


class OrderItemUnitIn(_In):
    orderItemUnitID: int = Field(ge=0, le=INT64_MAX, description="The OMS's id for this unit")
    serialNumber: SerialNumber | None = None


class GiftCardInfoIn(_In):
    toName: CleanStr | None = Field(None, max_length=85, description="The gift card's recipient")
    fromName: CleanStr | None = Field(None, max_length=85, description="The gift card's purchaser")
    email: Email | None = Field(None, description="The consumer's email address")
    message: CleanStr | None = Field(None, max_length=400, description="A message to go with the card")
    deliveryDate: UtcDateTime | None = Field(None, description="When the card is to be delivered")
    printForm: bool = Field(False, description="Whether to print a form for the card")
    giftCardType: GiftCardType
    cardIssuer: CardIssuer | None = Field(None, description="GC cards only")
    giftCardValue: Money | None = Field(None, description="Default: the item's actual price")


class ReturnItemIn(_In):
    returnItemID: int | None = Field(
        None, ge=0, le=INT64_MAX, description="Your id for the item; Homeward answers with its own"
    )
    orderItemID: int = Field(ge=0, le=INT32_MAX, description="The order item: a shipment line's id")
    quantity: int = Field(ge=1, le=INT32_MAX)
    returnSubtotal: Money | None = Field(None, description="What the customer is reimbursed for the item")
    fulfillerSubtotal: Money | None = Field(None, description="What the fulfiller receives for the item")
    status: ItemStatus | None = Field(None, description="Default PENDING; REJECTED items expect no units")
    reason: CleanStr | None = Field(None, max_length=255, description="Why the item comes back, in any words")
    partNumber: CleanStr | None = Field(None, min_length=1, max_length=50)
    UPC: CleanStr | None = Field(None, max_length=50)
    SKU: CleanStr | None = Field(None, max_length=50)
    partName: CleanStr | None = Field(None, max_length=50)
    orderItemUnits: list[OrderItemUnitIn] = Field(default_factory=list, max_length=1000)
    options: list[Option] = Field(default_factory=list, max_length=50)
    giftCardInfo: GiftCardInfoIn | None = None


class CreateReturnIn(_In):
    item: list[ReturnItemIn] = Field(min_length=1, max_length=500, description="The items returned")
    returnID: int | None = Field(
        None, ge=1, le=INT64_MAX, description="Your number for the return; it becomes the RMA OMS-<returnID>"
    )
    returnLocation: int | None = Field(
        None, ge=1, le=INT32_MAX, description="Fulfillment center id; default: where the shipment left from"
    )
    externalOrderID: CleanStr | None = Field(
        None, min_length=1, max_length=100, description="Store order id; must be the items' order's"
    )
    status: OmsStatus | None = Field(None, description="A new return is OPEN")
    returnTotal: Money | None = Field(None, description="Must equal the sum of the items' returnSubtotal")
    returnReductionTotal: Money | None = Field(None, description="Subtracted from returnTotal to refund")
    fulfillerTotal: Money | None = Field(
        None, description="Must equal the sum of the items' fulfillerSubtotal"
    )
    createdTime: UtcDateTime | None = None
    clearedTime: UtcDateTime | None = Field(None, description="Refused on create: set when the return closes")
    confirmTime: UtcDateTime | None = None
    refundType: RefundType | None = Field(None, description="GIFT_CARD needs giftCardInfo on each item")
    orderID: int | None = Field(None, ge=1, le=INT32_MAX, description="Must be the items' order")
    shipmentID: int | None = Field(None, ge=1, le=INT32_MAX, description="Must be the items' shipment")


# --- responses -----------------------------------------------------------------------------------


class OrderItemUnitOut(BaseModel):
    orderItemUnitID: int
    serialNumber: int | str | None


class GiftCardInfoOut(BaseModel):
    toName: str | None
    fromName: str | None
    email: str | None
    message: str | None
    deliveryDate: datetime | None
    printForm: bool
    giftCardType: str
    cardIssuer: str | None
    giftCardValue: float | None


class ReturnItemOut(BaseModel):
    returnItemID: int = Field(description="Homeward's id for the return item")
    orderItemID: int | None
    quantity: int
    returnSubtotal: float | None
    fulfillerSubtotal: float | None
    status: str | None
    reason: str | None
    reasonCode: str | None = Field(description="The shared reason catalog's entry for `reason`")
    partNumber: str | None
    UPC: str | None
    SKU: str | None
    partName: str | None
    orderItemUnits: list[OrderItemUnitOut]
    options: list[str]
    giftCardInfo: GiftCardInfoOut | None


class ReturnOut(BaseModel):
    returnID: int = Field(description="Homeward's return id: the one GET takes, and the ShipBob dialect's id")
    referenceID: str = Field(description="The RMA to write on the package")
    status: str = Field(
        description="OPEN (awaiting arrival, arrived), PROCESSING, CLOSED (completed, cancelled)"
    )
    statusDetail: str = Field(description="Homeward's own status, e.g. Awaiting Arrival")
    returnLocation: int
    externalOrderID: str | None
    orderID: int | None
    shipmentID: int | None
    returnTotal: float | None
    returnReductionTotal: float | None
    fulfillerTotal: float | None
    refundType: str | None
    createdTime: datetime
    confirmTime: datetime | None
    clearedTime: datetime | None
    item: list[ReturnItemOut]


class FieldMessage(BaseModel):
    field: str = Field(description="JSON path of the field, e.g. item[0].giftCardInfo.giftCardType")
    message: str


class OmsError(BaseModel):
    message: str
    errors: list[FieldMessage]

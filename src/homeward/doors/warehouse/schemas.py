"""The warehouse API's shapes (/warehouse/v1). Unknown fields are refused: a scanner's typo
should fail loudly, not be ignored."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from homeward.catalog.domain import MAX_INSPECTION_STEPS, ReturnAction
from homeward.kit.text import CleanStr, Id32

StepName = Annotated[CleanStr, Field(min_length=1, max_length=100)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ArrivalIn(_In):
    barcode: CleanStr = Field(
        min_length=1,
        max_length=500,
        description="A return's tracking number or RMA; with rts, an outbound tracking number",
    )
    rts: bool = Field(False, description="The carrier sent the package back (return to sender)")


class InspectionLineIn(_In):
    inventory_id: Id32
    quantity: int = Field(ge=1, le=100_000, description="Units of this item handled alike")
    action: ReturnAction | None = Field(
        None, description="The action taken, if stated; must agree with the rules (omit to let them decide)"
    )
    reason: CleanStr | None = Field(None, max_length=500, description="The inspector's note")
    damaged: bool = Field(False, description="Damaged units take the item's backup action instead of Restock")
    extra: bool = Field(False, description="Units beyond those announced, or an item not on the return")
    lot_number: CleanStr | None = Field(None, max_length=100)
    expiration_date: date | None = None
    steps: dict[StepName, bool] = Field(
        default_factory=dict, description="Every inspection step configured for the item: passed or not"
    )
    photo: CleanStr | None = Field(
        None, max_length=100, description="Name of the multipart part holding this line's photo"
    )

    @field_validator("steps")
    @classmethod
    def _at_most_three(cls, steps: dict[str, bool]) -> dict[str, bool]:
        if len(steps) > MAX_INSPECTION_STEPS:
            raise ValueError(f"an item has at most {MAX_INSPECTION_STEPS} inspection steps")
        return steps


class InspectionIn(_In):
    items: list[InspectionLineIn] = Field(min_length=1, max_length=200)


class CloseIn(_In):
    reason: CleanStr | None = Field(None, max_length=500, description="Why units are missing")


class ReleaseIn(_In):
    return_id: Id32
    inventory_id: Id32
    quantity: int = Field(ge=1, le=1_000_000)
    action: Literal["Restock", "Dispose"]
    reason: CleanStr | None = Field(None, max_length=500)


# --- responses -----------------------------------------------------------------------------------


class ItemOut(BaseModel):
    inventory_id: int
    name: str
    expected: int
    processed: int
    extra: int
    short: int
    remaining: int
    requested_action: str
    requested_by: str
    lot_tracked: bool
    inspection_steps: list[str]


class InspectionOut(BaseModel):
    id: int
    inventory_id: int
    kind: str
    quantity: int
    action: str
    reason: str
    damaged: bool
    lot_number: str | None
    expiration_date: date | None
    steps: dict[str, bool]
    image_url: str | None
    actor: str
    inspected_at: datetime


class WarehouseReturnOut(BaseModel):
    id: int
    merchant_id: int
    merchant_name: str
    reference_id: str
    return_type: str
    status: str
    fulfillment_center_id: int
    tracking_number: str | None
    original_shipment_id: int | None
    insert_date: datetime
    completed_date: datetime | None
    items: list[ItemOut]
    inspections: list[InspectionOut]


class BucketsOut(BaseModel):
    sellable: int
    quarantine: int
    disposed: int


class BalanceOut(BucketsOut):
    inventory_id: int
    fulfillment_center_id: int


class ReleaseOut(BaseModel):
    return_id: int
    inventory_id: int
    quantity: int
    action: str
    return_balance: BucketsOut = Field(description="This return's units of the item after the release")
    storage_fee: Decimal | None = Field(description="QuarantineStorageFee charged to the return, if any")


def inline_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema with its $defs inlined, for hand-written OpenAPI request bodies."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                return resolve(defs[ref.removeprefix("#/$defs/")])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(value) for value in node]
        return node

    resolved: dict[str, Any] = resolve(schema)
    return resolved

"""What the doors get back about labels: plain, detached from any session."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from homeward.labels.domain import LabelType
from homeward.labels.models import ReturnLabel
from homeward.returns.records import ReturnRecord


@dataclass(frozen=True)
class LabelRecord:
    return_id: int
    type: LabelType  # Prepaid when nothing was bought, including after a fallback
    requested_type: LabelType
    fallback_reason: str | None
    carrier: str | None
    service: str | None
    tracking_number: str | None
    cost: Decimal | None
    weight_kg: Decimal | None
    zone: str | None
    rate_card_version: str | None

    @property
    def purchased(self) -> bool:
        return self.type.is_purchased


@dataclass(frozen=True)
class LabelledReturn:
    record: ReturnRecord
    label: LabelRecord | None  # None: no label was ever asked for (Prepaid, as for seed 002 clients)


@dataclass(frozen=True)
class LabelFile:
    filename: str
    content: bytes


def to_label_record(row: ReturnLabel | Any) -> LabelRecord:
    """From the stored label, or a plain row with its columns."""
    return LabelRecord(
        return_id=row.return_id,
        type=LabelType(row.label_type),
        requested_type=LabelType(row.requested_type),
        fallback_reason=row.fallback_reason,
        carrier=row.carrier,
        service=row.service,
        tracking_number=row.tracking_number,
        cost=row.cost,
        weight_kg=row.weight_kg,
        zone=row.zone,
        rate_card_version=row.rate_card_version,
    )

"""Label rules (seed 000): which label a return may get, and which carrier service may carry it.

Pure Python. The service gathers the facts (items, addresses, quotes from the carriers) and asks
these functions; carriers are adapters behind the `Carrier` protocol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from homeward.kit.errors import FieldError, RuleViolation

MAX_PARCEL_KG = Decimal("68")  # 150 lb: no label can be bought for a heavier parcel
HEAVY_PARCEL_KG = Decimal("4.5")  # over 10 lb only FedEx Ground carries returns
HEAVY_CARRIER, HEAVY_SERVICE = "FedEx", "Ground"
LABEL_INVOICE = "ReturnLabelInvoice"  # transaction type of a purchased label's cost


class LabelType(StrEnum):
    PREPAID = "Prepaid"  # the merchant ships on its own label and adds the tracking number later
    OPTIMIZED = "Optimized"  # Homeward buys the cheapest service that may carry the parcel
    CARRIER_SPECIFIC = "CarrierSpecific"  # Homeward buys the carrier and service the merchant names

    @property
    def is_purchased(self) -> bool:
        return self is not LabelType.PREPAID


@dataclass(frozen=True)
class LabelRequest:
    type: LabelType
    carrier: str | None = None
    service: str | None = None


@dataclass(frozen=True)
class Address:
    name: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    country: str

    def lines(self) -> list[str]:
        """As printed on a label."""
        place = " ".join(p for p in (f"{self.city}," if self.city else "", self.state, self.zip_code) if p)
        return [line for line in (self.name, self.address1, self.address2, place, self.country) if line]


@dataclass(frozen=True)
class ParcelItem:
    inventory_id: int
    name: str
    quantity: int
    weight_kg: Decimal
    dangerous_goods: bool


@dataclass(frozen=True)
class Parcel:
    """One return is one package (seed 000): its items travel together under one label."""

    items: tuple[ParcelItem, ...]
    origin: Address  # the customer, from the original shipment
    destination: Address  # the fulfillment center

    @property
    def weight_kg(self) -> Decimal:
        return sum((i.weight_kg * i.quantity for i in self.items), Decimal("0"))


@dataclass(frozen=True)
class Quote:
    """One carrier service's answer for a parcel: a price, or why it may not carry it."""

    carrier: str
    service: str
    amount: Decimal | None = None
    zone: str | None = None
    refusal: str | None = None

    @property
    def name(self) -> str:
        return f"{self.carrier} {self.service}"


@dataclass(frozen=True)
class PurchasedLabel:
    carrier: str
    service: str
    tracking_number: str
    amount: Decimal
    zone: str | None
    carrier_name: str  # as printed on the label
    service_name: str


class Carrier(Protocol):
    """A carrier adapter: quotes each of its services for a parcel and buys a label for a quote."""

    code: str

    def quote(self, parcel: Parcel) -> list[Quote]: ...

    def buy(self, quote: Quote, parcel: Parcel, serial: int) -> PurchasedLabel: ...


def check_purchase(
    request: LabelRequest,
    *,
    parcel_items: tuple[ParcelItem, ...],
    customer: Address | None,
    fulfillment_center: Address,
    reference_id: str,
    tracking_number: str | None,
    prefix: str = "label.",
) -> None:
    """Rules a purchased label must keep before any carrier is asked; one RuleViolation naming all."""
    errors: list[FieldError] = []
    hazardous = [i for i in parcel_items if i.dangerous_goods]
    if hazardous:
        names = ", ".join(f"{i.inventory_id} ({i.name})" for i in hazardous)
        errors.append(
            FieldError(
                f"{prefix}type",
                f"DG/hazmat items cannot travel on a purchased label ({names}); use Prepaid",
            )
        )
    if customer is None:
        errors.append(
            FieldError(
                "original_shipment_id",
                "a purchased label needs the customer's address, which comes from the original shipment; "
                "give original_shipment_id or use Prepaid",
            )
        )
    else:
        if customer.country != fulfillment_center.country:
            errors.append(
                FieldError(
                    "fulfillment_center.id",
                    f"labels are only bought within one country: the customer is in {customer.country}, "
                    f"the fulfillment center in {fulfillment_center.country}; use Prepaid",
                )
            )
        if not customer.zip_code.strip():
            errors.append(
                FieldError("original_shipment_id", "the shipment's address has no postal code to ship from")
            )
    weight = sum((i.weight_kg * i.quantity for i in parcel_items), Decimal("0"))
    if weight > MAX_PARCEL_KG:
        errors.append(
            FieldError(
                "inventory",
                f"the parcel weighs {weight.normalize():f} kg; labels are bought for parcels up to "
                f"{MAX_PARCEL_KG} kg (150 lb); split the return or use Prepaid",
            )
        )
    if not re.fullmatch(r"[ -~]+", reference_id):
        errors.append(
            FieldError("reference_id", "must be printable ASCII to be printed as a barcode on the label")
        )
    if tracking_number:
        errors.append(
            FieldError(
                "tracking_number",
                f"the return already has tracking number {tracking_number!r} from a label bought "
                "elsewhere; a purchased label brings its own",
            )
        )
    if request.type is LabelType.CARRIER_SPECIFIC:
        if not request.carrier:
            errors.append(FieldError(f"{prefix}carrier", "is required for a CarrierSpecific label"))
        if not request.service:
            errors.append(FieldError(f"{prefix}service", "is required for a CarrierSpecific label"))
    if errors:
        raise RuleViolation("The label cannot be bought", errors)


_PO_BOX = re.compile(r"\b(?:p\s*\.?\s*o\s*\.?\s*box|post\s+office\s+box|pob)\b", re.IGNORECASE)
_MILITARY_CITY = re.compile(r"^\s*(?:APO|FPO|DPO)\s*$", re.IGNORECASE)
_MILITARY_STATE = re.compile(r"^\s*(?:AA|AE|AP)\s*$", re.IGNORECASE)


def pickup_refusal(customer: Address) -> str | None:
    """Why carriers refuse a label from this address (seed 000: P.O. boxes, military), or None."""
    if _PO_BOX.search(customer.address1) or _PO_BOX.search(customer.address2):
        return (
            "the customer's address is a P.O. box, which carriers do not pick up from; "
            "the return stays Prepaid: add the tracking number of the customer's own label"
        )
    if (customer.country == "US" and _MILITARY_STATE.match(customer.state)) or _MILITARY_CITY.match(
        customer.city
    ):
        return (
            "the customer's address is a military (APO/FPO/DPO) address, which carriers' return "
            "labels do not serve; the return stays Prepaid: add the tracking number of the customer's "
            "own label"
        )
    return None


def service_refusal(quote: Quote, weight_kg: Decimal) -> str | None:
    """Why this carrier service may not carry a parcel of this weight (seed 000: over 10 lb only
    FedEx Ground), or the carrier's own refusal; None when it may."""
    heavy = weight_kg > HEAVY_PARCEL_KG
    if heavy and (quote.carrier.lower(), quote.service.lower()) != (
        HEAVY_CARRIER.lower(),
        HEAVY_SERVICE.lower(),
    ):
        return (
            f"parcels over {HEAVY_PARCEL_KG} kg (10 lb) ship only with {HEAVY_CARRIER} {HEAVY_SERVICE} "
            f"(this one weighs {weight_kg.normalize():f} kg)"
        )
    return quote.refusal


def choose_quote(
    request: LabelRequest, quotes: list[Quote], weight_kg: Decimal, prefix: str = "label."
) -> Quote:
    """The quote to buy: the cheapest that may carry the parcel, or the one the merchant named."""
    if request.type is LabelType.OPTIMIZED:
        usable = [q for q in quotes if service_refusal(q, weight_kg) is None and q.amount is not None]
        if not usable:
            reasons = (
                "; ".join(f"{q.name}: {service_refusal(q, weight_kg)}" for q in quotes)
                or "no carrier is configured"
            )
            raise RuleViolation(
                "No carrier service may carry this parcel",
                [
                    FieldError(
                        f"{prefix}type", f"no configured carrier service may carry this parcel ({reasons})"
                    )
                ],
            )
        return min(usable, key=lambda q: (q.amount, q.carrier, q.service))
    carrier, service = (request.carrier or "").lower(), (request.service or "").lower()
    by_carrier = [q for q in quotes if q.carrier.lower() == carrier]
    if not by_carrier:
        known = ", ".join(sorted({q.carrier for q in quotes}))
        raise RuleViolation(
            "Unknown carrier",
            [FieldError(f"{prefix}carrier", f"unknown carrier {request.carrier!r}; configured: {known}")],
        )
    chosen = next((q for q in by_carrier if q.service.lower() == service), None)
    if chosen is None:
        known = ", ".join(q.service for q in by_carrier)
        raise RuleViolation(
            "Unknown service",
            [
                FieldError(
                    f"{prefix}service",
                    f"{by_carrier[0].carrier} has no service {request.service!r}; configured: {known}",
                )
            ],
        )
    refusal = service_refusal(chosen, weight_kg)
    if refusal is not None:
        raise RuleViolation(
            f"{chosen.name} may not carry this parcel",
            [FieldError(f"{prefix}service", f"{chosen.name} may not carry this parcel: {refusal}")],
        )
    return chosen


def check_modification(
    *,
    label_tracking: str,
    label_fulfillment_center_id: int,
    fulfillment_center_id: int,
    tracking_number: str | None,
) -> str:
    """A return with a bought label keeps what is printed on it; returns the tracking number to keep.

    A modify that leaves tracking_number out keeps the label's (PUT replaces the whole return).
    """
    errors: list[FieldError] = []
    if fulfillment_center_id != label_fulfillment_center_id:
        errors.append(
            FieldError(
                "fulfillment_center.id",
                f"the bought label ships to fulfillment center {label_fulfillment_center_id}; "
                "cancel this return and create a new one to send it elsewhere",
            )
        )
    if tracking_number and tracking_number != label_tracking:
        errors.append(
            FieldError(
                "tracking_number", f"must stay {label_tracking!r}, the tracking number of the bought label"
            )
        )
    if errors:
        raise RuleViolation("The return has a bought label", errors)
    return label_tracking

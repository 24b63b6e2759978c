"""The rate file: a versioned JSON document of carriers, services, countries, zones, weight brackets
and surcharges. `parse_rate_file` checks every part and names each problem by its JSON path.

```json
{"version": "2026-11", "currency": "USD",
 "countries": {"US": {"regions": {"6": "Midwest", ...}, "zones": {"Midwest": {"Midwest": "2", ...}}}},
 "carriers": [{"code": "UPS", "name": "UPS", "tracking": "ups", "account": "HW0R37",
   "surcharges": [{"name": "Fuel", "percent": "15.5"},
                  {"name": "Heavy", "amount": "9.50", "over_kg": "22.7"}],
   "services": [{"code": "Ground", "name": "UPS Ground", "service_code": "03", "countries": ["US"],
     "brackets": [{"up_to_kg": "0.5", "zones": {"2": "9.10", ...}}, ...]}]}]}
```

A country's zone for a parcel: the region of each postal code's first character, then the zone of
(origin region, destination region). A service carries parcels up to its last bracket's weight.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import lru_cache
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from homeward.kit.errors import FieldError, InvalidInput
from homeward.kit.text import CleanStr
from homeward.labels.carriers.tracking_numbers import TrackingScheme, account_problem, service_code_problem

Amount = Annotated[Decimal, Field(ge=0, le=Decimal("99999"), max_digits=9, decimal_places=2)]
Kilograms = Annotated[Decimal, Field(gt=0, le=Decimal("1000"), max_digits=8, decimal_places=3)]
Code = Annotated[CleanStr, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Surcharge(_Strict):
    """A flat `amount`, or a `percent` of the base rate plus flat surcharges; `over_kg` limits it."""

    name: CleanStr = Field(min_length=1, max_length=60)
    amount: Amount | None = None
    percent: Annotated[Decimal, Field(ge=0, le=100, max_digits=6, decimal_places=3)] | None = None
    over_kg: Kilograms | None = None


class Bracket(_Strict):
    up_to_kg: Kilograms
    zones: dict[Annotated[str, Field(min_length=1, max_length=10)], Amount] = Field(min_length=1)


class Service(_Strict):
    code: Code
    name: CleanStr = Field(min_length=1, max_length=80)
    service_code: Annotated[str, Field(max_length=3)] = ""
    countries: list[Country] = Field(min_length=1)
    brackets: list[Bracket] = Field(min_length=1)
    surcharges: list[Surcharge] = Field(default_factory=list)

    @property
    def max_kg(self) -> Decimal:
        return self.brackets[-1].up_to_kg


class CarrierRates(_Strict):
    code: Code
    name: CleanStr = Field(min_length=1, max_length=80)
    tracking: TrackingScheme
    account: str = Field(max_length=9)
    services: list[Service] = Field(min_length=1)
    surcharges: list[Surcharge] = Field(default_factory=list)


class CountryZones(_Strict):
    regions: dict[Annotated[str, Field(min_length=1, max_length=1)], CleanStr] = Field(min_length=1)
    zones: dict[CleanStr, dict[CleanStr, Annotated[str, Field(min_length=1, max_length=10)]]]


class RateCard(_Strict):
    version: CleanStr = Field(min_length=1, max_length=50)
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "USD"
    countries: dict[Country, CountryZones] = Field(min_length=1)
    carriers: list[CarrierRates] = Field(min_length=1)

    def zone(self, country: str, origin_postal: str, destination_postal: str) -> str | None:
        chart = self.countries.get(country)
        if chart is None or not origin_postal or not destination_postal:
            return None
        origin = chart.regions.get(origin_postal.strip()[:1].upper())
        destination = chart.regions.get(destination_postal.strip()[:1].upper())
        if origin is None or destination is None:
            return None
        return chart.zones[origin][destination]


def parse_rate_file(text: str) -> RateCard:
    """The rate card in `text`, or InvalidInput naming every problem (field path: reason)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InvalidInput("The rate file is not valid JSON", [FieldError("$", str(exc))]) from exc
    try:
        card = RateCard.model_validate(data)
    except ValidationError as exc:
        errors = [FieldError(_path(e["loc"]), e["msg"]) for e in exc.errors()]
        raise InvalidInput("The rate file is not valid", errors) from exc
    problems = list(_consistency(card))
    if problems:
        raise InvalidInput("The rate file is not valid", problems)
    return card


@lru_cache(maxsize=8)
def cached_rate_card(text: str) -> RateCard:
    """Stored rate files never change (a new load is a new version), so parse each text once."""
    return parse_rate_file(text)


def _path(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "$"


def _consistency(card: RateCard) -> list[FieldError]:
    """What a schema cannot say: references resolve, brackets ascend, every zone is priced."""
    errors: list[FieldError] = []
    zones_of: dict[str, set[str]] = {}
    for country, chart in card.countries.items():
        where = f"countries.{country}"
        names = set(chart.regions.values())
        zones_of[country] = set()
        for origin in sorted(names):
            row = chart.zones.get(origin)
            if row is None:
                errors.append(FieldError(f"{where}.zones", f"region {origin!r} has no row"))
                continue
            for destination in sorted(names):
                if destination not in row:
                    errors.append(FieldError(f"{where}.zones.{origin}", f"no zone to region {destination!r}"))
                else:
                    zones_of[country].add(row[destination])
        for extra in sorted(set(chart.zones) - names):
            errors.append(FieldError(f"{where}.zones.{extra}", "is not a region of this country"))
    carrier_codes: set[str] = set()
    for c, carrier in enumerate(card.carriers):
        where = f"carriers[{c}]"
        if carrier.code.lower() in carrier_codes:
            errors.append(FieldError(f"{where}.code", f"carrier {carrier.code!r} is listed twice"))
        carrier_codes.add(carrier.code.lower())
        if problem := account_problem(carrier.tracking, carrier.account):
            errors.append(FieldError(f"{where}.account", problem))
        errors.extend(_surcharge_errors(f"{where}.surcharges", carrier.surcharges))
        service_codes: set[str] = set()
        for s, service in enumerate(carrier.services):
            at = f"{where}.services[{s}]"
            if service.code.lower() in service_codes:
                errors.append(FieldError(f"{at}.code", f"service {service.code!r} is listed twice"))
            service_codes.add(service.code.lower())
            if problem := service_code_problem(carrier.tracking, service.service_code):
                errors.append(FieldError(f"{at}.service_code", problem))
            errors.extend(_surcharge_errors(f"{at}.surcharges", service.surcharges))
            needed: set[str] = set()
            for country in service.countries:
                if country not in card.countries:
                    errors.append(FieldError(f"{at}.countries", f"{country} has no zones in countries"))
                else:
                    needed |= zones_of[country]
            previous = Decimal("0")
            for b, bracket in enumerate(service.brackets):
                if bracket.up_to_kg <= previous:
                    errors.append(
                        FieldError(f"{at}.brackets[{b}].up_to_kg", "brackets must ascend by weight")
                    )
                previous = bracket.up_to_kg
                missing = sorted(needed - set(bracket.zones))
                if missing:
                    errors.append(
                        FieldError(f"{at}.brackets[{b}].zones", f"no price for zone(s) {', '.join(missing)}")
                    )
    return errors


def _surcharge_errors(where: str, surcharges: list[Surcharge]) -> list[FieldError]:
    return [
        FieldError(f"{where}[{i}]", "give exactly one of amount or percent")
        for i, s in enumerate(surcharges)
        if (s.amount is None) == (s.percent is None)
    ]

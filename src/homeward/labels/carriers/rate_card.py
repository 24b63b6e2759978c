"""The built-in carrier adapter: prices from the loaded rate file, tracking numbers in the carrier's
own format. A carrier with a live API would be another adapter behind the same protocol."""

from __future__ import annotations

from decimal import Decimal

from homeward.kit.money import to_money
from homeward.labels.carriers import tracking_numbers
from homeward.labels.domain import Parcel, PurchasedLabel, Quote
from homeward.labels.rate_file import CarrierRates, RateCard, Service, Surcharge


class RateCardCarrier:
    def __init__(self, card: RateCard, rates: CarrierRates) -> None:
        self.card = card
        self.rates = rates
        self.code = rates.code

    def quote(self, parcel: Parcel) -> list[Quote]:
        return [self._quote(service, parcel) for service in self.rates.services]

    def buy(self, quote: Quote, parcel: Parcel, serial: int) -> PurchasedLabel:
        service = next(s for s in self.rates.services if s.code == quote.service)
        fresh = self._quote(service, parcel)  # never trust a quote for another parcel
        if fresh.amount is None:
            raise ValueError(f"{quote.name} cannot carry this parcel: {fresh.refusal}")
        number = tracking_numbers.issue(self.rates.tracking, self.rates.account, service.service_code, serial)
        return PurchasedLabel(
            self.code, service.code, number, fresh.amount, fresh.zone, self.rates.name, service.name
        )

    def _quote(self, service: Service, parcel: Parcel) -> Quote:
        def refused(reason: str) -> Quote:
            return Quote(self.code, service.code, refusal=reason)

        country = parcel.destination.country
        if parcel.origin.country != country:
            return refused(f"carries returns only within one country ({parcel.origin.country} to {country})")
        if country not in service.countries:
            return refused(f"does not serve {country}")
        weight = parcel.weight_kg
        if weight > service.max_kg:
            return refused(f"carries parcels up to {service.max_kg.normalize():f} kg")
        zone = self.card.zone(country, parcel.origin.zip_code, parcel.destination.zip_code)
        if zone is None:
            return refused(
                f"has no zone between postal codes {parcel.origin.zip_code!r} and "
                f"{parcel.destination.zip_code!r} in {country}"
            )
        bracket = next(b for b in service.brackets if weight <= b.up_to_kg)
        base = bracket.zones[zone]
        amount = _with_surcharges(base, weight, [*self.rates.surcharges, *service.surcharges])
        return Quote(self.code, service.code, amount=amount, zone=zone)


def _with_surcharges(base: Decimal, weight: Decimal, surcharges: list[Surcharge]) -> Decimal:
    """Flat surcharges add to the base; percentages (fuel) apply to base plus flats, as carriers bill."""
    applies = [s for s in surcharges if s.over_kg is None or weight > s.over_kg]
    subtotal = base + sum((s.amount for s in applies if s.amount is not None), Decimal("0"))
    percent = sum((s.percent for s in applies if s.percent is not None), Decimal("0"))
    return to_money(subtotal * (1 + percent / 100))


def carriers_of(card: RateCard) -> list[RateCardCarrier]:
    return [RateCardCarrier(card, rates) for rates in card.carriers]

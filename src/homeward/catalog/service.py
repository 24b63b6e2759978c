"""Catalog reads shared by the doors."""

from dataclasses import dataclass

from sqlalchemy import select

from homeward.catalog.models import FulfillmentCenter
from homeward.db import Database


@dataclass(frozen=True)
class FulfillmentCenterRecord:
    id: int
    name: str
    country: str
    address1: str
    address2: str
    city: str
    state: str
    zip_code: str
    timezone: str


# Built once; every API call that lists fulfillment centers only binds and runs it.
_ALL_CENTERS = select(
    FulfillmentCenter.id,
    FulfillmentCenter.name,
    FulfillmentCenter.country,
    FulfillmentCenter.address1,
    FulfillmentCenter.address2,
    FulfillmentCenter.city,
    FulfillmentCenter.state,
    FulfillmentCenter.zip_code,
    FulfillmentCenter.timezone,
).order_by(FulfillmentCenter.id)


def list_fulfillment_centers(db: Database) -> list[FulfillmentCenterRecord]:
    with db.connect() as connection:
        return [FulfillmentCenterRecord(*row) for row in connection.execute(_ALL_CENTERS)]

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


def list_fulfillment_centers(db: Database) -> list[FulfillmentCenterRecord]:
    with db.read() as session:
        return [
            FulfillmentCenterRecord(
                fc.id,
                fc.name,
                fc.country,
                fc.address1,
                fc.address2,
                fc.city,
                fc.state,
                fc.zip_code,
                fc.timezone,
            )
            for fc in session.scalars(select(FulfillmentCenter).order_by(FulfillmentCenter.id))
        ]

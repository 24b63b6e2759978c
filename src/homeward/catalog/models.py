"""Fulfillment centers and the merchants' inventory items."""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from homeward.catalog.domain import IneligibleCategory, ReturnAction, ReturnPreference
from homeward.kit.orm import Base, UTCDateTime


class FulfillmentCenter(Base):
    __tablename__ = "fulfillment_centers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    address1: Mapped[str] = mapped_column(String(200), default="")
    address2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(100), default="")
    zip_code: Mapped[str] = mapped_column(String(20), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")


class Product(Base):
    """An inventory item. Its id is the `inventory id` every dialect speaks of."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    sku: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(String(300))
    weight_kg: Mapped[Decimal] = mapped_column(Numeric(10, 3), default=Decimal("0"))
    is_bundle: Mapped[bool] = mapped_column(Boolean, default=False)
    dangerous_goods: Mapped[bool] = mapped_column(Boolean, default=False)
    ineligible_category: Mapped[str | None] = mapped_column(String(40), default=None)
    lot_tracked: Mapped[bool] = mapped_column(Boolean, default=False)
    min_shelf_life_days: Mapped[int] = mapped_column(Integer, default=0)
    return_action: Mapped[str] = mapped_column(String(20), default=ReturnAction.RESTOCK.value)
    return_instructions: Mapped[str | None] = mapped_column(String(1000), default=None)
    backup_action: Mapped[str] = mapped_column(String(20), default=ReturnAction.DISPOSE.value)
    rts_action: Mapped[str] = mapped_column(String(20), default=ReturnAction.RESTOCK.value)
    # Up to three checks the warehouse answers for every inspected line, e.g. "seal intact".
    inspection_steps: Mapped[list[str]] = mapped_column(JSON, default=list)
    # When the merchant last set the preferences above; None: never, so they are the defaults
    # (seed 001 warns that unconfigured products risk disposals). The rules read the values only.
    preferences_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    components: Mapped[list["BundleComponent"]] = relationship(
        foreign_keys="BundleComponent.bundle_id", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def return_preference(self) -> ReturnPreference:
        return ReturnPreference(
            action=ReturnAction(self.return_action),
            instructions=self.return_instructions,
            backup_action=ReturnAction(self.backup_action),
            rts_action=ReturnAction(self.rts_action),
        )

    @property
    def category(self) -> IneligibleCategory | None:
        return IneligibleCategory(self.ineligible_category) if self.ineligible_category else None


class BundleComponent(Base):
    __tablename__ = "bundle_components"

    bundle_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    component_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)

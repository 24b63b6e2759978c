"""Per-merchant fee schedules. The charges themselves are rows of return_transactions."""

from decimal import Decimal

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from homeward.billing.domain import FeeSchedule
from homeward.kit.orm import Base, Money


class FeeScheduleRow(Base):
    __tablename__ = "fee_schedules"

    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), primary_key=True)
    return_processing: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    per_unit: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    return_to_sender: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))
    quarantine_per_unit_day: Mapped[Decimal] = mapped_column(Money(), default=Decimal("0"))

    def schedule(self) -> FeeSchedule:
        return FeeSchedule(
            return_processing=self.return_processing,
            per_unit=self.per_unit,
            return_to_sender=self.return_to_sender,
            quarantine_per_unit_day=self.quarantine_per_unit_day,
        )

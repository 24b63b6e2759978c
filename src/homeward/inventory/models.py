"""The inventory ledger as stored: append-only rows, balances are sums."""

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from homeward.kit.orm import Base, UTCDateTime


class LedgerEntry(Base):
    __tablename__ = "inventory_ledger"
    __table_args__ = (
        Index("ix_inventory_ledger_item_fc_bucket", "inventory_id", "fulfillment_center_id", "bucket"),
        Index("ix_inventory_ledger_return_item", "return_id", "inventory_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    inventory_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    fulfillment_center_id: Mapped[int] = mapped_column(ForeignKey("fulfillment_centers.id"))
    return_id: Mapped[int] = mapped_column(ForeignKey("return_orders.id"))
    inspection_id: Mapped[int | None] = mapped_column(ForeignKey("inspections.id"), default=None)
    bucket: Mapped[str] = mapped_column(String(20))  # sellable | quarantine | disposed
    quantity: Mapped[int] = mapped_column(Integer)  # signed
    kind: Mapped[str] = mapped_column(String(20))  # inspection | release
    reason: Mapped[str | None] = mapped_column(String(1000), default=None)
    # Who did it: a token's id and label, or the operator at the command line. Plain values, not
    # a foreign key: the record must outlive a revoked or deleted token.
    actor: Mapped[str] = mapped_column(String(300))
    actor_token_id: Mapped[int | None] = mapped_column(Integer, default=None)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _append_only(*_: Any) -> None:
    raise RuntimeError("the inventory ledger is append-only: append a correcting entry instead")

"""The inventory ledger's rules: buckets, what an action puts where, what a release may take.

The ledger is append-only: a balance is the sum of its entries, and a move between buckets is
two entries (one out, one in), never an update.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homeward.catalog.domain import ReturnAction
from homeward.kit.errors import FieldError, RuleViolation


class Bucket(StrEnum):
    SELLABLE = "sellable"
    QUARANTINE = "quarantine"
    DISPOSED = "disposed"


class EntryKind(StrEnum):
    INSPECTION = "inspection"  # units received and given their final action
    RELEASE = "release"  # units moved out of quarantine


BUCKET_OF = {
    ReturnAction.RESTOCK: Bucket.SELLABLE,
    ReturnAction.QUARANTINE: Bucket.QUARANTINE,
    ReturnAction.DISPOSE: Bucket.DISPOSED,
}
RELEASE_ACTIONS = (ReturnAction.RESTOCK, ReturnAction.DISPOSE)


@dataclass(frozen=True)
class Balance:
    sellable: int = 0
    quarantine: int = 0
    disposed: int = 0

    @classmethod
    def of(cls, sums: dict[Bucket, int]) -> Balance:
        return cls(
            sellable=sums.get(Bucket.SELLABLE, 0),
            quarantine=sums.get(Bucket.QUARANTINE, 0),
            disposed=sums.get(Bucket.DISPOSED, 0),
        )

    @property
    def total(self) -> int:
        return self.sellable + self.quarantine + self.disposed


@dataclass(frozen=True)
class Move:
    bucket: Bucket
    quantity: int  # signed: negative takes units out of the bucket


def release_moves(quarantined: int, quantity: int, action: ReturnAction, *, return_id: int) -> list[Move]:
    """Take units out of quarantine into sellable or disposed; never more than are there."""
    errors = []
    if action not in RELEASE_ACTIONS:
        errors.append(FieldError("action", f"must be Restock or Dispose, not {action}"))
    if quantity < 1:
        errors.append(FieldError("quantity", "must be at least 1"))
    elif quantity > quarantined:
        errors.append(
            FieldError(
                "quantity",
                f"{quantity} exceeds the {quarantined} unit(s) of this item from return {return_id} "
                "still in quarantine",
            )
        )
    if errors:
        raise RuleViolation("The release breaks one or more rules", errors)
    return [Move(Bucket.QUARANTINE, -quantity), Move(BUCKET_OF[action], quantity)]

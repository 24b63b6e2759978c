"""Personal access tokens and scopes: who is calling and what they may do."""

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from homeward.kit.errors import Forbidden

TOKEN_PREFIX = "hw_"


class Scope(StrEnum):
    RETURNS_READ = "returns_read"
    RETURNS_WRITE = "returns_write"
    CATALOG_WRITE = "catalog_write"  # import products, fulfillment centers and orders
    WAREHOUSE = "warehouse"  # receive and inspect returns in one fulfillment center, any merchant's
    REFUNDS_WRITE = "refunds_write"  # send marketplace refund files and read their acks

    @classmethod
    def merchant_defaults(cls) -> frozenset["Scope"]:
        return frozenset(s for s in cls if s is not cls.WAREHOUSE)


def new_token_secret() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: one merchant, the scopes its token grants."""

    token_id: int
    merchant_id: int
    scopes: frozenset[Scope]

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token lacks the '{scope}' scope")


@dataclass(frozen=True)
class WarehousePrincipal:
    """Warehouse staff or their scanners: one fulfillment center, every merchant's returns in it.

    `token_id` is None for an operator at the command line (`--warehouse FC_ID`); `actor` is
    what ledger entries and inspections record as who did it.
    """

    token_id: int | None
    fulfillment_center_id: int
    scopes: frozenset[Scope]
    actor: str

    def require(self, scope: Scope) -> None:
        if scope not in self.scopes:
            raise Forbidden(f"This token lacks the '{scope}' scope")

    def require_center(self, fulfillment_center_id: int) -> None:
        if fulfillment_center_id != self.fulfillment_center_id:
            raise Forbidden(
                f"This warehouse token acts for fulfillment center {self.fulfillment_center_id}, "
                f"not {fulfillment_center_id}"
            )


Caller = Principal | WarehousePrincipal

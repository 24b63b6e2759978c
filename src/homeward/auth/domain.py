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
    REFUNDS_WRITE = "refunds_write"  # send marketplace refund files and read their acks

    @classmethod
    def merchant_defaults(cls) -> frozenset["Scope"]:
        return frozenset(cls)


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

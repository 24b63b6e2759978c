"""Create and check access tokens."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from homeward.auth.domain import Principal, Scope, hash_token, new_token_secret
from homeward.auth.models import AccessToken
from homeward.kit.clock import utcnow
from homeward.kit.errors import InvalidInput, NotFound, Unauthenticated
from homeward.tenants.models import Merchant


@dataclass(frozen=True)
class IssuedToken:
    id: int
    secret: str
    scopes: frozenset[Scope]


def parse_scopes(names: list[str]) -> frozenset[Scope]:
    valid = {s.value for s in Scope}
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise InvalidInput(f"Unknown scope(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}")
    return frozenset(Scope(n) for n in names)


def create_token(session: Session, merchant_id: int, scopes: frozenset[Scope], name: str = "") -> IssuedToken:
    if session.get(Merchant, merchant_id) is None:
        raise NotFound(f"Merchant {merchant_id} does not exist")
    secret = new_token_secret()
    row = AccessToken(
        merchant_id=merchant_id,
        name=name or "personal access token",
        token_hash=hash_token(secret),
        scopes=" ".join(sorted(scopes)),
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return IssuedToken(id=row.id, secret=secret, scopes=scopes)


def authenticate(session: Session, secret: str | None) -> Principal:
    if not secret:
        raise Unauthenticated("Authorization header with a Bearer token is required")
    # Three columns by a unique index: this runs on every request, so no ORM object is built.
    row = session.execute(
        select(AccessToken.id, AccessToken.merchant_id, AccessToken.scopes).where(
            AccessToken.token_hash == hash_token(secret), AccessToken.revoked_at.is_(None)
        )
    ).first()
    if row is None:
        raise Unauthenticated("The access token is not valid")
    scopes = frozenset(Scope(s) for s in row.scopes.split() if s in Scope._value2member_map_)
    return Principal(token_id=row.id, merchant_id=row.merchant_id, scopes=scopes)

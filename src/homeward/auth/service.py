"""Create and check access tokens."""

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from homeward.auth.domain import Caller, Principal, Scope, WarehousePrincipal, hash_token, new_token_secret
from homeward.auth.models import AccessToken
from homeward.catalog.models import FulfillmentCenter
from homeward.db import DriverRead
from homeward.kit.clock import utcnow
from homeward.kit.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
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
    if Scope.WAREHOUSE in scopes:
        raise InvalidInput(
            "The warehouse scope belongs to fulfillment center tokens (token create --warehouse FC_ID)"
        )
    return _issue(session, AccessToken(merchant_id=merchant_id), scopes, name or "personal access token")


def create_warehouse_token(session: Session, fulfillment_center_id: int, name: str = "") -> IssuedToken:
    """A token for the staff of one fulfillment center: scope `warehouse`, any merchant's returns there."""
    if session.get(FulfillmentCenter, fulfillment_center_id) is None:
        raise NotFound(f"Fulfillment center {fulfillment_center_id} does not exist")
    row = AccessToken(fulfillment_center_id=fulfillment_center_id)
    return _issue(session, row, frozenset({Scope.WAREHOUSE}), name or f"warehouse {fulfillment_center_id}")


def _issue(session: Session, row: AccessToken, scopes: frozenset[Scope], name: str) -> IssuedToken:
    secret = new_token_secret()
    row.name = name
    row.token_hash = hash_token(secret)
    row.scopes = " ".join(sorted(scopes))
    row.created_at = utcnow()
    session.add(row)
    session.flush()
    return IssuedToken(id=row.id, secret=secret, scopes=scopes)


# A few columns by a unique index, built once: this runs on every request, so no ORM object (nor
# even a SQLAlchemy result) is made.
_BY_HASH = DriverRead(
    select(
        AccessToken.id,
        AccessToken.merchant_id,
        AccessToken.fulfillment_center_id,
        AccessToken.name,
        AccessToken.scopes,
    ).where(AccessToken.token_hash == bindparam("token_hash"), AccessToken.revoked_at.is_(None))
)


@lru_cache(maxsize=64)
def _scopes(names: str) -> frozenset[Scope]:
    """A token's scopes column, read (a few distinct values, read on every request); a name no
    scope has (one since retired) is left out."""
    return frozenset(Scope(s) for s in names.split() if s in Scope._value2member_map_)


def authenticate(session: Session | Connection, secret: str | None) -> Principal:
    """The merchant behind a token; warehouse tokens are refused (they speak /warehouse/v1 only)."""
    caller = authenticate_caller(session, secret)
    if isinstance(caller, WarehousePrincipal):
        raise Forbidden(
            f"This is a warehouse token for fulfillment center {caller.fulfillment_center_id}; "
            "it may be used with /warehouse/v1 only"
        )
    return caller


def authenticate_caller(session: Session | Connection, secret: str | None) -> Caller:
    """A merchant or a fulfillment center's staff, whichever the token belongs to."""
    if not secret:
        raise Unauthenticated("Authorization header with a Bearer token is required")
    connection = session if isinstance(session, Connection) else session.connection()
    row = _BY_HASH.first(connection, {"token_hash": hash_token(secret)})
    if row is None:
        raise Unauthenticated("The access token is not valid")
    token_id, merchant_id, fulfillment_center_id, name, scope_names = row
    scopes = _scopes(scope_names)
    if fulfillment_center_id is not None:
        return WarehousePrincipal(
            token_id=token_id,
            fulfillment_center_id=fulfillment_center_id,
            scopes=scopes,
            actor=f"token {token_id} ({name})",
        )
    assert merchant_id is not None, "a token has a merchant or a fulfillment center (check constraint)"
    return Principal(token_id=token_id, merchant_id=merchant_id, scopes=scopes)

"""Web user use cases: create, sign in (rate limited), look up; and the server-side session store."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from homeward.catalog.models import FulfillmentCenter
from homeward.db import Database
from homeward.kit.clock import utcnow
from homeward.kit.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    RuleViolation,
    TooManyAttempts,
    Unauthenticated,
)
from homeward.tenants.models import Merchant
from homeward.users import domain
from homeward.users.domain import WebUser
from homeward.users.models import AppSecret, SignInFailure, WebSession, WebUserRow


def create_user(
    db: Database,
    email: str,
    password: str,
    *,
    merchant_id: int | None = None,
    fulfillment_center_id: int | None = None,
) -> WebUser:
    with db.write() as session:
        return create_user_in(
            session, email, password, merchant_id=merchant_id, fulfillment_center_id=fulfillment_center_id
        )


def create_user_in(
    session: Session,
    email: str,
    password: str,
    *,
    merchant_id: int | None = None,
    fulfillment_center_id: int | None = None,
    replace: bool = False,
) -> WebUser:
    """A new web user; `replace` re-issues the password of an existing one."""
    domain.check_password(password)
    return put_hashed_user_in(
        session,
        email,
        domain.hash_password(password),
        merchant_id=merchant_id,
        fulfillment_center_id=fulfillment_center_id,
        replace=replace,
    )


def put_hashed_user_in(
    session: Session,
    email: str,
    password_hash: str,
    *,
    merchant_id: int | None = None,
    fulfillment_center_id: int | None = None,
    replace: bool = False,
) -> WebUser:
    """Store a user whose password was hashed already (the demo hashes one password per process)."""
    if (merchant_id is None) == (fulfillment_center_id is None):
        raise InvalidInput("A web user acts for exactly one merchant or one fulfillment center")
    email = domain.check_email(email)
    if merchant_id is not None and session.get(Merchant, merchant_id) is None:
        raise NotFound(f"Merchant {merchant_id} does not exist")
    if fulfillment_center_id is not None and session.get(FulfillmentCenter, fulfillment_center_id) is None:
        raise NotFound(f"Fulfillment center {fulfillment_center_id} does not exist")
    row = session.scalars(select(WebUserRow).where(WebUserRow.email == email)).first()
    if row is not None and not replace:
        raise _email_taken(email)
    if row is None:
        row = WebUserRow(email=email, created_at=utcnow())
        session.add(row)
    row.password_hash = password_hash
    row.merchant_id, row.fulfillment_center_id = merchant_id, fulfillment_center_id
    row.disabled_at = None
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _email_taken(email) from None  # a parallel create won the unique email
    return _user(row)


def sign_in(db: Database, email: str, password: str, client: str) -> WebUser:
    """The user with this email and password, else Unauthenticated; TooManyAttempts past the limit.

    A refusal is recorded in its own transaction, so the count survives the error it raises.
    """
    email, client = domain.normalize_email(email)[:254], client[:64]
    now = utcnow()
    since = domain.window_start(now)
    with db.read() as session:
        by_email = _failures(session, SignInFailure.email == email, since)
        by_client = _failures(session, SignInFailure.client == client, since)
        row = session.scalars(select(WebUserRow).where(WebUserRow.email == email)).first()
        user = _user(row) if row is not None and row.disabled_at is None else None
        stored_hash = row.password_hash if row is not None else None
    if domain.sign_in_blocked(by_email, by_client):
        minutes = int(domain.ATTEMPT_WINDOW.total_seconds() // 60)
        raise TooManyAttempts(
            f"Too many failed sign-ins. Wait {minutes} minutes, then try again.",
            [FieldError("email", "too many failed sign-ins for now")],
        )
    if user is None or stored_hash is None:
        domain.burn_verification(password)
        ok = False
    else:
        ok = domain.verify_password(password, stored_hash)
    if not ok:
        with db.write() as session:
            session.add(SignInFailure(email=email, client=client, failed_at=now))
        raise Unauthenticated(
            "The email or password is wrong.", [FieldError("password", "the email or password is wrong")]
        )
    with db.write() as session:  # a success forgets this email's earlier slips
        session.execute(delete(SignInFailure).where(SignInFailure.email == email))
    assert user is not None
    return user


def get_user(db: Database, user_id: int) -> WebUser | None:
    with db.read() as session:
        row = session.get(WebUserRow, user_id)
        return _user(row) if row is not None and row.disabled_at is None else None


def list_users(db: Database) -> list[WebUser]:
    with db.read() as session:
        return [_user(r) for r in session.scalars(select(WebUserRow).order_by(WebUserRow.id))]


def _failures(session: Session, who: object, since: object) -> int:
    query = select(func.count()).select_from(SignInFailure).where(who, SignInFailure.failed_at >= since)  # type: ignore[arg-type]
    return int(session.scalar(query) or 0)


def _email_taken(email: str) -> RuleViolation:
    return RuleViolation("The email is taken", [FieldError("email", f"{email} already has an account")])


def _user(row: WebUserRow) -> WebUser:
    return WebUser(
        id=row.id,
        email=row.email,
        merchant_id=row.merchant_id,
        fulfillment_center_id=row.fulfillment_center_id,
    )


# --- server-side sessions -------------------------------------------------------------------------


def read_session(db: Database, session_id: str) -> tuple[bytes, float] | None:
    """A live session's data and the seconds it has left, or None."""
    now = utcnow()
    with db.read() as session:
        row = session.get(WebSession, _key(session_id))
        if row is None or row.expires_at <= now:
            return None
        return row.data, (row.expires_at - now).total_seconds()


def write_session(db: Database, session_id: str, data: bytes, ttl_seconds: int) -> None:
    expires = utcnow() + timedelta(seconds=max(ttl_seconds, 1))
    with db.write() as session:
        row = session.get(WebSession, _key(session_id))
        if row is None:
            session.add(WebSession(id=_key(session_id), data=data, expires_at=expires))
            # Now and then, clear sessions that expired (cheap: an indexed range delete).
            if secrets.randbelow(100) == 0:
                session.execute(delete(WebSession).where(WebSession.expires_at <= utcnow()))
        else:
            row.data, row.expires_at = data, expires


def remove_session(db: Database, session_id: str) -> None:
    with db.write() as session:
        session.execute(delete(WebSession).where(WebSession.id == _key(session_id)))


def _key(session_id: str) -> str:
    # The cookie's id is a bearer secret: only its hash is stored, like API tokens.
    return hashlib.sha256(session_id.encode()).hexdigest()


def app_secret(db: Database, name: str) -> str:
    """A random secret shared by every process on this database (e.g. for signing CSRF cookies),
    made on first use; a race between two processes keeps the first one written."""
    with db.read() as session:
        value = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if value is not None:
        return str(value)
    try:
        with db.write() as session:
            session.add(AppSecret(name=name, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass
    with db.read() as session:
        stored = session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    assert stored is not None
    return str(stored)

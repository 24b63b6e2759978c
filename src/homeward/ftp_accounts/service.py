"""FTP account use cases: add, list, remove, re-issue a password, and sign in."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from homeward.db import Database
from homeward.ftp_accounts import domain
from homeward.ftp_accounts.models import FtpAccount
from homeward.kit.clock import utcnow
from homeward.kit.errors import FieldError, NotFound, RuleViolation
from homeward.tenants.models import Merchant


@dataclass(frozen=True)
class AccountRecord:
    username: str
    merchant_id: int


@dataclass(frozen=True)
class IssuedAccount:
    username: str
    merchant_id: int
    password: str  # shown once


def add_account(db: Database, merchant_id: int, username: str, password: str | None = None) -> IssuedAccount:
    username = domain.check_username(username)
    secret = domain.check_password(password) if password is not None else domain.new_password()
    hashed = domain.hash_password(secret)  # slow on purpose: outside the transaction
    try:
        with db.write() as session:
            if session.get(Merchant, merchant_id) is None:
                raise NotFound(f"Merchant {merchant_id} does not exist")
            if session.scalars(select(FtpAccount.id).where(FtpAccount.username == username)).first():
                raise _taken(username)
            session.add(
                FtpAccount(
                    merchant_id=merchant_id, username=username, password_hash=hashed, created_at=utcnow()
                )
            )
            session.flush()
    except IntegrityError as exc:  # a concurrent add took the name between our check and insert
        raise _taken(username) from exc
    return IssuedAccount(username, merchant_id, secret)


def set_password(db: Database, username: str, password: str | None = None) -> IssuedAccount:
    secret = domain.check_password(password) if password is not None else domain.new_password()
    hashed = domain.hash_password(secret)
    with db.write() as session:
        account = _get(session, username)
        account.password_hash = hashed
        return IssuedAccount(account.username, account.merchant_id, secret)


def put_hashed_account(session: Session, merchant_id: int, username: str, password_hash: str) -> None:
    """Create or overwrite an account inside the caller's transaction (the demo, which re-issues it)."""
    account = session.scalars(select(FtpAccount).where(FtpAccount.username == username)).first()
    if account is None:
        account = FtpAccount(username=domain.check_username(username), created_at=utcnow())
        session.add(account)
    account.merchant_id, account.password_hash = merchant_id, password_hash
    session.flush()


def remove_account(db: Database, username: str) -> None:
    with db.write() as session:
        session.delete(_get(session, username))


def list_accounts(db: Database) -> list[AccountRecord]:
    with db.read() as session:
        rows = session.scalars(select(FtpAccount).order_by(FtpAccount.username))
        return [AccountRecord(a.username, a.merchant_id) for a in rows]


def find_account(db: Database, username: str) -> AccountRecord | None:
    if not domain.USERNAME.match(username):
        return None  # not a name we could have issued (and nothing the database should see)
    with db.read() as session:
        account = session.scalars(select(FtpAccount).where(FtpAccount.username == username)).first()
        return AccountRecord(account.username, account.merchant_id) if account else None


def authenticate(db: Database, username: str, password: str) -> AccountRecord | None:
    """The account if the password is right; None for a wrong password or an unknown user alike."""
    if not domain.USERNAME.match(username):
        domain.verify_password(password, _decoy())
        return None
    with db.read() as session:
        account = session.scalars(select(FtpAccount).where(FtpAccount.username == username)).first()
        stored = account.password_hash if account else None
        record = AccountRecord(account.username, account.merchant_id) if account else None
    if stored is None:
        domain.verify_password(password, _decoy())  # same work either way: no timing hint that it exists
        return None
    return record if domain.verify_password(password, stored) else None


@cache
def _decoy() -> str:
    return domain.hash_password(domain.new_password())


def _get(session: Session, username: str) -> FtpAccount:
    account = session.scalars(select(FtpAccount).where(FtpAccount.username == username)).first()
    if account is None:
        raise NotFound(f"FTP user '{username}' does not exist")
    return account


def _taken(username: str) -> RuleViolation:
    return RuleViolation(
        f"FTP user '{username}' already exists", [FieldError("username", f"'{username}' is already taken")]
    )

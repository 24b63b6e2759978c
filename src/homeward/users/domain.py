"""Web users: who they act for, how their passwords are checked, and when sign-in is refused.

A web user acts for exactly one merchant or exactly one fulfillment center, like an API token,
and gets the same principal a token would: pages call the same services as the APIs.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from homeward.auth.domain import Principal, Scope, WarehousePrincipal
from homeward.kit.errors import FieldError, InvalidInput

EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,189}\.[^@\s]{2,63}$")
PASSWORD_MIN = 10
PASSWORD_MAX = 200

# Failed sign-ins are counted per email and per client address over a sliding window; past the
# limit the form answers "try again later" without checking the password (no guessing at speed).
ATTEMPT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_CLIENT = 20

_hasher = PasswordHasher()  # argon2id with the library's current recommended cost


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_email(email: str) -> str:
    email = normalize_email(email)
    if not EMAIL.match(email) or "\x00" in email:
        raise InvalidInput(
            "The email is not valid", [FieldError("email", "must be an address like ana@example.com")]
        )
    return email


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX or "\x00" in password:
        raise InvalidInput(
            "The password is not valid",
            [FieldError("password", f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters")],
        )
    return password


def new_password() -> str:
    return secrets.token_urlsafe(12)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, stored: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


# Spent on unknown emails too, so the answer's timing does not tell which emails have accounts.
_DUMMY_HASH = hash_password(secrets.token_urlsafe(12))


def burn_verification(password: str) -> None:
    verify_password(password, _DUMMY_HASH)


def sign_in_blocked(failures_for_email: int, failures_for_client: int) -> bool:
    return failures_for_email >= MAX_FAILURES_PER_EMAIL or failures_for_client >= MAX_FAILURES_PER_CLIENT


def window_start(now: datetime) -> datetime:
    return now - ATTEMPT_WINDOW


@dataclass(frozen=True)
class WebUser:
    """A signed-in person. `merchant_id` xor `fulfillment_center_id` is set."""

    id: int
    email: str
    merchant_id: int | None
    fulfillment_center_id: int | None

    @property
    def is_warehouse(self) -> bool:
        return self.fulfillment_center_id is not None

    def merchant_principal(self) -> Principal:
        """What the services see when this merchant user acts: every merchant scope, no token."""
        assert self.merchant_id is not None, "a merchant user has a merchant"
        return Principal(token_id=0, merchant_id=self.merchant_id, scopes=Scope.merchant_defaults())

    def warehouse_principal(self) -> WarehousePrincipal:
        assert self.fulfillment_center_id is not None, "a warehouse user has a fulfillment center"
        return WarehousePrincipal(
            token_id=None,
            fulfillment_center_id=self.fulfillment_center_id,
            scopes=frozenset({Scope.WAREHOUSE}),
            actor=f"user {self.id} ({self.email})",
        )

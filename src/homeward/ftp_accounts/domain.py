"""Usernames and password hashing for FTP accounts.

Unlike API tokens, FTP passwords may be chosen by people, so they get a slow, salted hash
(scrypt) that makes guessing expensive; the password itself is never stored or logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from homeward.kit.errors import FieldError, InvalidInput

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 200
# scrypt cost: 2**14 x 8 x 1 uses 16 MiB and tens of milliseconds per check.
_N, _R, _P = 2**14, 8, 1


def check_username(username: str) -> str:
    if not USERNAME.match(username):
        raise InvalidInput(
            "The FTP username is not valid",
            [
                FieldError(
                    "username",
                    "must be 2-63 characters: lowercase letters, digits, '.', '_' or '-', "
                    "starting with a letter or digit",
                )
            ],
        )
    return username


def check_password(password: str) -> str:
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX or "\x00" in password:
        raise InvalidInput(
            "The FTP password is not valid",
            [FieldError("password", f"must be {PASSWORD_MIN}-{PASSWORD_MAX} characters, without NUL")],
        )
    return password


def new_password() -> str:
    return secrets.token_urlsafe(18)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _scrypt(password, salt, _N, _R, _P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = _scrypt(password, base64.b64decode(salt), int(n), int(r), int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()

"""Secrets we must be able to read back (signing keys, not tokens), encrypted at rest when the
operator sets HOMEWARD_SECRET_KEY. Tokens are different: those are only ever stored hashed."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from homeward.config import get_settings

_FERNET = "fernet:"
_PLAIN = "plain:"


def _fernet() -> Fernet | None:
    key = get_settings().secret_key
    if not key:
        return None
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))


def seal(secret: str) -> str:
    fernet = _fernet()
    if fernet is None:
        return _PLAIN + secret
    return _FERNET + fernet.encrypt(secret.encode()).decode()


def unseal(stored: str) -> str:
    if stored.startswith(_PLAIN):
        return stored[len(_PLAIN) :]
    fernet = _fernet()
    if fernet is None:
        raise RuntimeError("a secret is encrypted but HOMEWARD_SECRET_KEY is not set")
    try:
        return fernet.decrypt(stored[len(_FERNET) :].encode()).decode()
    except InvalidToken as exc:
        raise RuntimeError("a secret cannot be decrypted with this HOMEWARD_SECRET_KEY") from exc

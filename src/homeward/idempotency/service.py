"""Idempotency keys: the first request with a key runs; repeats get its stored response.

The key row is written first, in its own transaction, so of two concurrent requests with one key
exactly one runs: on PostgreSQL the second insert waits for the first to commit and then hits the
unique constraint; on SQLite write transactions are serialized. The loser is told 409 (retry
later) while the winner is still running, and gets the stored response once it has finished.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from homeward.db import Database
from homeward.idempotency.models import IdempotencyKey
from homeward.kit.clock import utcnow

KEEP = timedelta(hours=24)  # a key answers the same for this long
ABANDONED = timedelta(minutes=10)  # a request still "running" this long died with its process


class Verdict(StrEnum):
    RUN = "run"  # first time: run the request, then store its response
    REPLAY = "replay"  # same key, same request, finished: answer what was answered
    MISMATCH = "mismatch"  # same key, another request
    BUSY = "busy"  # same key, same request, still running


@dataclass(frozen=True)
class Stored:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Claim:
    verdict: Verdict
    row_id: int | None = None
    stored: Stored | None = None


def claim(db: Database, caller: str, key: str, fingerprint: str) -> Claim:
    for _ in range(3):
        try:
            return _claim(db, caller, key, fingerprint)
        except IntegrityError:
            continue  # a concurrent request inserted the key first: judge against its row
    return Claim(Verdict.BUSY)


def _claim(db: Database, caller: str, key: str, fingerprint: str) -> Claim:
    now = utcnow()
    with db.write() as session:
        row = session.scalar(
            select(IdempotencyKey).where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
        )
        if row is not None:
            expired = row.created_at < now - KEEP
            abandoned = row.status_code is None and row.created_at < now - ABANDONED
            if not (expired or abandoned):
                if row.fingerprint != fingerprint:
                    return Claim(Verdict.MISMATCH)
                if row.status_code is None:
                    return Claim(Verdict.BUSY)
                headers = [(str(n), str(v)) for n, v in json.loads(row.response_headers or "[]")]
                return Claim(
                    Verdict.REPLAY, row.id, Stored(row.status_code, headers, row.response_body or b"")
                )
            session.delete(row)
            session.flush()
        fresh = IdempotencyKey(caller=caller, key=key, fingerprint=fingerprint, created_at=now)
        session.add(fresh)
        session.flush()
        return Claim(Verdict.RUN, fresh.id)


def store(db: Database, row_id: int, response: Stored) -> None:
    with db.write() as session:
        session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == row_id)
            .values(
                status_code=response.status,
                response_headers=json.dumps(response.headers),
                response_body=response.body,
            )
        )


def release(db: Database, row_id: int) -> None:
    """Forget a key whose request failed on our side (5xx): the client may try again."""
    with db.write() as session:
        session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id))


def purge_expired(db: Database) -> int:
    with db.write() as session:
        result = session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < utcnow() - KEEP))
        return int(getattr(result, "rowcount", 0) or 0)

"""Events and webhook rules, plain Python: topics, the retry schedule, secrets, receiver addresses."""

from __future__ import annotations

import base64
import ipaddress
import os
import random
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from homeward.kit.errors import FieldError, RuleViolation
from homeward.returns.domain import ReturnStatus

SECRET_PREFIX = "whsec_"  # Standard Webhooks' secret format: whsec_ + base64 of the key bytes
URL_MAX = 2000


class Topic(StrEnum):
    RETURN_CREATED = "return.created"
    RETURN_UPDATED = "return.updated"
    RETURN_ARRIVED = "return.arrived"
    RETURN_PROCESSING = "return.processing"
    RETURN_COMPLETED = "return.completed"
    RETURN_CANCELLED = "return.cancelled"
    REFUND_APPLIED = "refund.applied"


# The status a return moves to names the event that announces it.
STATUS_TOPICS: dict[ReturnStatus, Topic] = {
    ReturnStatus.AWAITING_ARRIVAL: Topic.RETURN_CREATED,
    ReturnStatus.ARRIVED: Topic.RETURN_ARRIVED,
    ReturnStatus.PROCESSING: Topic.RETURN_PROCESSING,
    ReturnStatus.COMPLETED: Topic.RETURN_COMPLETED,
    ReturnStatus.CANCELLED: Topic.RETURN_CANCELLED,
}


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    FAILING = "failing"  # a delivery gave up after retrying for the whole window


class DeliveryStatus(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


def new_event_id() -> str:
    """The id a receiver sees in `webhook-id` on every attempt, so it can drop duplicates."""
    return "evt_" + uuid.uuid4().hex


def new_event_ids(count: int) -> list[str]:
    """`count` event ids at once, for a batch of events (a refund file's): one random draw for all,
    and in the order of time then of position (uuid7's layout: 48 bits of milliseconds, then 80
    bits, random but for the counter in the last 24), so a batch's ids go into the unique index side
    by side instead of one at each random place in it. Shaped like new_event_id's."""
    milliseconds = time.time_ns() // 1_000_000 & (1 << 48) - 1
    start = int.from_bytes(os.urandom(10), "big") & ~((1 << 24) - 1)
    prefix = f"evt_{milliseconds:012x}"
    return [f"{prefix}{start + n:020x}" for n in range(count)]


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def parse_topics(topics: list[str]) -> tuple[Topic, ...]:
    """Named topics, each once, in the catalog's order; none named means every topic."""
    if not topics:
        return tuple(Topic)
    unknown = [t for t in topics if t not in Topic._value2member_map_]
    if unknown:
        allowed = ", ".join(Topic)
        raise RuleViolation(
            "Unknown webhook topic",
            [FieldError("topics", f"unknown topic {t[:60]!r}; one of {allowed}") for t in unknown],
        )
    return tuple(t for t in Topic if t.value in topics)


@dataclass(frozen=True)
class Receiver:
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line


def parse_url(url: str) -> Receiver:
    """An http(s) URL with a host; anything else is refused naming the field."""

    def bad(why: str) -> RuleViolation:
        return RuleViolation("The webhook url is not acceptable", [FieldError("url", why)])

    if len(url) > URL_MAX:
        raise bad(f"at most {URL_MAX} characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise bad(f"not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise bad("must start with https:// (or http://)")
    if not parts.hostname:
        raise bad("must name a host")
    if parts.username or parts.password:
        raise bad("must not carry credentials")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise bad("must not contain spaces or control characters")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Receiver(parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80), target)


def is_public_address(address: str) -> bool:
    """True for an address on the public internet; loopback, private, link-local (cloud metadata),
    multicast, reserved and unspecified ones are where server-side request forgery aims."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def refuse_private(host: str, addresses: list[str]) -> None:
    private = [a for a in addresses if not is_public_address(a)]
    if private:
        raise RuleViolation(
            "The webhook receiver is on a private address",
            [
                FieldError(
                    "url",
                    f"{host[:100]} resolves to {private[0]}, a private or loopback address; "
                    "the operator may allow these with HOMEWARD_WEBHOOK_ALLOW_PRIVATE=1",
                )
            ],
        )


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: attempt n waits base·2^(n-1) capped at `cap`, scaled by a
    random factor in [0.5, 1) so receivers coming back are not hit by every sender at once; retries
    go on until `retry_for` has passed since the first attempt."""

    base: float
    cap: float
    retry_for: float

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.cap, self.base * 2.0 ** min(attempt - 1, 60))
        draw = rng.random() if rng is not None else random.random()
        return ceiling * (0.5 + 0.5 * draw)

    def after_failure(
        self, attempt: int, first_attempt_at: datetime, now: datetime, rng: random.Random | None = None
    ) -> datetime | None:
        """When to try again after failed attempt `attempt`, or None: give up."""
        if (now - first_attempt_at).total_seconds() >= self.retry_for:
            return None
        return now + timedelta(seconds=self.delay(attempt, rng))


def is_success(status_code: int | None) -> bool:
    return status_code is not None and 200 <= status_code < 300

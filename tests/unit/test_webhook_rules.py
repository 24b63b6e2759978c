"""Webhook rules without a database: the retry schedule, receiver addresses, platform payloads."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.events.domain import RetryPolicy, is_public_address, parse_topics, parse_url
from homeward.integrations.domain import Platform, parse, sign, signature_matches
from homeward.kit.errors import InvalidInput, RuleViolation

FIXTURES = Path(__file__).parents[1] / "fixtures"
DAY = 24 * 3600.0


@given(
    base=st.floats(0.01, 600),
    cap=st.floats(60, 6 * 3600),
    seed=st.integers(0, 2**32),
)
def test_retries_back_off_within_bounds_and_go_on_for_the_whole_window(
    base: float, cap: float, seed: int
) -> None:
    policy = RetryPolicy(base=base, cap=max(cap, base), retry_for=DAY)
    rng = random.Random(seed)
    first = now = datetime(2026, 1, 1, tzinfo=UTC)
    attempt = 1
    while (retry := policy.after_failure(attempt, first, now, rng)) is not None:
        waited = (retry - now).total_seconds()
        ceiling = min(policy.cap, base * 2.0 ** min(attempt - 1, 60))
        assert ceiling * 0.5 - 1e-6 <= waited <= ceiling + 1e-6  # exponential, jittered, capped
        now, attempt = retry, attempt + 1
        assert attempt < 100_000
    assert (now - first).total_seconds() >= DAY  # never gives up before a day has passed
    assert (now - first).total_seconds() < DAY + policy.cap + 1


def test_the_default_schedule_tries_about_twenty_times_in_a_day() -> None:
    policy = RetryPolicy(base=10, cap=4 * 3600, retry_for=DAY + 60)
    first = now = datetime(2026, 1, 1, tzinfo=UTC)
    attempts = 1
    while (retry := policy.after_failure(attempts, first, now, random.Random(attempts))) is not None:
        now, attempts = retry, attempts + 1
    assert 12 <= attempts <= 40 and now - first >= timedelta(days=1)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.0.0.8", False),
        ("172.16.4.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("100.64.0.1", False),
        ("224.0.0.1", False),
    ],
)
def test_private_and_loopback_addresses_are_not_public(address: str, public: bool) -> None:
    assert is_public_address(address) is public


@pytest.mark.parametrize(
    "url", ["ftp://x.example/", "https://", "http://user:pw@x.example/", "https://x.example/a b", "x" * 2001]
)
def test_a_receiver_url_must_be_plain_http_or_https(url: str) -> None:
    with pytest.raises(RuleViolation) as caught:
        parse_url(url)
    assert caught.value.errors[0].field == "url"


def test_topics_are_checked_and_default_to_all() -> None:
    assert len(parse_topics([])) == 7
    with pytest.raises(RuleViolation):
        parse_topics(["return.exploded"])


@given(st.binary(max_size=300), st.text(min_size=1, max_size=40))
def test_a_platform_signature_matches_its_body_and_secret_only(body: bytes, secret: str) -> None:
    signature = sign(secret, body)
    assert signature_matches(secret, body, signature)
    assert not signature_matches(secret + "x", body, signature)
    assert not signature_matches(secret, body + b" ", signature)
    assert not signature_matches(secret, body, None)


def test_the_sample_payloads_read_as_one_return_each() -> None:
    aftership = parse(
        Platform.AFTERSHIP, json.loads((FIXTURES / "aftership_return_created.json").read_text())
    )
    loop = parse(Platform.LOOP, json.loads((FIXTURES / "loop_return_created.json").read_text()))
    assert aftership.is_creation and loop.is_creation
    assert [(i.sku, i.quantity) for i in aftership.items] == [(i.sku, i.quantity) for i in loop.items]
    assert "ACME-1001" in aftership.order_names and "ACME-1001" in loop.order_names
    assert loop.rma == "LOOP-90817263" and aftership.rma == "AS7K2M9Q"


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=5),
        lambda c: st.lists(c) | st.dictionaries(st.text(max_size=8), c),
        max_leaves=20,
    )
)
def test_any_json_is_either_read_or_refused_naming_fields(payload: object) -> None:
    for platform in Platform:
        try:
            parse(platform, payload)
        except InvalidInput as refused:
            assert refused.errors and all(e.field for e in refused.errors)

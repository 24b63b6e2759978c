"""Check digits of UPS 1Z, USPS IMpb and FedEx 12-digit tracking numbers, against published numbers."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from homeward.labels.carriers.tracking_numbers import (
    TrackingScheme,
    fedex_check_digit,
    is_valid,
    issue,
    ups_check_digit,
    usps_check_digit,
)

# Numbers published as valid examples (UPS developer docs and carriers' sample labels).
KNOWN_VALID = [
    (TrackingScheme.UPS, "1Z999AA10123456784"),
    (TrackingScheme.UPS, "1Z12345E6605272234"),
    (TrackingScheme.UPS, "1Z879E930346834440"),  # check digit 0
    (TrackingScheme.USPS, "9101026837331000039521"),
    (TrackingScheme.USPS, "9212391234567812345670"),  # check digit 0
    (TrackingScheme.FEDEX, "797806677146"),
    (TrackingScheme.FEDEX, "568838414941"),
    (TrackingScheme.FEDEX, "152152152158"),
]


@pytest.mark.parametrize(("scheme", "number"), KNOWN_VALID)
def test_published_numbers_validate(scheme: TrackingScheme, number: str) -> None:
    assert is_valid(scheme, number)


@pytest.mark.parametrize(("scheme", "number"), KNOWN_VALID)
def test_a_wrong_check_digit_is_caught(scheme: TrackingScheme, number: str) -> None:
    wrong = str((int(number[-1]) + 1) % 10)
    assert not is_valid(scheme, number[:-1] + wrong)


def test_check_digit_functions_reproduce_the_published_digits() -> None:
    assert ups_check_digit("999AA1012345678") == 4
    assert usps_check_digit("910102683733100003952") == 1
    assert fedex_check_digit("79780667714") == 6


@pytest.mark.parametrize(
    ("scheme", "number"),
    [
        (TrackingScheme.UPS, "1Z999AA1012345678"),  # one character short
        (TrackingScheme.UPS, "1A999AA10123456784"),
        (TrackingScheme.USPS, "91010268373310000395"),
        (TrackingScheme.FEDEX, "79780667714X"),
    ],
)
def test_malformed_numbers_do_not_validate(scheme: TrackingScheme, number: str) -> None:
    assert not is_valid(scheme, number)


serials = st.integers(min_value=0, max_value=10**12)


@given(
    account=st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=6, max_size=6),
    service=st.from_regex(r"\A[0-9]{2}\Z"),
    serial=serials,
)
def test_issued_ups_numbers_validate(account: str, service: str, serial: int) -> None:
    number = issue(TrackingScheme.UPS, account, service, serial)
    assert len(number) == 18 and number.startswith(f"1Z{account}{service}")
    assert is_valid(TrackingScheme.UPS, number)


@given(
    account=st.from_regex(r"\A([0-9]{6}|[0-9]{9})\Z"), service=st.from_regex(r"\A[0-9]{3}\Z"), serial=serials
)
def test_issued_usps_numbers_validate(account: str, service: str, serial: int) -> None:
    number = issue(TrackingScheme.USPS, account, service, serial)
    assert len(number) == 22 and number.startswith(f"92{service}{account}")
    assert is_valid(TrackingScheme.USPS, number)


@given(account=st.from_regex(r"\A[0-9]{1,4}\Z"), serial=serials)
def test_issued_fedex_numbers_validate(account: str, serial: int) -> None:
    number = issue(TrackingScheme.FEDEX, account, "", serial)
    assert len(number) == 12 and number.startswith(account)
    assert is_valid(TrackingScheme.FEDEX, number)


@given(serial=serials, position=st.integers(0, 20), delta=st.integers(1, 9))
def test_usps_catches_every_single_digit_error(serial: int, position: int, delta: int) -> None:
    number = issue(TrackingScheme.USPS, "902481", "055", serial)
    digit = (int(number[position]) + delta) % 10
    assert not is_valid(TrackingScheme.USPS, number[:position] + str(digit) + number[position + 1 :])


@given(first=serials, second=serials)
def test_different_packages_get_different_numbers(first: int, second: int) -> None:
    assume(first % 10**7 != second % 10**7)  # UPS has room for 7 digits of package reference
    assert issue(TrackingScheme.UPS, "HW0R37", "03", first) != issue(
        TrackingScheme.UPS, "HW0R37", "03", second
    )

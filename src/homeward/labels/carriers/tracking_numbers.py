"""Tracking numbers in each carrier's real format, with the check digit the carrier's scanners verify.

- UPS: `1Z` + 6-character shipper number + 2-digit service code + 7-digit package reference + check
  digit (the 15 characters after `1Z`, letters mapped to digits, odd positions + 2 x even ones, mod 10).
- USPS IMpb: 22 digits = channel `92` + 3-digit service type code + mailer id (6 or 9 digits) +
  serial (10 or 7 digits) + a mod-10 check digit (weights 3, 1, 3, ... from the right).
- FedEx: 12 digits = 11 digits + check digit (weights 1, 3, 7, ... from the right, mod 11, mod 10).
"""

from __future__ import annotations

import re
from enum import StrEnum
from itertools import cycle


class TrackingScheme(StrEnum):
    UPS = "ups"
    USPS = "usps"
    FEDEX = "fedex"


UPS_PATTERN = re.compile(r"^1Z[0-9A-Z]{15}[0-9]$")
USPS_PATTERN = re.compile(r"^9[0-9]{21}$")
FEDEX_PATTERN = re.compile(r"^[0-9]{12}$")


def _ups_value(char: str) -> int:
    # UPS maps A..Z onto digits by (ASCII - 63) mod 10: A=2, B=3, ... (the 1Z check-digit rule).
    return int(char) if char.isdigit() else (ord(char) - 63) % 10


def ups_check_digit(body: str) -> int:
    """Check digit for the 15 characters that follow `1Z`."""
    total = sum(_ups_value(c) * (2 if i % 2 else 1) for i, c in enumerate(body))
    return (10 - total % 10) % 10


def usps_check_digit(digits: str) -> int:
    """Mod-10 check digit of an IMpb tracking number (all digits but the last)."""
    total = sum(int(d) * w for d, w in zip(reversed(digits), cycle((3, 1)), strict=False))
    return (10 - total % 10) % 10


def fedex_check_digit(digits: str) -> int:
    """FedEx 12-digit check digit of the first 11 digits."""
    total = sum(int(d) * w for d, w in zip(reversed(digits), cycle((1, 3, 7)), strict=False))
    return total % 11 % 10


def is_valid(scheme: TrackingScheme, number: str) -> bool:
    if scheme is TrackingScheme.UPS:
        return bool(UPS_PATTERN.match(number)) and ups_check_digit(number[2:17]) == int(number[17])
    if scheme is TrackingScheme.USPS:
        return bool(USPS_PATTERN.match(number)) and usps_check_digit(number[:-1]) == int(number[-1])
    return bool(FEDEX_PATTERN.match(number)) and fedex_check_digit(number[:-1]) == int(number[-1])


def account_problem(scheme: TrackingScheme, account: str) -> str | None:
    """Why an account number cannot head this carrier's tracking numbers, or None."""
    if scheme is TrackingScheme.UPS and not re.fullmatch(r"[0-9A-Z]{6}", account):
        return "a UPS shipper number is 6 characters, digits or capital letters"
    if scheme is TrackingScheme.USPS and not re.fullmatch(r"[0-9]{6}|[0-9]{9}", account):
        return "a USPS mailer id is 6 or 9 digits"
    if scheme is TrackingScheme.FEDEX and not re.fullmatch(r"[0-9]{1,4}", account):
        return "a FedEx number prefix is 1 to 4 digits"
    return None


def service_code_problem(scheme: TrackingScheme, code: str) -> str | None:
    if scheme is TrackingScheme.UPS and not re.fullmatch(r"[0-9]{2}", code):
        return "a UPS service code is 2 digits"
    if scheme is TrackingScheme.USPS and not re.fullmatch(r"[0-9]{3}", code):
        return "a USPS service type code is 3 digits"
    if scheme is TrackingScheme.FEDEX and code:
        return "FedEx tracking numbers carry no service code; leave it empty"
    return None


def issue(scheme: TrackingScheme, account: str, service_code: str, serial: int) -> str:
    """The tracking number of package `serial` (unique per label) on this account and service.

    Serials wrap within the digits a format has room for, as carriers' own references do.
    """
    if serial < 0:
        raise ValueError("serial must not be negative")
    if scheme is TrackingScheme.UPS:
        body = f"{account}{service_code}{serial % 10**7:07d}"
        return f"1Z{body}{ups_check_digit(body)}"
    if scheme is TrackingScheme.USPS:
        width = 21 - 2 - 3 - len(account)
        digits = f"92{service_code}{account}{serial % 10**width:0{width}d}"
        return f"{digits}{usps_check_digit(digits)}"
    width = 11 - len(account)
    digits = f"{account}{serial % 10**width:0{width}d}"
    return f"{digits}{fedex_check_digit(digits)}"

"""Domain errors. Every door renders these in its own dialect (HTTP body, ack row, CLI message)."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One problem with one input field; `field` is a JSON-style path such as `inventory[0].id`."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclass
class HomewardError(Exception):
    message: str
    errors: list[FieldError] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


class NotFound(HomewardError):
    """The thing does not exist, or belongs to another tenant (we never tell which)."""


class Unauthenticated(HomewardError):
    """No credentials, or credentials we do not recognise."""


class Forbidden(HomewardError):
    """Known caller, but not allowed to do this."""


class InvalidInput(HomewardError):
    """The request is malformed or misses something required (HTTP 400)."""


class RuleViolation(HomewardError):
    """Well-formed input that breaks a business rule (HTTP 422)."""


def violation(
    errors: list[FieldError], message: str = "The request breaks one or more rules"
) -> RuleViolation:
    return RuleViolation(message=message, errors=errors)


class InsufficientStorage(HomewardError):
    """The disk a file was to be written to is full (HTTP 507); nothing was kept, try again later."""


class Unavailable(HomewardError):
    """Something we depend on (e.g. the photo store) is not answering; try again later (HTTP 503)."""


class TooManyAttempts(HomewardError):
    """The caller tried too often in too short a time; try again later (HTTP 429)."""

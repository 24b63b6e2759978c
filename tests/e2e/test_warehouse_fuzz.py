"""Schemathesis on /warehouse/v1 with a warehouse token (the general fuzz test calls it as a
merchant, which is refused before any input is read): no input yields a 5xx, every answer
matches the documented schema. Runs once per backend."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from homeward.app import create_app
from tests import support

MAX_EXAMPLES = 30


@pytest.fixture(scope="module", params=support.BACKENDS)
def api(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    with support.demo_server(request.param) as (base, demo):
        yield base, {"Authorization": f"Bearer {demo['warehouse_tokens']['1']}"}


schema = schemathesis.openapi.from_dict(create_app("sqlite://").openapi()).include(path_regex="^/warehouse/")
schema.config.generation.update(with_security_parameters=False)


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture,
    ],
)
def test_no_warehouse_input_causes_a_server_error(case: Any, api: tuple[str, dict[str, str]]) -> None:
    base, headers = api
    case.call_and_validate(base_url=base, headers=headers, excluded_checks=[positive_data_acceptance])

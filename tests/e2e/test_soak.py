"""A brief soak (the full one is `make soak`): mixed load from locust against `serve --workers 2`."""

from __future__ import annotations

import pytest
from bench.soak import run

pytestmark = pytest.mark.e2e


def test_mixed_load_answers_no_5xx_loses_nothing_and_accounts_for_every_unit(database_url: str) -> None:
    figure = run(database_url, users=12, seconds=6, workers=2)
    assert figure["requests"] >= 10, figure  # a loaded 2-core machine manages few
    assert figure["server_errors"] == {}, figure
    assert figure["creates_acknowledged"] > 0, figure
    assert figure["lost_or_partial"] == [], figure
    assert figure["duplicated_references"] == [], figure
    assert figure["units_unaccounted"] == [], figure

from __future__ import annotations

from typing import Any

import pytest

from homeward.db import Database
from tests.labels.scenarios import load_label_cases


@pytest.fixture
def cases(db: Database, demo: dict[str, Any]) -> dict[str, int]:
    """Demo data plus one shipment per label rule: case name -> shipment id."""
    return load_label_cases(db)

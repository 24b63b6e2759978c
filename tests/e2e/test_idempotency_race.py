"""Parallel requests with one Idempotency-Key against a real server with two worker processes:
one effect; every other request is told to retry (409) or gets the first answer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from homeward.db import Database
from homeward.demo.data import load
from tests.builders import merchant_headers, return_body
from tests.support import live_server

pytestmark = pytest.mark.e2e


def test_parallel_requests_with_one_key_make_one_return(database_url: str) -> None:
    demo = load(Database(database_url))
    headers = {**merchant_headers(demo), "Idempotency-Key": "race-1"}
    body = return_body(demo, reference_id="RACE-1")
    with live_server(database_url, workers=2) as base:

        def send(_: int) -> requests.Response:
            return requests.post(f"{base}/2025-07/return", json=body, headers=headers, timeout=60)

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(send, range(8)))
        final = send(0)
        listed: list[dict[str, Any]] = requests.get(
            f"{base}/2025-07/return", params={"ReferenceIds": "RACE-1"}, headers=headers, timeout=30
        ).json()["items"]

    assert {a.status_code for a in answers} <= {201, 409}
    created = [a for a in answers if a.status_code == 201]
    assert created and len({a.content for a in created}) == 1
    assert all(a.headers.get("Retry-After") == "1" for a in answers if a.status_code == 409)
    assert final.status_code == 201 and final.content == created[0].content
    assert len(listed) == 1

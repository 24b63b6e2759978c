"""Parallel label purchases for one return over real HTTP, two worker processes: one label is bought."""

from __future__ import annotations

from collections import Counter

import requests

from homeward.db import Database
from homeward.demo.data import load
from tests.builders import merchant_headers, return_body
from tests.e2e.test_concurrency import fire_together
from tests.labels.scenarios import barcodes
from tests.support import live_server

PARALLEL = 8


def test_parallel_label_requests_buy_one_label(database_url: str) -> None:
    demo = load(Database(database_url))
    headers = merchant_headers(demo)
    with live_server(database_url, workers=2) as base:
        created = requests.post(
            f"{base}/2025-07/return",
            json=return_body(demo, tracking_number=None),
            headers=headers,
            timeout=30,
        ).json()
        url = f"{base}/2025-07/return/{created['id']}/label"

        responses = fire_together(url, [{"type": "Optimized"}] * PARALLEL, headers)

        assert Counter(r.status_code for r in responses) == {201: 1, 200: PARALLEL - 1}
        assert len({r.json()["tracking_number"] for r in responses}) == 1
        final = requests.get(f"{base}/2025-07/return/{created['id']}", headers=headers, timeout=30).json()
        assert [t["transaction_type"] for t in final["transactions"]] == ["ReturnLabelInvoice"]
        pdf = requests.get(url, headers=headers, timeout=30)
        assert set(barcodes(pdf.content)) == {created["reference_id"], final["tracking_number"]}

"""Bad input at scale: each is refused with a clear 4xx naming what is wrong, within memory
bounds, and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from bench.server import running_server
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from homeward.db import Database
from homeward.refunds.models import RefundFile
from homeward.returns.models import ReturnOrder

MB = 1024 * 1024


def headers(demo: dict[str, Any]) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {demo['token']}",
        "shipbob_channel_id": str(demo["channel_id"]),
        "Content-Type": "application/json",
    }


def returns_stored(db: Database) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(ReturnOrder)) or 0)


@pytest.mark.parametrize("path", ["/2025-07/return", "/1.0/return", "/oms/v1/returns"])
def test_a_10_mb_json_body_is_a_413_naming_the_body_before_it_is_read(
    client: TestClient, db: Database, demo: dict[str, Any], path: str
) -> None:
    body = {"fulfillment_center": {"id": 1}, "inventory": [], "reference_id": "X" * (10 * MB)}
    response = client.post(path, content=json.dumps(body), headers=headers(demo))
    assert response.status_code == 413, response.text[:500]
    assert "body" in response.text and "1024 KB" in response.text
    assert returns_stored(db) == 0


def test_10000_items_in_one_return_are_refused_naming_the_field(
    client: TestClient, db: Database, demo: dict[str, Any]
) -> None:
    items = [{"id": 1001, "quantity": 1, "requested_action": "Default"} for _ in range(10_000)]
    body = {"fulfillment_center": {"id": 1}, "inventory": items, "reference_id": "MANY"}
    response = client.post("/2025-07/return", content=json.dumps(body), headers=headers(demo))
    assert response.status_code == 400, response.text[:500]
    assert "inventory" in response.json()["errors"]
    oms = {"item": [{"orderItemID": 1, "quantity": 1} for _ in range(10_000)]}
    response = client.post("/oms/v1/returns", content=json.dumps(oms), headers=headers(demo))
    assert 400 <= response.status_code < 500, response.text[:500]
    assert returns_stored(db) == 0


@pytest.mark.parametrize("path", ["/2025-07/return", "/oms/v1/returns", "/warehouse/v1/arrivals"])
def test_deeply_nested_json_is_a_400_not_a_crash(
    client: TestClient, db: Database, demo: dict[str, Any], path: str
) -> None:
    deep = '{"reference_id": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(path, content=deep, headers=headers(demo))
    assert 400 <= response.status_code < 500, response.text[:500]
    assert returns_stored(db) == 0


def test_a_200_mb_refund_file_is_a_413_and_the_server_stays_within_memory(
    database_url: str, db: Database, demo: dict[str, Any]
) -> None:
    def rows() -> Iterator[bytes]:
        row = b"JET-ACME-1001,A1,JET-ACME-1001-1,1,1,No longer want this item,,,10.00,0.80,2.00,0.16\r\n"
        chunk = row * (MB // len(row))
        yield b"merchant_order_id,alt_refund_id,order_item_id,total_quantity_returned,x\r\n"
        for _ in range(205):
            yield chunk

    with running_server(database_url) as server:
        # A small file first: what a server builds on its first upload (lazily imported code, the
        # thread pool, the database pool) is not memory the big file costs.
        warm = requests.post(
            f"http://{server.host}:{server.port}/refunds/v1/files",
            params={"name": "JET_REFUND_072316142900.csv"},
            data=b"merchant_order_id\r\n",
            headers={"Authorization": f"Bearer {demo['token']}", "Content-Type": "text/csv"},
            timeout=60,
        )
        assert warm.status_code == 200, warm.text[:500]
        before_mb = server.status_kb("VmHWM") / 1024
        response = requests.post(
            f"http://{server.host}:{server.port}/refunds/v1/files",
            params={"name": "JET_REFUND_072316143000.csv"},
            data=rows(),
            headers={"Authorization": f"Bearer {demo['token']}", "Content-Type": "text/csv"},
            timeout=300,
        )
        peak_mb = server.status_kb("VmHWM") / 1024
    assert response.status_code == 413, response.text[:500]
    assert "body" in response.json()["errors"]
    assert peak_mb - before_mb < 50, (before_mb, peak_mb)
    with db.read() as session:
        big = (
            select(func.count())
            .select_from(RefundFile)
            .where(RefundFile.name == "JET_REFUND_072316143000.csv")
        )
        assert session.scalar(big) == 0  # the refused file left nothing (the small warm-up one is stored)

"""What operators rely on: health, metrics, request ids and logs that never show a token."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.builders import merchant_headers, return_body


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def request_log(client: TestClient) -> Any:
    from homeward.doors.http.observability import JsonFormatter

    handler = Collect()
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("homeward.http")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def test_each_request_gets_an_id_and_one_log_line_without_secrets(
    client: TestClient, demo: dict[str, Any], request_log: list[str]
) -> None:
    response = client.post("/2025-07/return", json=return_body(demo), headers=merchant_headers(demo))
    given = client.get("/healthz", headers={"X-Request-ID": "trace-123"})

    assert len(response.headers["x-request-id"]) == 32
    assert given.headers["x-request-id"] == "trace-123"
    entries = [json.loads(line) for line in request_log]
    assert [(e["method"], e["route"], e["status"]) for e in entries] == [
        ("POST", "/2025-07/return", 201),
        ("GET", "/healthz", 200),
    ]
    assert entries[0]["request_id"] == response.headers["x-request-id"]
    assert demo["token"] not in "\n".join(request_log)


def test_metrics_count_requests_by_route(client: TestClient) -> None:
    client.get("/healthz")
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    assert 'homeward_http_requests_total{method="GET",route="/healthz",status="200"}' in metrics.text
    assert "homeward_http_request_duration_seconds_bucket" in metrics.text


def test_docs_and_openapi_are_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "/2025-07/return" in spec["paths"] and "/1.0/return/{id}/cancel" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_unknown_routes_and_methods_explain_themselves(client: TestClient) -> None:
    missing = client.get("/2025-07/nothing-here")
    assert missing.status_code == 404 and "No route" in missing.json()["detail"]
    wrong = client.delete("/2025-07/return")
    assert wrong.status_code == 405
    assert wrong.headers["allow"] == "GET, POST"


def test_readyz_answers_when_the_database_does(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json() == {"status": "ready"}

"""The /refunds/v1 door itself: who may call it, what a bad request gets, and the reads around files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.db import Database
from homeward.doors.refunds_api import routes
from homeward.refunds import service
from homeward.refunds.records import Inbound, Source
from tests.builders import auth
from tests.refund_files import GOOD_NAME, ORDER, TEES, read_ack, refund_csv, refund_row

DATA = refund_csv(refund_row(), refund_row(alt_refund_id="R-2", refund_reason="Because"))


def post(client: TestClient, token: str | None, data: bytes = DATA, **params: str) -> Any:
    headers = auth(token) if token else {}
    return client.post("/refunds/v1/files", params=params, content=data, headers=headers)


def test_sending_a_file_needs_a_token_with_refunds_write(client: TestClient, demo: dict[str, Any]) -> None:
    assert post(client, None, name=GOOD_NAME).status_code == 401
    refused = post(client, demo["readonly_token"], name=GOOD_NAME)
    assert refused.status_code == 403 and "refunds_write" in refused.json()["detail"]
    assert client.get("/refunds/v1/files", headers=auth(demo["token"])).json() == []  # nothing was received


@pytest.mark.parametrize(
    "params", [{}, {"name": ""}, {"name": "../JET_REFUND_072316143000.csv"}, {"name": "a\\b.csv"}]
)
def test_a_missing_or_unsafe_name_is_a_400_naming_it(
    client: TestClient, demo: dict[str, Any], params: dict[str, str]
) -> None:
    response = post(client, demo["token"], **params)
    assert response.status_code == 400, response.text
    assert "name" in response.json()["errors"]


@pytest.mark.parametrize(
    ("path", "field"),
    [("/refunds/v1/orders/JET%00X", "merchant_order_id"), ("/refunds/v1/files?name=a%00b", "name")],
)
def test_nul_in_a_path_or_query_is_a_400_naming_it(
    client: TestClient, demo: dict[str, Any], path: str, field: str
) -> None:
    response = client.get(path, headers=auth(demo["token"]))
    assert response.status_code == 400 and field in response.json()["errors"]


def test_a_body_over_the_limit_is_a_413(
    client: TestClient, demo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "MAX_UPLOAD_BYTES", 100)
    response = post(client, demo["token"], name=GOOD_NAME)
    assert response.status_code == 413 and "body" in response.json()["errors"]
    assert client.get("/refunds/v1/files", headers=auth(demo["token"])).json() == []


def test_the_answer_is_the_ack_and_the_file_can_be_read_again(
    client: TestClient, demo: dict[str, Any]
) -> None:
    response = post(client, demo["token"], name=GOOD_NAME)
    assert response.status_code == 200
    assert response.headers["x-rows-ok"] == "1" and response.headers["x-rows-failed"] == "1"
    assert 'filename="JET_REFUND_072316143000_Ack.csv"' in response.headers["content-disposition"]
    file_id = int(response.headers["x-refund-file-id"])

    listed = client.get("/refunds/v1/files", params={"name": GOOD_NAME}, headers=auth(demo["token"])).json()
    assert [(f["id"], f["status"], f["rows"], f["rows_ok"], f["rows_failed"]) for f in listed] == [
        (file_id, "done", 2, 1, 1)
    ]
    assert listed[0]["source"] == "api" and listed[0]["ack_name"] == "JET_REFUND_072316143000_Ack.csv"
    ack = client.get(f"/refunds/v1/files/{file_id}/ack", headers=auth(demo["token"]))
    assert ack.status_code == 200 and ack.content == response.content

    for path in (
        f"/refunds/v1/files/{file_id}",
        f"/refunds/v1/files/{file_id}/ack",
        f"/refunds/v1/orders/{ORDER}",
    ):
        assert client.get(path, headers=auth(demo["other_token"])).status_code == 404  # another merchant's
    assert client.get("/refunds/v1/orders/JET-NOPE", headers=auth(demo["token"])).status_code == 404
    assert client.get("/refunds/v1/returns/999999", headers=auth(demo["token"])).status_code == 404


def test_any_file_name_can_be_answered_and_read_back(client: TestClient, demo: dict[str, Any]) -> None:
    name = 'remboursés "juillet" ✓.csv'
    sent = post(client, demo["token"], name=name)
    assert sent.status_code == 200 and "is not JET_REFUND_MMDDYYHHMMSS.csv" in sent.text
    again = client.get(
        f"/refunds/v1/files/{sent.headers['x-refund-file-id']}/ack", headers=auth(demo["token"])
    )
    assert again.status_code == 200 and again.content == sent.content
    assert again.headers["content-disposition"].startswith("attachment; filename*=utf-8''rembours%C3%A9s")


def test_reading_the_ack_of_an_unfinished_file_finishes_it(
    client: TestClient, db: Database, demo: dict[str, Any], tmp_path: Path
) -> None:
    """A file whose upload was cut off by a crash (received, never processed) can still be answered."""
    upload = tmp_path / "upload.csv"
    upload.write_bytes(DATA)
    record = service.receive(db, Inbound(1, GOOD_NAME, upload, Source.API))
    listed = client.get(f"/refunds/v1/files/{record.id}", headers=auth(demo["token"])).json()
    assert listed["status"] == "processing"

    ack = client.get(f"/refunds/v1/files/{record.id}/ack", headers=auth(demo["token"]))
    assert [a["Status"] for a in read_ack(ack.content)] == ["TRUE", "FALSE"]
    assert (
        client.get(f"/refunds/v1/files/{record.id}", headers=auth(demo["token"])).json()["status"] == "done"
    )
    order = client.get(f"/refunds/v1/orders/{ORDER}", headers=auth(demo["token"])).json()
    tees = next(i for i in order["items"] if i["order_item_id"] == TEES)
    assert tees["refunded_quantity"] == 1 and tees["refundable_quantity"] == 1
    assert order["refunds"][0]["file_name"] == GOOD_NAME

    # A file that came by FTP can be read too, but stays unfinished until its FTP door delivers the ack.
    ftp_file = service.receive(db, Inbound(1, "JET_REFUND_072316143100.csv", upload, Source.FTP, "acme-jet"))
    assert client.get(f"/refunds/v1/files/{ftp_file.id}/ack", headers=auth(demo["token"])).status_code == 200
    assert [f.id for f in service.unfinished(db, Source.FTP)] == [ftp_file.id]


def test_the_refund_api_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/refunds/v1/files", "/refunds/v1/files/{file_id}/ack", "/refunds/v1/returns/{return_id}"} <= set(
        paths
    )

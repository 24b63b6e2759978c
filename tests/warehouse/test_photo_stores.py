"""Inspection photos behind one interface: a directory, or a real S3-compatible server (moto in
server mode, a separate process on a free port); served back by the app as image_url."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
import requests
from fastapi.testclient import TestClient

from homeward.app import create_app
from homeward.kit.errors import Unavailable
from homeward.photos.store import DiskStore, PhotoStore, S3Store, photo_from_upload, store_from_url
from tests.support import free_port
from tests.warehouse.flow import PNG, arrive, create, staff

BUCKET = "homeward-photos"
JPEG = b"\xff\xd8\xff\xe0" + b"\x01" * 32


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server in its own process, with a bucket; credentials are moto's dummies."""
    saved = {
        k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="us-east-1"
    )
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(endpoint, timeout=5)
                break
            except (requests.ConnectionError, requests.Timeout):  # a cold first answer can be slow
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(params=["disk", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    if request.param == "disk":
        return store_from_url(f"disk:{tmp_path}")
    endpoint = request.getfixturevalue("s3_endpoint")
    return store_from_url(f"s3://{BUCKET}/inspections?endpoint_url={endpoint}&region=us-east-1")


def test_both_stores_keep_give_back_and_forget_photos(store: PhotoStore) -> None:
    photo = photo_from_upload("label", JPEG)
    assert photo.content_type == "image/jpeg"
    store.put("r1-abc.jpg", photo)
    assert store.get("r1-abc.jpg") == JPEG
    assert store.get("r1-missing.jpg") is None
    assert store.get("../../etc/passwd") is None  # keys are ours; nothing else is ever read
    store.delete("r1-abc.jpg")
    assert store.get("r1-abc.jpg") is None


def test_the_kind_of_store_follows_the_setting(tmp_path: Path, s3_endpoint: str) -> None:
    assert isinstance(store_from_url(f"disk:{tmp_path}"), DiskStore)
    s3 = store_from_url(f"s3://{BUCKET}?endpoint_url={s3_endpoint}")
    assert isinstance(s3, S3Store) and s3.prefix == ""
    with pytest.raises(ValueError, match="HOMEWARD_PHOTO_STORE"):
        store_from_url("ftp://somewhere")


def test_an_unreachable_store_is_a_503_not_a_crash(s3_endpoint: str) -> None:
    dead = store_from_url(f"s3://{BUCKET}?endpoint_url=http://127.0.0.1:{free_port()}")
    with pytest.raises(Unavailable):
        dead.put("r1-x.png", photo_from_upload("p", PNG))


def test_photos_uploaded_with_an_inspection_land_in_s3_and_come_back_as_image_url(
    database_url: str, demo: dict[str, Any], s3_endpoint: str
) -> None:
    client = TestClient(
        create_app(database_url, photo_store=f"s3://{BUCKET}/shots?endpoint_url={s3_endpoint}")
    )
    create(
        client,
        demo,
        "PHOTO-S3",
        tracking_number="1ZPHOTOS3",
        original_shipment_id=None,
        inventory=[{"id": 1001, "quantity": 1, "requested_action": "Default"}],
    )
    return_id = arrive(client, demo, "1ZPHOTOS3").json()["id"]
    inspection = {"items": [{"inventory_id": 1001, "quantity": 1, "damaged": True, "photo": "dent"}]}
    response = client.post(
        f"/warehouse/v1/returns/{return_id}/inspections",
        data={"inspection": json.dumps(inspection)},
        files={"dent": ("dent.jpg", JPEG, "image/jpeg")},
        headers=staff(demo),
    )
    assert response.status_code == 200, response.text

    body = client.get(
        f"/2025-07/return/{return_id}", headers={"Authorization": f"Bearer {demo['token']}"}
    ).json()
    [action] = body["inventory"][0]["action_taken"]
    assert action["action"] == "Dispose" and action["image_url"].startswith("http")
    key = urlsplit(action["image_url"]).path.rsplit("/", 1)[1]
    stored = boto3.client("s3", endpoint_url=s3_endpoint).get_object(Bucket=BUCKET, Key=f"shots/{key}")
    assert stored["Body"].read() == JPEG and stored["ContentType"] == "image/jpeg"
    served = client.get(urlsplit(action["image_url"]).path)
    assert served.status_code == 200 and served.content == JPEG

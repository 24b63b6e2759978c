"""Where inspection photos live: a directory, or any S3-compatible bucket, behind one interface.

Configured by HOMEWARD_PHOTO_STORE: `disk:PATH` or `s3://BUCKET[/PREFIX]?endpoint_url=URL&region=R`
(credentials come from the usual AWS_* environment variables). Photos are served back by the app
at /warehouse/v1/photos/{key}, whichever store holds them, so a bucket need not be public.
"""

from __future__ import annotations

import errno
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from homeward.kit.errors import FieldError, InsufficientStorage, InvalidInput, Unavailable

MAX_PHOTO_BYTES = 10 * 1024 * 1024
KEY_PATTERN = re.compile(r"^[a-z0-9-]{1,80}\.(jpg|png|gif|webp)$")
_SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
)
# No space left, over quota, or over the file-size limit: the disk cannot take the photo now.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
CONTENT_TYPES = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


@dataclass(frozen=True)
class Photo:
    data: bytes
    content_type: str
    extension: str


def photo_from_upload(name: str, data: bytes) -> Photo:
    """Accept JPEG, PNG, GIF or WebP by their bytes (not by what the client claims), up to 10 MB."""
    if not data:
        raise InvalidInput("The photo is empty", [FieldError(f"photos.{name}", "is empty")])
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput("The photo is too large", [FieldError(f"photos.{name}", "must be at most 10 MB")])
    for signature, content_type, extension in _SIGNATURES:
        if data.startswith(signature):
            return Photo(data, content_type, extension)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return Photo(data, "image/webp", "webp")
    raise InvalidInput(
        "The photo is not an image", [FieldError(f"photos.{name}", "must be a JPEG, PNG, GIF or WebP image")]
    )


def new_key(return_id: int, photo: Photo) -> str:
    """Unguessable (128 random bits): the photo URL is a capability handed to the merchant."""
    return f"r{return_id}-{secrets.token_hex(16)}.{photo.extension}"


class PhotoStore(Protocol):
    def put(self, key: str, photo: Photo) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def delete(self, key: str) -> None: ...


class DiskStore:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, key: str, photo: Photo) -> None:
        partial = self.directory / f".{key}.part"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(photo.data)
            partial.replace(self.directory / key)  # readers never see half a photo
        except OSError as exc:
            partial.unlink(missing_ok=True)  # no half photo left behind
            if exc.errno in _FULL:
                raise InsufficientStorage("The photo store's disk is full; nothing was recorded") from exc
            raise Unavailable(
                f"The photo store is not available: {exc.strerror or type(exc).__name__}"
            ) from exc

    def get(self, key: str) -> bytes | None:
        path = self.directory / key
        return path.read_bytes() if KEY_PATTERN.match(key) and path.is_file() else None

    def delete(self, key: str) -> None:
        (self.directory / key).unlink(missing_ok=True)


class S3Store:
    """Any S3-compatible object store (AWS S3, MinIO, Ceph, moto...)."""

    def __init__(self, bucket: str, prefix: str = "", client: Any = None, **client_options: Any) -> None:
        import boto3

        self.bucket, self.prefix = bucket, prefix.strip("/")
        self.client = client or boto3.client("s3", **client_options)

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, photo: Photo) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self._name(key), Body=photo.data, ContentType=photo.content_type
            )
        except (BotoCoreError, ClientError) as exc:
            raise Unavailable(f"The photo store is not available: {type(exc).__name__}") from exc

    def get(self, key: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        if not KEY_PATTERN.match(key):
            return None
        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=self._name(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise Unavailable(f"The photo store is not available: {type(exc).__name__}") from exc
        except BotoCoreError as exc:
            raise Unavailable(f"The photo store is not available: {type(exc).__name__}") from exc
        return body

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._name(key))


def store_from_url(url: str) -> PhotoStore:
    if url.startswith("disk:"):
        return DiskStore(Path(url.removeprefix("disk:")).expanduser())
    if url.startswith("s3://"):
        parts = urlsplit(url)
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        client_options = {}
        if "endpoint_url" in options:
            client_options["endpoint_url"] = options["endpoint_url"]
        if "region" in options:
            client_options["region_name"] = options["region"]
        return S3Store(parts.netloc, parts.path, **client_options)
    raise ValueError(f"HOMEWARD_PHOTO_STORE must start with disk: or s3://, got {url!r}")

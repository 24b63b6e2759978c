"""Absolute links the API hands out, built from HOMEWARD_PUBLIC_URL."""

from homeward.config import get_settings

PHOTO_PATH = "/warehouse/v1/photos/"


def photo_url(key: str | None) -> str | None:
    if key is None:
        return None
    return f"{get_settings().public_url.rstrip('/')}{PHOTO_PATH}{key}"

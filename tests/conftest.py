"""Every database test runs once on SQLite and once on PostgreSQL (the `database_url` fixture)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from homeward.app import create_app
from homeward.config import get_settings
from homeward.db import Database
from homeward.demo.data import load as load_demo
from tests import support


@pytest.fixture(scope="session", autouse=True)
def _photo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Inspection photos of the whole run (apps and live servers alike) go to a temporary directory."""
    directory = tmp_path_factory.mktemp("photos")
    os.environ["HOMEWARD_PHOTO_STORE"] = f"disk:{directory}"
    get_settings.cache_clear()
    yield directory


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    directory = tmp_path_factory.mktemp("sqlite")
    with support.sqlite_template(directory) as template:
        yield template, directory


@pytest.fixture(scope="session")
def _postgres_url() -> Iterator[str]:
    with support.postgres_database() as url:
        yield url


@pytest.fixture(params=support.BACKENDS)
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated database: a fresh SQLite file, or the worker's PostgreSQL database emptied."""
    if request.param == "sqlite":
        template, directory = request.getfixturevalue("_sqlite_template")
        return support.sqlite_copy(template, directory)
    url: str = request.getfixturevalue("_postgres_url")
    support.empty_postgres(url)
    return url


@pytest.fixture
def db(database_url: str) -> Database:
    return Database(database_url)


@pytest.fixture
def demo(db: Database) -> dict[str, Any]:
    return load_demo(db)


@pytest.fixture
def client(database_url: str) -> TestClient:
    return TestClient(create_app(database_url))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Page tests write screenshots; say where, so a CI log leads to them."""
    from tests.web.browser import SCREENSHOTS

    if SCREENSHOTS.exists():
        terminalreporter.write_line(f"screenshots of the web app: {SCREENSHOTS}")


@pytest.fixture
def allow_private(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Webhook receivers on loopback are allowed (HOMEWARD_WEBHOOK_ALLOW_PRIVATE=1) for one test."""
    monkeypatch.setenv("HOMEWARD_WEBHOOK_ALLOW_PRIVATE", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("HOMEWARD_WEBHOOK_ALLOW_PRIVATE")
    get_settings.cache_clear()

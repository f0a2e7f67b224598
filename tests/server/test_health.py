"""GET /v1/health: what clients probe while they wait for the server, without signing in."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mailapp.server.config import Settings
from tests.server.conftest import RunningServer, run_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("health-server")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as running:
        yield running


def test_health_answers_without_a_sign_in(server: RunningServer) -> None:
    answer = httpx.get(f"{server.url}/v1/health", timeout=10)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}
    # What probing used before: every probe was a refused sign-in in the server's log.
    assert httpx.get(f"{server.url}/v1/session", timeout=10).status_code == 401


def test_health_answers_at_once_while_the_database_is_locked(server: RunningServer) -> None:
    """It reads and writes no database: a probe must stay cheap and quick whatever the
    database is doing (here another program holds SQLite's exclusive lock)."""
    database = Path(server.settings.database_url.removeprefix("sqlite:///"))
    holder = sqlite3.connect(database, isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        started = time.monotonic()
        answer = httpx.get(f"{server.url}/v1/health", timeout=10)
        took = time.monotonic() - started
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status_code == 200
    assert took < 1.0


def test_the_schema_documents_health_as_open_to_all(server: RunningServer) -> None:
    document = httpx.get(f"{server.url}/openapi.json", timeout=10).json()
    operation = document["paths"]["/v1/health"]["get"]
    assert "401" not in operation["responses"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Health"
    }

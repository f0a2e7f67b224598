"""MAILAPP_PROFILE_DIR: a worker writes one cProfile file on exit that includes the routes run
in the thread pool (how the 50-client load test is profiled, tests/bench/bench_server_load.py)."""

from __future__ import annotations

import pstats
from pathlib import Path

import pytest

from mailapp.server.config import Settings
from tests.server.conftest import run_server


def test_a_profiled_worker_writes_its_routes_figures_on_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILAPP_PROFILE_DIR", str(tmp_path / "profiles"))
    data = tmp_path / "data"
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as server:
        alice = server.new_user("alice")
        assert alice.client.get("/v1/mailboxes").status_code == 200
    files = list((tmp_path / "profiles").glob("worker-*.prof"))
    assert len(files) == 1
    stats = pstats.Stats(str(files[0])).stats  # type: ignore[attr-defined]
    functions = {name for (_, _, name) in stats}
    assert {"current_auth", "list_mailboxes"} <= functions  # the pool thread is profiled too

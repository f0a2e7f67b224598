"""A profile holds the user's mail: its folders are created 0700 and its files 0600 (database,
-wal, -shm, backups), under the usual 022 umask that would otherwise leave them 0644."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from mailapp.store import open_store
from mailapp.store.migrate import alembic_config, command


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_profile_is_private(tmp_path: Path) -> None:
    profile = tmp_path / "home" / "profiles" / "default"
    database = profile / "mail.sqlite3"
    with open_store(database) as store:
        store.create_account("me@example.org")
        wal, shm = Path(f"{database}-wal"), Path(f"{database}-shm")
        assert wal.exists() and shm.exists()
        assert {mode(database), mode(wal), mode(shm)} == {0o600}
    assert mode(profile) == mode(profile.parent) == mode(profile.parent.parent) == 0o700


def test_an_existing_world_readable_store_and_its_backup_become_private(tmp_path: Path) -> None:
    database = tmp_path / "mail.sqlite3"
    engine = create_engine(f"sqlite:///{database}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")  # an old store: opening migrates it
    engine.dispose()
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
    os.chmod(database, 0o644)

    with open_store(database) as store:
        assert store.accounts() == []
        assert mode(database) == mode(Path(f"{database}-wal")) == 0o600
    [backup] = tmp_path.glob("mail.sqlite3.backup-*")
    assert mode(backup) == 0o600

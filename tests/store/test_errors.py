"""Files the store must refuse, with a message naming the file and what the user can do."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from mailapp.store import (
    StoreCorruptError,
    StoreError,
    StoreLockedError,
    StoreTooNewError,
    engine,
    open_store,
)
from tests.store.conftest import add_messages, mailbox_id


def test_file_that_is_not_a_database_is_reported_and_left_alone(store_path: Path) -> None:
    garbage = os.urandom(8192)
    store_path.write_bytes(garbage)
    with pytest.raises(StoreCorruptError) as caught:
        open_store(store_path)
    assert str(store_path) in caught.value.message
    assert "backup" in caught.value.message
    assert store_path.read_bytes() == garbage


def test_damaged_database_is_reported_not_reset(store_path: Path) -> None:
    store = open_store(store_path)
    store.create_account("me@example.org")
    store.close()
    with sqlite3.connect(store_path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    data = bytearray(store_path.read_bytes())
    # Keep the 100-byte header valid, smash the schema page and everything after it.
    data[100:] = b"\xff" * (len(data) - 100)
    assert len(data) > page_size
    store_path.write_bytes(bytes(data))
    with pytest.raises(StoreCorruptError) as caught:
        reopened = open_store(store_path)
        reopened.accounts()
    assert str(store_path) in caught.value.message
    assert store_path.read_bytes() == bytes(data)


def test_store_locked_by_another_process_is_reported_quickly(store_path: Path) -> None:
    open_store(store_path).close()
    other = sqlite3.connect(store_path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreLockedError) as caught:
            open_store(store_path)
        assert time.monotonic() - started < 4
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert str(store_path) in caught.value.message
    assert "close the other mailapp window" in caught.value.message.lower()
    open_store(store_path).close()  # usable again once the other process lets go


def test_store_from_a_newer_mailapp_is_refused_unchanged(store_path: Path) -> None:
    open_store(store_path).close()
    with sqlite3.connect(store_path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999_from_the_future'")
    before = store_path.read_bytes()
    with pytest.raises(StoreTooNewError) as caught:
        open_store(store_path)
    assert str(store_path) in caught.value.message
    assert "update mailapp" in caught.value.message.lower()
    assert store_path.read_bytes() == before
    assert not list(store_path.parent.glob("*.backup-*"))


def test_foreign_sqlite_database_is_not_taken_over(store_path: Path) -> None:
    with sqlite3.connect(store_path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
        conn.execute("INSERT INTO recipes VALUES ('soup')")
    with pytest.raises(StoreCorruptError) as caught:
        open_store(store_path)
    assert isinstance(caught.value, StoreError)
    assert str(store_path) in caught.value.message
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("SELECT name FROM recipes").fetchall() == [("soup",)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"recipes"}


def test_refused_files_are_byte_for_byte_unchanged(store_path: Path) -> None:
    with sqlite3.connect(store_path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    before = store_path.read_bytes()
    with pytest.raises(StoreCorruptError):
        open_store(store_path)
    assert store_path.read_bytes() == before
    assert not store_path.with_name(store_path.name + "-wal").exists()


def test_action_blocked_by_a_stuck_writer_reports_locked_and_changes_nothing(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(engine, "BUSY_TIMEOUT_MS", 200)  # keep the test fast
    with open_store(store_path) as store:
        account = store.create_account("me@example.org")
        [msg] = add_messages(store, account, 1)
        other = sqlite3.connect(store_path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreLockedError) as caught:
                store.mark_read([msg])
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert str(store_path) in caught.value.message
        assert not store.page(mailbox_id(store, account, "inbox"))[0].is_read
        assert store.pending_mutations() == []
        store.mark_read([msg])  # works once the other writer is gone
        assert store.page(mailbox_id(store, account, "inbox"))[0].is_read

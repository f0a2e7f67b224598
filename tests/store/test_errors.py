"""Files the store must refuse, each with its own message and exit code naming the file and what
the user can do; real files, real damage, SQLite's own page limit standing in for a full disk."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from mailapp.store import (
    StoreCorruptError,
    StoreDiskFullError,
    StoreError,
    StoreLockedError,
    StoreNotADatabaseError,
    StoreTooNewError,
    engine,
    open_store,
)
from mailapp.store.first_screen import read_first_screen
from tests.store.conftest import add_messages, mailbox_id


def _copies(path: Path, label: str) -> list[Path]:
    return sorted(
        p for p in path.parent.glob(f"{path.name}.{label}-*") if "-wal" not in p.name[-4:]
    )


def test_file_that_is_not_a_database_is_reported_copied_and_left_alone(store_path: Path) -> None:
    garbage = os.urandom(8192)
    store_path.write_bytes(garbage)
    with pytest.raises(StoreNotADatabaseError) as caught:
        open_store(store_path)
    error = caught.value
    assert error.exit_code == 15
    assert str(store_path) in error.message
    assert "not a database" in error.message
    [copy] = _copies(store_path, "damaged")
    assert error.copy == copy and str(copy) in error.message
    assert copy.read_bytes() == garbage
    assert store_path.read_bytes() == garbage
    assert "corrupt" not in error.message.lower()


def test_damaged_schema_is_reported_not_reset(store_path: Path) -> None:
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
    with pytest.raises((StoreCorruptError, StoreNotADatabaseError)) as caught:
        reopened = open_store(store_path)
        reopened.accounts()
    assert str(store_path) in caught.value.message
    assert store_path.read_bytes() == bytes(data)
    assert [c.read_bytes() for c in _copies(store_path, "damaged")] == [bytes(data)]


def _damage_page_of(path: Path, table: str) -> bytes:
    """Overwrite the root page of `table` with garbage, as a failing disk would; returns the
    damaged file's bytes."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)
        ).fetchone()
    conn.close()
    data = bytearray(path.read_bytes())
    offset = (root[0] - 1) * page_size
    data[offset : offset + page_size] = bytes(range(256)) * (page_size // 256)
    path.write_bytes(bytes(data))
    return bytes(data)


def test_a_damaged_page_fails_the_integrity_check_and_a_copy_is_kept(store_path: Path) -> None:
    with open_store(store_path) as store:
        account = store.create_account("me@example.org")
        add_messages(store, account, 300)
        inbox = mailbox_id(store, account, "inbox")
    damaged = _damage_page_of(store_path, "messages")

    with pytest.raises(StoreCorruptError) as caught, open_store(store_path) as reopened:
        reopened.page(inbox, limit=50)
    error = caught.value
    assert error.exit_code == 16
    assert "integrity check failed" in error.message
    [copy] = _copies(store_path, "damaged")
    assert error.copy == copy and str(copy) in error.message
    assert copy.read_bytes() == damaged  # the copy is made before anyone moves anything
    assert store_path.read_bytes() == damaged
    assert "rename" in error.message


def test_a_full_disk_is_not_called_damage(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(store_path) as store:
        account = store.create_account("me@example.org")
        pages = sqlite3.connect(store_path).execute("PRAGMA page_count").fetchone()[0]
    # SQLite's own page limit stands in for the disk: it fails writes with SQLITE_FULL.
    apply = engine._apply_pragmas

    def with_limit(connection: object, record: object) -> None:
        apply(connection, record)
        connection.execute(f"PRAGMA max_page_count = {pages + 2}")  # type: ignore[attr-defined]

    monkeypatch.setattr(engine, "_apply_pragmas", with_limit)
    with open_store(store_path) as store:
        with pytest.raises(StoreDiskFullError) as caught:
            add_messages(store, account, 400)
        assert store.accounts()  # everything that was there still is
    error = caught.value
    assert error.exit_code == 11
    assert "is full" in error.message and "not saved" in error.message
    assert "damaged" not in error.message and not _copies(store_path, "damaged")


def test_a_full_disk_while_creating_a_profile_says_so(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    apply = engine._apply_pragmas

    def tiny(connection: object, record: object) -> None:
        apply(connection, record)
        connection.execute("PRAGMA max_page_count = 3")  # type: ignore[attr-defined]

    monkeypatch.setattr(engine, "_apply_pragmas", tiny)
    with pytest.raises(StoreDiskFullError) as caught:
        open_store(store_path)
    assert "cannot start" in caught.value.message
    # The half-made new file is gone, so the next start is not greeted by an empty database.
    assert list(store_path.parent.iterdir()) == []


def test_an_empty_database_file_is_set_aside_with_its_wal_and_the_user_told(
    store_path: Path,
) -> None:
    store_path.write_bytes(b"")
    wal = Path(f"{store_path}-wal")
    wal.write_bytes(b"WAL frames that might still be recovered" * 100)
    # The window's first-screen read must not touch it either (SQLite would delete the WAL).
    assert read_first_screen(store_path, 50) is None
    assert wal.exists()

    with open_store(store_path) as store:
        [notice] = store.notices
        assert store.accounts() == []  # a new, working store
    [kept] = _copies(store_path, "empty")
    assert kept.read_bytes() == b""
    assert Path(f"{kept}-wal").read_bytes() == b"WAL frames that might still be recovered" * 100
    assert str(kept) in notice and "empty (0 bytes)" in notice and "sign in again" in notice
    with open_store(store_path) as again:  # told once: the new file is a normal store
        assert again.notices == ()


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
    assert caught.value.exit_code == 14
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
    with pytest.raises(StoreNotADatabaseError) as caught:
        open_store(store_path)
    assert isinstance(caught.value, StoreError)
    assert "another program" in caught.value.message
    assert not _copies(store_path, "damaged")  # intact: nothing to copy, nothing to move
    assert str(store_path) in caught.value.message
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("SELECT name FROM recipes").fetchall() == [("soup",)]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"recipes"}


def test_refused_files_are_byte_for_byte_unchanged(store_path: Path) -> None:
    with sqlite3.connect(store_path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    before = store_path.read_bytes()
    with pytest.raises(StoreNotADatabaseError):
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

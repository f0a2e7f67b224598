"""Two users of one file at once: the UI reading while sync writes, from different threads."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from mailapp.store import MailStore, open_store
from mailapp.store.importer import BATCH_SIZE
from tests.conflicts import add_conflict, resolve_conflict, set_sync_state
from tests.store.conftest import Recorder, add_messages, mailbox_id, make_message


def test_reading_is_not_blocked_by_another_writer(
    store: MailStore, account: str, store_path: Path
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    add_messages(store, account, 3)
    writer = sqlite3.connect(store_path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE messages SET subject = 'uncommitted'")
    try:
        # The list still shows the last committed state, immediately.
        assert len(store.page(inbox)) == 3
        assert "uncommitted" not in {s.subject for s in store.page(inbox)}
        assert store.count(inbox) == 3
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_sync_thread_imports_while_ui_thread_reads(store_path: Path) -> None:
    ui = open_store(store_path)
    account = ui.create_account("me@example.org")
    inbox = mailbox_id(ui, account, "inbox")
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            with open_store(store_path) as store:
                for batch in range(5):
                    store.import_messages(
                        account,
                        [(inbox, make_message(f"s{batch}.{i}"), frozenset()) for i in range(200)],
                    )
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=sync)
    worker.start()
    try:
        while worker.is_alive():
            page = ui.page(inbox, limit=50)
            assert len(page) <= 50
            assert ui.count(inbox) >= len(page)
        worker.join()
        assert errors == []
        assert ui.count(inbox) == 1000
    finally:
        ui.close()


def test_big_import_notifies_per_committed_batch(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    recorder = Recorder()
    store.subscribe(recorder)
    total = BATCH_SIZE + 10
    assert (
        store.import_messages(
            account, ((inbox, make_message(f"m{i}"), frozenset()) for i in range(total))
        )
        == total
    )
    assert [len(c.messages) for c in recorder.changes] == [BATCH_SIZE, 10]
    assert set().union(*(c.messages for c in recorder.changes)) == {
        s.id for s in store.page(inbox, limit=total)
    }


def test_sync_bookkeeping_survives_reopen(store_path: Path) -> None:
    with open_store(store_path) as store:
        account = store.create_account("me@example.org")
        assert store.sync_state(account) == (None, None)
        set_sync_state(store, account, "1234")
        conflict = add_conflict(
            store,
            account,
            "email",
            "e1",
            mutation_id=7,
            base={"mailboxId": "a"},
            local={"mailboxId": "b"},
            server={"mailboxId": "c"},
        )
    with open_store(store_path) as store:
        state, synced = store.sync_state(account)
        assert state == "1234" and synced is not None
        [row] = store.open_conflicts(account)
        assert row.id == conflict and row.mutation_id == 7
        assert (row.base, row.local, row.server) == (
            {"mailboxId": "a"},
            {"mailboxId": "b"},
            {"mailboxId": "c"},
        )
        resolve_conflict(store, conflict)
        assert store.open_conflicts() == []


def test_opening_the_store_again_keeps_the_first_ones_locks_for_another_process(
    store_path: Path,
) -> None:
    """The sync thread opens its own store while the window's is open; another process (the
    feed child, `mailapp sync`) then writes and closes. Opening must not open and close the
    database file itself: closing any descriptor of a file drops every POSIX lock this process
    holds on it (SQLite's too), and the other process, finding no other user of the file,
    then deleted the WAL and its index under the window ("database disk image is malformed")."""
    window = open_store(store_path)
    account = window.create_account("me@example.org")
    inbox = mailbox_id(window, account, "inbox")
    add_messages(window, account, 2)
    with window._read() as conn:  # the window's connection, as a list read leaves it
        conn.exec_driver_sql("SELECT count(*) FROM messages").scalar()
    sync = open_store(store_path)
    try:
        other = subprocess.run(
            [sys.executable, "-c", _WRITE_AND_CLOSE, str(store_path)], check=False, timeout=60
        )
        assert other.returncode == 0
        assert {s.subject for s in window.page(inbox)} == {"written by another process"}
        # What the window writes next reaches the file (not a WAL deleted under it).
        window.create_account("second@example.org")
        fresh = sqlite3.connect(store_path)
        try:
            names = {row[0] for row in fresh.execute("SELECT email FROM accounts")}
        finally:
            fresh.close()
        assert names == {"me@example.org", "second@example.org"}
    finally:
        sync.close()
        window.close()


# Another process changes a subject and closes, as the last user of the file if it thinks so.
_WRITE_AND_CLOSE = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("UPDATE messages SET subject = 'written by another process'")
conn.close()
"""

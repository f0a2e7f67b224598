"""The first-screen snapshot (stdlib sqlite3) reads exactly what the store's own API returns."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from mailapp.core.addresses import Address
from mailapp.mime.parse import Attachment
from mailapp.store import DraftInput, MailStore, open_store, views
from mailapp.store.first_screen import SCHEMA_REVISION, read_first_screen
from mailapp.store.migrate import HEAD_REVISION
from mailapp.store.rows import PageCursor
from mailapp.ui.demo_profile import fill_demo
from tests.store.conftest import BASE_DATE, mailbox_id, make_message

PAGE = 20  # less than the Inbox holds, so paging on is tested too


def _varied_store(store: MailStore) -> None:
    """Demo mail plus what the demo lacks: non-ASCII, attachments, threads, changes
    waiting for the server (pending counts), flags and read states."""
    account = fill_demo(store, 150, seed=3)
    inbox = mailbox_id(store, account, "inbox")
    photo = Attachment("çà.png", "image/png", 4, None, False, b"\x89PNG")
    store.import_messages(
        account,
        [
            (
                inbox,
                make_message(
                    f"Grüße {n} — 日本語 ✓",
                    sender=Address("Zoë Ærø", "zoe@exämple.org") if n % 2 else None,
                    date=BASE_DATE + timedelta(days=400, minutes=n),
                    message_id=f"<m{n}@example.org>",
                    in_reply_to=f"<m{n - 1}@example.org>" if n % 3 else None,
                    attachments=[photo] if n % 4 == 0 else None,
                ),
                frozenset({"$seen"} if n % 5 == 0 else set()),
            )
            for n in range(30)
        ],
    )
    newest = store.page(inbox, None, 10)
    store.set_flagged([m.id for m in newest[:3]])
    store.mark_read([m.id for m in newest[3:6]], True)
    sending = store.save_draft(DraftInput(None, account, subject="Übermorgen", body="Bis dann"))
    store.queue_send(sending)


def test_snapshot_equals_the_store_api(store: MailStore) -> None:
    _varied_store(store)
    snapshot = read_first_screen(store.path, PAGE)

    assert snapshot is not None
    assert snapshot.accounts == store.accounts()
    assert snapshot.mailboxes == store.mailboxes()
    assert snapshot.counts == store.mailbox_counts()
    assert snapshot.pending == views.pending_count(store) > 0
    assert snapshot.pending_sends == views.pending_send_count(store) == 1
    assert snapshot.inbox_id == next(m.id for m in store.mailboxes() if m.role == "inbox")
    assert snapshot.inbox_page == store.page(snapshot.inbox_id, None, PAGE)
    assert snapshot.inbox_page == views.page(store, snapshot.inbox_id, None, PAGE)
    assert not snapshot.inbox_exhausted
    # Paging on in the store after the snapshot's last row (as the list model does once the
    # store is open) continues the same list seamlessly.
    cursor = PageCursor.after(snapshot.inbox_page[-1])
    both = store.page(snapshot.inbox_id, None, 2 * PAGE)
    assert both == snapshot.inbox_page + store.page(snapshot.inbox_id, cursor, PAGE)
    shown = snapshot.inbox_page
    assert any(m.is_flagged for m in shown) and any(m.has_attachments for m in shown)
    assert any(m.is_read for m in shown) and any(not m.is_read for m in shown)
    assert any("日本語" in m.subject for m in shown) and len({m.thread_id for m in shown}) > 1


def test_snapshot_of_a_small_inbox_says_there_is_no_more(store: MailStore) -> None:
    account = store.create_account("me@example.org")
    store.import_messages(
        account, [(mailbox_id(store, account, "inbox"), make_message("only"), frozenset())]
    )
    snapshot = read_first_screen(store.path, PAGE)
    assert snapshot is not None
    assert [m.subject for m in snapshot.inbox_page] == ["only"]
    assert snapshot.inbox_exhausted


def test_schema_revision_is_the_store_head() -> None:
    # Fails when a store revision is added: check the snapshot's queries, then bump it.
    assert SCHEMA_REVISION == HEAD_REVISION


def test_no_snapshot_for_a_missing_older_or_foreign_file(tmp_path: Path) -> None:
    missing = tmp_path / "none.sqlite3"
    assert read_first_screen(missing, PAGE) is None
    assert not missing.exists()  # read-only: never creates the file
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE notes (text TEXT)")
    conn.close()
    assert read_first_screen(foreign, PAGE) is None
    older = tmp_path / "older.sqlite3"
    open_store(older).close()
    with sqlite3.connect(older) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.close()
    assert read_first_screen(older, PAGE) is None
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database" * 100)
    assert read_first_screen(garbage, PAGE) is None


def test_snapshot_does_not_import_sqlalchemy(store: MailStore) -> None:
    fill_demo(store, 5)
    probe = (
        "import sys; from pathlib import Path; from mailapp.store.first_screen import "
        "read_first_screen; s = read_first_screen(Path(sys.argv[1]), 64); "
        "print(len(s.inbox_page), 'sqlalchemy' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, str(store.path)], capture_output=True, text=True, check=True
    )
    inbox = next(m.id for m in store.mailboxes() if m.role == "inbox")
    assert result.stdout.split() == [str(len(store.page(inbox, None, 64))), "False"]

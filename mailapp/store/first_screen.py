"""What the window shows first, read with the stdlib `sqlite3` module alone.

Why a second read path: a cold start's budget is the time to the first painted message list,
and importing SQLAlchemy (which `MailStore` is built on) costs ~150 ms of it, more than painting
the window. So the window paints from this snapshot (the mailboxes with their counts and the
first page of the Inbox) and opens the real store right after the first paint.

The queries below mirror `MailStore.accounts()/mailboxes()/mailbox_counts()/page()` and
`views.pending_count()` for the schema revision `SCHEMA_REVISION`, and return the same frozen
row values; tests/store/test_first_screen.py compares the two on the same file, so they cannot
drift. Anything unexpected (no file, another schema revision, a lock, a corrupt file) returns
None: the caller then takes the normal path, which reports problems properly.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

from mailapp.store.rows import MailboxCounts, MailboxRow, MessageSummary

# The schema these queries are written for; it equals `migrate.HEAD_REVISION` (a test checks).
# Whoever adds a store revision checks these queries (and those of store/quiet.py, which uses
# this value too) against it and updates this value.
SCHEMA_REVISION = "0014"
# Another process (sync, a second window) may hold a write lock briefly; the first screen is
# not worth waiting for, since the normal path opens the store right after anyway.
BUSY_TIMEOUT_S = 0.05
# Mirrors store._UNFINISHED (a mailbox's "pending") and views._UNFINISHED (the Outbox count).
_PENDING_IN_MAILBOX = ("pending", "in_flight")
_PENDING_ANYWHERE = ("pending", "in_flight", "failed")  # a conflict waits for the user

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _from_micros(value: int) -> datetime:
    # codec.from_micros, restated: codec imports the address parser (email.utils), ~10 ms.
    return _EPOCH + timedelta(microseconds=value)


_SUMMARY_COLUMNS = (
    "id, mailbox_id, subject, sender_name, sender_email, date, is_read, is_flagged,"
    " has_attachments, snippet, thread_id"
)


@dataclass(frozen=True)
class FirstScreen:
    """A consistent snapshot (one read transaction) of what the window paints first."""

    path: Path
    accounts: list[tuple[str, str]]  # (id, email), as MailStore.accounts()
    mailboxes: list[MailboxRow]  # as MailStore.mailboxes()
    counts: dict[str, MailboxCounts]  # as MailStore.mailbox_counts()
    pending: int  # as views.pending_count(): what the status bar shows
    pending_sends: int  # as views.pending_send_count(): the Outbox badge
    inbox_id: str | None  # the first mailbox with the inbox role, in mailboxes() order
    inbox_page: list[MessageSummary]  # its newest messages, as MailStore.page(inbox_id, None, n)
    page_size: int  # how many were asked for: fewer means the Inbox has no more

    @property
    def inbox_exhausted(self) -> bool:
        return len(self.inbox_page) < self.page_size


def read_first_screen(path: Path, page_size: int) -> FirstScreen | None:
    """The first screen of the store at `path`, or None if the normal path must be taken."""
    try:
        if path.stat().st_size == 0:
            # Even a read-only SQLite connection would delete a WAL beside an empty file:
            # open_store() sets such a file aside and tells the user.
            return None
    except OSError:
        return None  # a new profile (open_store() creates it), or one it will report on
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")
        if _revision(conn) != SCHEMA_REVISION:
            return None
        mailboxes = [
            MailboxRow(*row)
            for row in conn.execute(
                "SELECT id, account_id, name, role, parent_id, sort_order FROM mailboxes"
                " ORDER BY account_id, sort_order, name"
            )
        ]
        inbox_id = next((m.id for m in mailboxes if m.role == "inbox"), None)
        return FirstScreen(
            path=path,
            accounts=[
                (row[0], row[1])
                for row in conn.execute("SELECT id, email FROM accounts ORDER BY created_at")
            ],
            mailboxes=mailboxes,
            counts=_counts(conn),
            pending=_pending(conn),
            pending_sends=_pending(conn, sends_only=True),
            inbox_id=inbox_id,
            inbox_page=[] if inbox_id is None else _page(conn, inbox_id, page_size),
            page_size=page_size,
        )
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _revision(conn: sqlite3.Connection) -> str | None:
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no such table: not (yet) a mailapp store
        return None
    return None if row is None else str(row[0])


def _placeholders(values: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in values)


def _counts(conn: sqlite3.Connection) -> dict[str, MailboxCounts]:
    pending = dict(
        conn.execute(
            "SELECT m.mailbox_id, count(DISTINCT m.id) FROM messages AS m"
            " JOIN outbox AS o ON o.email_id = m.id"
            f" WHERE o.state IN ({_placeholders(_PENDING_IN_MAILBOX)}) GROUP BY m.mailbox_id",
            _PENDING_IN_MAILBOX,
        )
    )
    return {
        mailbox_id: MailboxCounts(total, unread, pending.get(mailbox_id, 0))
        for mailbox_id, total, unread in conn.execute(
            "SELECT id, total_count, unread_count FROM mailboxes"
        )
    }


def _pending(conn: sqlite3.Connection, *, sends_only: bool = False) -> int:
    query = f"SELECT count(*) FROM outbox WHERE state IN ({_placeholders(_PENDING_ANYWHERE)})"
    parameters: tuple[str, ...] = _PENDING_ANYWHERE
    if sends_only:  # as views.SEND_TYPES
        query += " AND type = ?"
        parameters += ("submission.create",)
    (count,) = conn.execute(query, parameters).fetchone()
    return int(count or 0)


def _page(conn: sqlite3.Connection, mailbox_id: str, limit: int) -> list[MessageSummary]:
    rows = conn.execute(
        f"SELECT {_SUMMARY_COLUMNS} FROM messages WHERE mailbox_id = ?"
        " ORDER BY date DESC, id DESC LIMIT ?",
        (mailbox_id, max(0, limit)),
    )
    return [
        MessageSummary(
            id=row[0],
            mailbox_id=row[1],
            subject=row[2],
            sender_name=row[3],
            sender_email=row[4],
            date=_from_micros(row[5]),
            is_read=bool(row[6]),
            is_flagged=bool(row[7]),
            has_attachments=bool(row[8]),
            snippet=row[9],
            thread_id=row[10],
        )
        for row in rows
    ]

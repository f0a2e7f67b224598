"""Store migration 0012: a body the server lacks stays deferred when the message's flags or
mailbox change on the server, and is asked for again when a new version leaves them as they
were (its content reached the server). Downgrading restores 0007's trigger."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from mailapp.store import open_store
from mailapp.store.migrate import alembic_config, head_revision
from mailapp.store.replica_bodies import defer_bodies, missing_bodies

INBOX = '{"keywords":[],"mailboxId":"box"}'
FLAGGED = '{"keywords":["$flagged"],"mailboxId":"box"}'
ARCHIVED = '{"keywords":["$flagged"],"mailboxId":"archive"}'


def _migrate(path: Path, to: str, *, down: bool = False) -> None:
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        (command.downgrade if down else command.upgrade)(alembic_config(conn), to)
    engine.dispose()


def _new_version(path: Path, server_id: str, version: int, base: str) -> None:
    """What store/replica_emails.update_emails writes for a newer server version."""
    with sqlite3.connect(path) as conn:
        conn.execute(
            "UPDATE messages SET base = ?, server_version = ? WHERE server_id = ?",
            (base, version, server_id),
        )


def _store_at_0011(path: Path) -> None:
    """Two synced messages without a body, as revision 0011's code left them."""
    _migrate(path, "0011")
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO accounts (id, email, created_at) VALUES ('a', 'me@b.org', 0)")
        for box in ("box", "archive"):
            conn.execute(
                "INSERT INTO mailboxes (id, account_id, name) VALUES (?, 'a', ?)", (box, box)
            )
        for num, server_id in ((10, "m10"), (20, "m20")):
            conn.execute(
                "INSERT INTO messages (num, id, account_id, mailbox_id, server_id, server_version,"
                " base, subject, date, is_read, is_flagged, keywords, has_attachments, snippet,"
                " headers) VALUES (?, ?, 'a', 'box', ?, 1, ?, 'Hi', ?, 0, 0, '[]', 0, '', '{}')",
                (num, server_id, server_id, INBOX, num),
            )


def _defer_all(path: Path) -> None:
    with open_store(path) as store:
        defer_bodies(store, ["m10", "m20"])
        assert missing_bodies(store, "a", None, 10) == []


def _due(path: Path) -> list[str]:
    with open_store(path) as store:
        return missing_bodies(store, "a", None, 10)


def test_after_0012_only_a_version_with_the_same_flags_and_mailbox_asks_again(
    store_path: Path,
) -> None:
    _store_at_0011(store_path)
    _defer_all(store_path)  # upgrades the file to head on the way
    with sqlite3.connect(store_path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )

    _new_version(store_path, "m10", 2, FLAGGED)  # flagged elsewhere
    _new_version(store_path, "m20", 2, ARCHIVED)  # flagged and moved
    assert _due(store_path) == []
    _new_version(store_path, "m10", 3, FLAGGED)  # the body reached the server
    assert _due(store_path) == ["m10"]

    # 0007's trigger again: any new version asks again.
    _migrate(store_path, "0011", down=True)
    _new_version(store_path, "m20", 3, INBOX)
    with sqlite3.connect(store_path) as conn:
        due = conn.execute(
            "SELECT message_num FROM body_queue WHERE retry_at IS NULL ORDER BY message_num"
        ).fetchall()
    assert due == [(10,), (20,)]


def test_after_0013_a_version_that_brings_the_preview_asks_again_whatever_its_flags(
    store_path: Path,
) -> None:
    """Store 0013: the body pass and a flag change pulled as one version still ask again,
    since the version fills in the preview (store/replica_emails.update_emails writes it)."""
    _store_at_0011(store_path)
    _defer_all(store_path)

    with sqlite3.connect(store_path) as conn:
        # One version: flagged elsewhere and the body's preview and paperclip filled in.
        conn.execute("UPDATE messages SET snippet = 'Hello', has_attachments = 1 WHERE num = 10")
    _new_version(store_path, "m10", 2, FLAGGED)
    _new_version(store_path, "m20", 2, FLAGGED)  # flagged only: stays deferred
    assert _due(store_path) == ["m10"]

    # Downgraded to 0012, a filled-in preview alone no longer asks again.
    _defer_all(store_path)
    _migrate(store_path, "0012", down=True)
    with sqlite3.connect(store_path) as conn:
        conn.execute("UPDATE messages SET snippet = 'Hi there' WHERE num = 20")
        due = conn.execute("SELECT message_num FROM body_queue WHERE retry_at IS NULL").fetchall()
    assert due == []

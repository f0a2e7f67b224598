"""Creating a store, and upgrading one written by the previous schema revision."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from mailapp.store import migrate, open_store
from mailapp.store.migrate import alembic_config, head_revision
from mailapp.store.schema import metadata


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_new_store_is_created_at_head_without_backup(store_path: Path) -> None:
    store = open_store(store_path)
    try:
        assert store.client_id and uuid.UUID(store.client_id)
        assert store.accounts() == []
    finally:
        store.close()
    assert _revision(store_path) == head_revision()
    assert not list(store_path.parent.glob("*.backup-*"))


def test_migrated_schema_matches_the_tables_the_code_uses(store_path: Path) -> None:
    open_store(store_path).close()
    engine = create_engine(f"sqlite:///{store_path}")
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), metadata)
    finally:
        engine.dispose()
    # The FTS5 virtual table and its shadow tables are created by raw SQL, not by metadata.
    diffs = [
        d
        for d in diffs
        if not (d[0] == "remove_table" and d[1].name.startswith(("messages_fts", "headers_fts")))
    ]
    assert diffs == []


def test_reopening_keeps_identity_and_data(store_path: Path) -> None:
    store = open_store(store_path)
    client_id = store.client_id
    account = store.create_account("me@example.org")
    store.close()
    again = open_store(store_path)
    try:
        assert again.client_id == client_id
        assert again.accounts() == [(account, "me@example.org")]
    finally:
        again.close()


def test_empty_file_becomes_a_store(store_path: Path) -> None:
    store_path.write_bytes(b"")
    store = open_store(store_path)
    try:
        assert store.accounts() == []
    finally:
        store.close()


def _store_at_previous_revision(path: Path) -> dict[str, str]:
    """A store file written by revision 0001 holding one account with one message."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    engine.dispose()
    ids = {"account": str(uuid.uuid4()), "inbox": str(uuid.uuid4()), "message": str(uuid.uuid4())}
    headers = json.dumps(
        {
            "to": [{"name": "Bob Builder", "email": "bob@example.net"}],
            "cc": [],
            "bcc": [],
            "replyTo": [],
            "inReplyTo": None,
            "references": [],
        }
    )
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(
            "INSERT INTO accounts (id, email, created_at) VALUES (?, 'me@example.org', 0)",
            (ids["account"],),
        )
        conn.execute(
            "INSERT INTO mailboxes (id, account_id, name, role) VALUES (?, ?, 'Inbox', 'inbox')",
            (ids["inbox"], ids["account"]),
        )
        conn.execute(
            "INSERT INTO messages (num, id, account_id, mailbox_id, subject, sender_name,"
            " sender_email, date, is_read, is_flagged, keywords, has_attachments, snippet, headers)"
            " VALUES (1, ?, ?, ?, 'Quarterly numbers', 'Carol', 'carol@example.com',"
            " 1700000000000000, 0, 1, '[\"$flagged\"]', 0, 'See the figures', ?)",
            (ids["message"], ids["account"], ids["inbox"], headers),
        )
        conn.execute(
            "INSERT INTO message_bodies (message_num, text_body, notes)"
            " VALUES (1, 'See the figures for the zeppelin project', '[]')"
        )
    return ids


def test_upgrade_from_previous_revision_keeps_data_and_backs_up(store_path: Path) -> None:
    ids = _store_at_previous_revision(store_path)
    store = open_store(store_path)
    try:
        inbox = ids["inbox"]
        [summary] = store.page(inbox)
        assert summary.id == ids["message"]
        assert summary.subject == "Quarterly numbers"
        assert summary.is_flagged and not summary.is_read
        assert store.count(inbox) == 1
        assert store.mailbox_counts()[inbox].unread == 1
        # Revision 0002 indexed the existing mail: body, subject, sender and recipients.
        for term in ("zeppelin", "quarterly", "carol", "builder"):
            assert [s.id for s in store.search(term)] == [ids["message"]], term
    finally:
        store.close()
    assert _revision(store_path) == head_revision()
    backup = store_path.with_name(f"{store_path.name}.backup-0001")
    assert backup.exists()
    assert _revision(backup) == "0001"
    with sqlite3.connect(backup) as conn:
        assert conn.execute("SELECT subject FROM messages").fetchall() == [("Quarterly numbers",)]


def test_second_upgrade_never_overwrites_an_earlier_backup(
    store_path: Path, tmp_path: Path
) -> None:
    _store_at_previous_revision(store_path)
    earlier = store_path.with_name(f"{store_path.name}.backup-0001")
    earlier.write_bytes(b"an older backup the user kept")
    open_store(store_path).close()
    assert earlier.read_bytes() == b"an older backup the user kept"
    backups = sorted(tmp_path.glob("mail.sqlite3.backup-0001*"))
    assert len(backups) == 2
    assert _revision(backups[1]) == "0001"


def test_failed_upgrade_leaves_the_file_at_its_old_revision(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_at_previous_revision(store_path)
    real_upgrade = migrate.command.upgrade

    def upgrade_then_crash(config: Config, revision: str) -> None:
        real_upgrade(config, revision)
        raise RuntimeError("power cut during migration")

    monkeypatch.setattr(migrate.command, "upgrade", upgrade_then_crash)
    with pytest.raises(RuntimeError, match="power cut"):
        open_store(store_path)
    assert _revision(store_path) == "0001"
    with sqlite3.connect(store_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert conn.execute("SELECT subject FROM messages").fetchall() == [("Quarterly numbers",)]
    assert "messages_fts" not in tables
    monkeypatch.undo()
    with open_store(store_path) as store:  # the next start migrates normally
        assert [s.subject for s in store.search("zeppelin")] == ["Quarterly numbers"]


def test_upgrade_queues_the_synced_messages_whose_body_is_missing(store_path: Path) -> None:
    """Revision 0007 finds the bodies still to download once; from then on it keeps count."""
    from mailapp.store.replica_bodies import missing_bodies

    engine = create_engine(f"sqlite:///{store_path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0006")
    engine.dispose()
    with sqlite3.connect(store_path) as conn:
        conn.execute("INSERT INTO accounts (id, email, created_at) VALUES ('a', 'me@b.org', 0)")
        conn.execute("INSERT INTO mailboxes (id, account_id, name) VALUES ('box', 'a', 'Inbox')")
        for num, server_id in ((10, "synced-without-body"), (20, "synced-with-body"), (30, None)):
            conn.execute(
                "INSERT INTO messages (num, id, account_id, mailbox_id, server_id, subject, date,"
                " is_read, is_flagged, keywords, has_attachments, snippet, headers)"
                " VALUES (?, ?, 'a', 'box', ?, 'Hi', ?, 0, 0, '[]', 0, '', '{}')",
                (num, server_id or "local", server_id, num),
            )
        conn.execute("INSERT INTO message_bodies (message_num, notes) VALUES (20, '[]')")
    with open_store(store_path) as store:
        assert missing_bodies(store, "a", None, 10) == ["synced-without-body"]
        # A body removed is missing again; a message deleted is not.
        with store._write() as conn:
            conn.exec_driver_sql("DELETE FROM message_bodies WHERE message_num = 20")
        assert missing_bodies(store, "a", None, 10) == ["synced-with-body", "synced-without-body"]
        with store._write() as conn:
            conn.exec_driver_sql("DELETE FROM messages WHERE num = 10")
        assert missing_bodies(store, "a", None, 10) == ["synced-with-body"]

"""Stores as an older revision's import wrote them, filled with plain SQL (the code of that
revision is gone): for the tests of the migrations that rewrite what import stored."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from mailapp.mime.parse import Attachment
from mailapp.store.migrate import alembic_config


def store_at(path: Path, revision: str) -> None:
    """An empty store at `revision`, with account 'a' and its mailbox 'box'."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), revision)
    engine.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO accounts (id, email, created_at) VALUES ('a', 'me@b.org', 0)")
        conn.execute(
            "INSERT INTO mailboxes (id, account_id, name, role)"
            " VALUES ('box', 'a', 'Inbox', 'inbox')"
        )


def add_message(
    conn: sqlite3.Connection,
    num: int,
    subject: str,
    *,
    text: str | None,
    html: str | None,
    packed_raw: bytes,
    search_text: str | None,
    parts: Sequence[Attachment],
    part_data: bool,
) -> None:
    """Message `num` (id ``m<num>``) in 'box' with its body row, raw bytes as `packed_raw`
    (``message_bodies.raw``, before 0014), its search entry and its attachments' rows (with
    their bytes when `part_data`: before 0010)."""
    conn.execute(
        "INSERT INTO messages (num, id, account_id, mailbox_id, subject, sender_name,"
        " sender_email, date, is_read, is_flagged, keywords, has_attachments, snippet,"
        " headers) VALUES (?, ?, 'a', 'box', ?, 'Ann', 'ann@example.org', ?, 0, 0, '[]',"
        " 0, '', '{\"to\":[],\"cc\":[]}')",
        (num, f"m{num}", subject, num),
    )
    conn.execute(
        "INSERT INTO message_bodies (message_num, text_body, html_body, notes, raw,"
        " search_text) VALUES (?, ?, ?, '[]', ?, ?)",
        (num, text, html, packed_raw, search_text),
    )
    conn.execute(
        "INSERT INTO messages_fts (rowid, subject, sender, recipients, body)"
        " SELECT num, subject, sender, recipients, body FROM messages_fts_source"
        " WHERE num = ?",
        (num,),
    )
    for position, part in enumerate(parts):
        conn.execute(
            "INSERT INTO attachments (id, message_num, position, filename, content_type,"
            " size, content_id, inline, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                f"p{num}.{position}",
                num,
                position,
                part.filename,
                part.content_type,
                part.size,
                part.content_id,
                part.inline,
                part.data if part_data else None,
            ),
        )

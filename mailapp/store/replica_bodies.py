"""Bodies and attachments of synced messages: headers-only rows, filled in ahead of time (recent
mail) or when opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp import wire
from mailapp.store import codec
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import attachments, message_bodies, messages
from mailapp.store.store import MailStore


def store_body(store: MailStore, email_id: str, body: wire.MessageBody) -> bool:
    """Keep a fetched body (and index its text for search); False when the message is gone."""
    from mailapp.store.fts import html_text

    with store._write() as conn:
        row = conn.execute(
            select(messages.c.num, messages.c.mailbox_id).where(messages.c.id == email_id)
        ).first()
        if row is None:
            return False
        conn.execute(
            sqlite_insert(message_bodies)
            .values(
                message_num=row.num,
                text_body=body.text,
                html_body=body.html,
                notes=codec.dumps([]),
                raw=None,
            )
            .on_conflict_do_nothing()
        )
        searchable = body.text or (html_text(body.html) if body.html else "")
        conn.exec_driver_sql(
            "UPDATE messages_fts SET body = ? WHERE rowid = ?", (searchable, row.num)
        )
    store._notify(ChangeSet(messages=frozenset({email_id}), mailboxes=frozenset({row.mailbox_id})))
    return True


def missing_bodies(
    store: MailStore, account_id: str, newer_than: datetime, limit: int
) -> list[str]:
    """Messages of the account dated after ``newer_than`` whose body is not here, newest first."""
    query = (
        select(messages.c.id)
        .outerjoin(message_bodies, message_bodies.c.message_num == messages.c.num)
        .where(
            messages.c.account_id == account_id,
            messages.c.date > codec.to_micros(newer_than),
            message_bodies.c.message_num.is_(None),
        )
        .order_by(messages.c.date.desc())
        .limit(limit)
    )
    with store._read() as conn:
        return list(conn.execute(query).scalars())


def attachment_part(store: MailStore, attachment_id: str) -> tuple[str, str] | None:
    """(server email id, part id) of a synced message's attachment, None for local ones."""
    with store._read() as conn:
        row = conn.execute(
            select(messages.c.server_id, attachments.c.id)
            .join(messages, messages.c.num == attachments.c.message_num)
            .where(attachments.c.id == attachment_id)
        ).first()
    if row is None or row.server_id is None or not attachment_id.startswith(f"{row.server_id}."):
        return None
    return row.server_id, attachment_id.removeprefix(f"{row.server_id}.")


def store_attachment(store: MailStore, attachment_id: str, data: bytes) -> None:
    with store._write() as conn:
        conn.execute(update(attachments).where(attachments.c.id == attachment_id).values(data=data))

"""Bodies and attachments of synced messages: headers-only rows, filled in ahead of time (recent
mail, or all of it) or when opened."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from mailapp import wire
from mailapp.store import codec
from mailapp.store.importer import insert_many
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import attachments, message_bodies, messages
from mailapp.store.store import MailStore

# The prefetch window (sync_state.prefetch_days) that keeps every body offline.
ALL_MAIL = -1


def store_body(store: MailStore, email_id: str, body: wire.MessageBody) -> bool:
    """Keep a fetched body (and index its text for search); False when the message is gone."""
    return bool(store_bodies(store, {email_id: body}))


def store_bodies(store: MailStore, bodies: dict[str, wire.MessageBody]) -> set[str]:
    """Keep many fetched bodies and index them for search, in ONE write transaction.

    Returns the ids kept (messages deleted here meanwhile are skipped). The caller bounds the
    batch (a few hundred), so the UI thread's reads wait for one short transaction at most.
    """
    from mailapp.store.fts import html_text

    if not bodies:
        return set()
    # Worked out before the write lock is taken: stripping HTML is the slow part.
    searchable = {
        email_id: body.text or (html_text(body.html) if body.html else "")
        for email_id, body in bodies.items()
    }
    with store._write() as conn:
        rows = conn.execute(
            select(messages.c.id, messages.c.num, messages.c.mailbox_id).where(
                messages.c.id.in_(list(bodies))
            )
        ).all()
        if not rows:
            return set()
        have = set(
            conn.execute(
                select(message_bodies.c.message_num).where(
                    message_bodies.c.message_num.in_([row.num for row in rows])
                )
            ).scalars()
        )
        fresh = [row for row in rows if row.num not in have]
        empty_notes = codec.dumps([])
        insert_many(
            conn,
            message_bodies.name,
            [
                {
                    "message_num": row.num,
                    "text_body": bodies[row.id].text,
                    "html_body": bodies[row.id].html,
                    "notes": empty_notes,
                    "raw": None,
                }
                for row in fresh
            ],
        )
        if fresh:
            conn.exec_driver_sql(
                "UPDATE messages_fts SET body = ? WHERE rowid = ?",
                [(searchable[row.id], row.num) for row in fresh],
            )
    store._notify(
        ChangeSet(
            messages=frozenset(row.id for row in rows),
            mailboxes=frozenset(row.mailbox_id for row in rows),
        )
    )
    return {row.id for row in rows}


def missing_bodies(
    store: MailStore, account_id: str, newer_than: datetime | None, limit: int
) -> list[str]:
    """Messages of the account dated after ``newer_than`` (None: all) whose body is not here,
    newest first."""
    query = (
        select(messages.c.id)
        .outerjoin(message_bodies, message_bodies.c.message_num == messages.c.num)
        .where(
            messages.c.account_id == account_id,
            messages.c.server_id.is_not(None),
            message_bodies.c.message_num.is_(None),
        )
        .order_by(messages.c.date.desc())
        .limit(limit)
    )
    if newer_than is not None:
        query = query.where(messages.c.date > codec.to_micros(newer_than))
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

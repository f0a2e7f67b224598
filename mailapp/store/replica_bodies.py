"""Bodies and attachments of synced messages: headers-only rows, filled in ahead of time (recent
mail, or all of it) or when opened."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select, text, update

from mailapp import wire
from mailapp.core.addresses import Address
from mailapp.store import codec
from mailapp.store.importer import insert_many
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import attachments, body_queue, message_bodies, messages
from mailapp.store.store import MailStore

# The prefetch window (sync_state.prefetch_days) that keeps every body offline.
ALL_MAIL = -1
# A body the server said it does not have is asked for again after an hour, then after twice
# as long each time, at most weekly (sooner when its content reaches the server: migration 0012).
RETRY_FIRST = 3600 * 1_000_000
RETRY_MAX = 7 * 24 * 3600 * 1_000_000
# Keep IN (...) lists well under SQLite's bound-parameter limit.
CHUNK = 500


def store_body(store: MailStore, email_id: str, body: wire.MessageBody) -> bool:
    """Keep a fetched body (and index its text for search); False when the message is gone."""
    return bool(store_bodies(store, {email_id: body}))


def store_bodies(store: MailStore, bodies: dict[str, wire.MessageBody]) -> set[str]:
    """Keep many fetched bodies and index them for search, in ONE transaction.

    Returns the ids kept (messages deleted here meanwhile are skipped). The caller bounds the
    batch (a few hundred), so the UI thread's reads wait for one short transaction at most.
    """
    from mailapp.store.fts import index_row, search_text

    if not bodies:
        return set()
    # Worked out before the write lock is taken: stripping HTML is the slow part.
    searchable = {email_id: search_text(body.text, body.html) for email_id, body in bodies.items()}
    with store._write() as conn:
        # Plain tuples: a Row attribute read costs SQLAlchemy a raised and caught AttributeError,
        # about a tenth of a body's whole cost over the dozen reads per row below.
        rows: list[tuple[Any, ...]] = [
            tuple(row)
            for row in conn.execute(
                select(
                    messages.c.id,
                    messages.c.num,
                    messages.c.mailbox_id,
                    messages.c.subject,
                    messages.c.sender_name,
                    messages.c.sender_email,
                    messages.c.headers,
                ).where(messages.c.id.in_(list(bodies)))
            )
        ]
        if not rows:
            return set()
        have = set(
            conn.execute(
                select(message_bodies.c.message_num).where(
                    message_bodies.c.message_num.in_([row[1] for row in rows])
                )
            ).scalars()
        )
        fresh = [row for row in rows if row[1] not in have]
        empty_notes = codec.dumps([])
        insert_many(
            conn,
            message_bodies.name,
            [
                {
                    "message_num": num,
                    "text_body": bodies[email_id].text,
                    "html_body": bodies[email_id].html,
                    "notes": empty_notes,
                    "search_text": searchable[email_id],
                }
                for email_id, num, *_rest in fresh
            ],
        )
        # The message was indexed by its headers when they arrived (headers_fts); with its
        # body it goes into messages_fts, once, and the headers entry stays (fts.py, 0011).
        insert_many(
            conn,
            "messages_fts",
            [
                index_row(
                    num,
                    subject,
                    sender_name,
                    sender_email,
                    _recipients(headers),
                    bodies[email_id].text or searchable[email_id] or "",
                )
                for email_id, num, _box, subject, sender_name, sender_email, headers in fresh
            ],
        )
    store._notify(
        ChangeSet(
            messages=frozenset(row[0] for row in rows),
            mailboxes=frozenset(row[2] for row in rows),
        )
    )
    return {row[0] for row in rows}


def _recipients(headers: str) -> list[Address]:
    listed = codec.loads(headers)
    return codec.addresses_from_wire([*listed.get("to", []), *listed.get("cc", [])])


def missing_bodies(
    store: MailStore, account_id: str, newer_than: datetime | None, limit: int
) -> list[str]:
    """Messages of the account dated after ``newer_than`` (None: all) whose body is not here,
    newest first; those the server said it lacks only once their retry time has come.

    Read from body_queue (kept by triggers), never by scanning messages: with nothing to fetch
    this is two index probes, however large the mailbox.
    """
    # A message's key is its date in microseconds, bumped past collisions, so it is never
    # below the date: the key range bounds the index walk, the date test keeps it exact.
    cutoff = -1 if newer_than is None else codec.to_micros(newer_than)
    query = (
        "SELECT m.id FROM body_queue AS q JOIN messages AS m ON m.num = q.message_num"
        " WHERE q.account_id = :account AND {due} AND q.message_num > :cutoff"
        " AND m.date > :cutoff ORDER BY q.message_num DESC LIMIT :limit"
    )
    params = {"account": account_id, "cutoff": cutoff, "now": codec.now_micros()}
    with store._read() as conn:
        wanted = list(
            conn.execute(
                text(query.format(due="q.retry_at IS NULL")), {**params, "limit": limit}
            ).scalars()
        )
        if len(wanted) < limit:
            wanted += conn.execute(
                text(query.format(due="q.retry_at <= :now")),
                {**params, "limit": limit - len(wanted)},
            ).scalars()
    return wanted


def retry_delay_micros(attempts: int) -> int:
    """How long to wait before asking again for a body the server lacked ``attempts`` times."""
    return min(RETRY_FIRST * 2 ** max(0, attempts - 1), RETRY_MAX)


def defer_bodies(store: MailStore, email_ids: Iterable[str]) -> None:
    """The server has no body for these messages: ask again only after a growing delay, or
    once a newer version of the message arrives with the same flags and mailbox, i.e. its
    content changed on the server (a trigger clears the delay then, migration 0012)."""
    ids = list(email_ids)
    if not ids:
        return
    now = codec.now_micros()
    with store._write() as conn:
        for start in range(0, len(ids), CHUNK):
            rows = conn.execute(
                select(body_queue.c.message_num, body_queue.c.attempts)
                .join(messages, messages.c.num == body_queue.c.message_num)
                .where(messages.c.id.in_(ids[start : start + CHUNK]))
            ).all()
            if rows:
                conn.exec_driver_sql(
                    "UPDATE body_queue SET attempts = ?, retry_at = ? WHERE message_num = ?",
                    [
                        (
                            row.attempts + 1,
                            now + retry_delay_micros(row.attempts + 1),
                            row.message_num,
                        )
                        for row in rows
                    ],
                )


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

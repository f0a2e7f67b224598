"""What the composer reads from the store: the account's address, addresses seen in mail, a
message as a ParsedMessage to reply to or forward, and which composers were open (crash
recovery). Re-exported by outbox_admin.py, where the UI imports them from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Connection, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from mailapp.core.addresses import Address
from mailapp.store import codec
from mailapp.store.raw_parts import find_part, parse_raw
from mailapp.store.schema import accounts, attachments, drafts, message_bodies, messages, meta
from mailapp.store.store import MailStore

if TYPE_CHECKING:
    from mailapp.mime.parse import ParsedMessage

OPEN_COMPOSERS_KEY = "open_composers"
_KNOWN_ADDRESS_SCAN = 5000


def account_address(store: MailStore, account_id: str) -> Address:
    with store._read() as conn:
        row = conn.execute(
            select(accounts.c.email, accounts.c.display_name).where(accounts.c.id == account_id)
        ).one()
    return Address(row.display_name, row.email)


def known_addresses(store: MailStore, limit: int = _KNOWN_ADDRESS_SCAN) -> list[Address]:
    """Addresses seen in recent mail (senders, To, Cc) and in drafts, most frequent first."""
    sql = text(
        """
        WITH recent AS (
            SELECT sender_name, sender_email, headers FROM messages ORDER BY num DESC LIMIT :limit
        ), found(name, email) AS (
            SELECT sender_name, sender_email FROM recent WHERE sender_email IS NOT NULL
            UNION ALL
            SELECT json_extract(j.value, '$.name'), json_extract(j.value, '$.email')
            FROM recent, json_each(recent.headers, '$.to') AS j
            UNION ALL
            SELECT json_extract(j.value, '$.name'), json_extract(j.value, '$.email')
            FROM recent, json_each(recent.headers, '$.cc') AS j
            UNION ALL
            SELECT json_extract(j.value, '$.name'), json_extract(j.value, '$.email')
            FROM drafts, json_each(drafts.fields, '$.to') AS j
        )
        SELECT lower(email) AS key, max(name) AS name, max(email) AS email, count(*) AS uses
        FROM found WHERE email IS NOT NULL AND email != ''
        GROUP BY lower(email) ORDER BY uses DESC, key
        """
    )
    with store._read() as conn:
        rows = conn.execute(sql, {"limit": limit}).all()
    return [Address(row.name or None, row.email) for row in rows]


def reply_source(store: MailStore, message_id: str) -> ParsedMessage | None:
    """The stored message as a ParsedMessage, for the core reply/forward helpers.

    Attachments whose bytes are not cached locally are left out (the caller can tell from
    ``MessageDetail.attachments``).
    """
    # Imported here: the MIME module is not needed to start the app (start-up time).
    from mailapp.mime.parse import Attachment, ParsedMessage

    with store._read() as conn:
        row = conn.execute(
            select(
                messages.c.num,
                messages.c.message_id_header,
                messages.c.subject,
                messages.c.sender_name,
                messages.c.sender_email,
                messages.c.date,
                messages.c.headers,
            ).where(messages.c.id == message_id)
        ).first()
        if row is None:
            return None
        body = conn.execute(
            select(message_bodies.c.text_body, message_bodies.c.html_body).where(
                message_bodies.c.message_num == row.num
            )
        ).first()
        parts = conn.execute(
            select(attachments)
            .where(attachments.c.message_num == row.num)
            .order_by(attachments.c.position)
        ).all()
        raw = None
        if body is not None and (body.html_body is None or any(p.data is None for p in parts)):
            from mailapp.store.raw_codec import read  # zstandard: not needed at start-up

            raw = read(conn, row.num)
    html = body.html_body if body else None
    found: list[Attachment] = []
    # Mail that keeps its raw bytes keeps its HTML and attachments only there (raw_parts.py).
    parsed = parse_raw(raw) if raw is not None else None
    if parsed is not None and html is None:
        html = parsed.html_body
    for p in parts:
        data = p.data
        if data is None and parsed is not None:
            part = find_part(parsed, p)
            data = None if part is None else part.data
        if data is not None:
            found.append(
                Attachment(p.filename, p.content_type, p.size, p.content_id, bool(p.inline), data)
            )
    headers = codec.loads(row.headers)
    sender = Address(row.sender_name, row.sender_email) if row.sender_email is not None else None
    return ParsedMessage(
        message_id=row.message_id_header,
        subject=row.subject,
        sender=sender,
        to=codec.addresses_from_wire(headers.get("to", [])),
        cc=codec.addresses_from_wire(headers.get("cc", [])),
        reply_to=codec.addresses_from_wire(headers.get("replyTo", [])),
        date=codec.from_micros(row.date),
        in_reply_to=headers.get("inReplyTo"),
        references=list(headers.get("references") or []),
        text_body=body.text_body if body else None,
        html_body=html,
        attachments=found,
    )


# --------------------------------------------------------------------------------------------
# Composers open at the moment (for recovery after a crash)


def _open_composer_ids(conn: Connection) -> list[str]:
    value = conn.execute(select(meta.c.value).where(meta.c.key == OPEN_COMPOSERS_KEY)).scalar()
    return list(codec.loads(value) or []) if value else []


def _set_open_composer_ids(conn: Connection, ids: list[str]) -> None:
    conn.execute(
        sqlite_insert(meta)
        .values(key=OPEN_COMPOSERS_KEY, value=codec.dumps(ids))
        .on_conflict_do_update(index_elements=[meta.c.key], set_={"value": codec.dumps(ids)})
    )


def mark_composer_open(store: MailStore, draft_id: str) -> None:
    with store._write() as conn:
        ids = _open_composer_ids(conn)
        if draft_id not in ids:
            _set_open_composer_ids(conn, [*ids, draft_id])


def mark_composer_closed(store: MailStore, draft_id: str) -> None:
    with store._write() as conn:
        ids = _open_composer_ids(conn)
        if draft_id in ids:
            _set_open_composer_ids(conn, [i for i in ids if i != draft_id])


def open_composer_drafts(store: MailStore, account_id: str) -> list[str]:
    """Drafts of ``account_id`` that a composer had open and never closed cleanly."""
    with store._read() as conn:
        ids = _open_composer_ids(conn)
        if not ids:
            return []
        existing = set(
            conn.execute(
                select(drafts.c.id).where(drafts.c.id.in_(ids), drafts.c.account_id == account_id)
            ).scalars()
        )
    return [i for i in ids if i in existing]

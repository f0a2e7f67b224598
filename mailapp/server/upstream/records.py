"""Upstream messages as the server's emails: whole in one write, or a header-only record
first and the body after.

The record is a normal `Email` of the account, so the change feed, `/v1/events` and every
client see upstream mail exactly as they see mail delivered locally. A message fetched whole
(`whole_row`, new mail below the size threshold, newmail.py) is parsed once and lands complete.
Otherwise the header pass fills everything the message list shows (sender, subject, date,
size, flags); the body pass adds the raw message, the preview and the attachments, and bumps
the record's modseq so clients fetch the new fields.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, bindparam, insert, update
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from mailapp.mime.parse import parse_header_block, parse_message
from mailapp.server.db import ModseqAllocator
from mailapp.server.incoming import body_fields, content_hash, header_fields
from mailapp.server.models import Email, EmailBlob, new_id
from mailapp.server.upstream import bulk

MAX_SUBJECT = 10_000


class JSONText(TypeDecorator[Any]):
    """A JSON column whose values arrive as their JSON text (`json_text`): the JSON type's
    own bind processing (a json.dumps per value and column, with a wrapper per call) was a
    tenth of an import's SQL time, most of it on empty lists. PostgreSQL still gets the
    bind cast to JSON."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


JSON_TEXT = JSONText()


def json_text(value: Any) -> str:
    """What SQLAlchemy's JSON type writes for `value` (the engines keep its json.dumps)."""
    return "[]" if isinstance(value, list) and not value else json.dumps(value)


# The Email columns of type JSON (by column name), as the import inserts them.
_EMAIL_JSON = tuple(
    column.name for column in Email.__table__.columns if isinstance(column.type, JSON)
)
_INSERT_EMAILS = insert(Email.__table__).values(
    {name: bindparam(name, type_=JSON_TEXT) for name in _EMAIL_JSON}
)


_INSERT_BLOBS = insert(EmailBlob.__table__)


def header_sha(header: bytes) -> str:
    return hashlib.sha256(header).hexdigest()


def as_utc(value: Any) -> datetime:
    if not isinstance(value, datetime):
        return datetime.now(UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def header_row(
    account_id: str,
    mailbox_id: str,
    header: bytes,
    *,
    size: int,
    received_at: datetime,
    keywords: list[str],
) -> dict[str, Any]:
    """The columns of a new email from the header block alone (no body yet), for a bulk
    insert: an import adds hundreds per transaction, and ORM objects would double its cost.
    Parsed before the transaction (which holds the account's lock); `insert_emails` gives
    the modseqs."""
    parsed = parse_header_block(header)
    fields = header_fields(parsed, received_at)
    fields["subject"] = fields["subject"][:MAX_SUBJECT]
    return {
        "id": new_id(),
        "account_id": account_id,
        "mailbox_id": mailbox_id,
        "keywords": keywords,
        **fields,
        "received_at": received_at,
        "size": size,
        "preview": "",
        "attachments": [],
        "destroyed_modseq": None,
    }


def whole_row(
    account_id: str,
    mailbox_id: str,
    raw: bytes,
    *,
    received_at: datetime,
    keywords: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The email and blob rows of a message fetched whole, from one parse (the header fields
    and the bodies together), for `insert_emails` and `insert_blobs`; parsed before the
    transaction, as `header_row`."""
    parsed = parse_message(raw)
    fields = header_fields(parsed, received_at)
    fields["subject"] = fields["subject"][:MAX_SUBJECT]
    email_id = new_id()
    row = {
        "id": email_id,
        "account_id": account_id,
        "mailbox_id": mailbox_id,
        "keywords": keywords,
        **fields,
        **body_fields(parsed),
        "received_at": received_at,
        "size": len(raw),
        "content_sha256": content_hash(raw),
        "destroyed_modseq": None,
    }
    blob = {
        "email_id": email_id,
        "raw": raw,
        # Kept with the raw message, as for mail filed locally (incoming.store_incoming).
        "bodies_parsed": True,
        "text_body": parsed.text_body,
        "html_body": parsed.html_body,
    }
    return row, blob


def header_of(raw: bytes) -> bytes:
    """The header block of a whole message as the server's `BODY[HEADER]` gives it (through
    the blank line; the whole message when it has none), so `header_sha` of either is the same
    (remap.py and moves.py match messages by it)."""
    end = raw.find(b"\r\n\r\n")
    return raw if end < 0 else raw[: end + 4]


def insert_blobs(alloc: ModseqAllocator, blobs: list[dict[str, Any]]) -> None:
    if blobs:
        bulk.insert_many(alloc.session.connection(), _INSERT_BLOBS, blobs)


def insert_emails(alloc: ModseqAllocator, rows: list[dict[str, Any]]) -> None:
    """Insert header rows, each with the next modseq (set in the dicts too)."""
    for row in rows:
        row["created_modseq"] = row["updated_modseq"] = alloc.next()
    if rows:
        # The driver's executemany: the ORM's bulk insert costs about as much again as the
        # INSERT, and Core's per-row parameter handling a tenth of the import (bulk.py).
        bulk.insert_many(
            alloc.session.connection(), _INSERT_EMAILS, [core_columns(row) for row in rows]
        )


def core_columns(row: dict[str, Any]) -> dict[str, Any]:
    """An Email row keyed by column names (the ORM attribute `from_` is the column `from`),
    its JSON columns as text (`_INSERT_EMAILS`)."""
    out = dict(row)
    if "from_" in out:
        out["from"] = out.pop("from_")
    for name in _EMAIL_JSON:
        if name in out:
            out[name] = json_text(out[name])
    return out


def body_row(email_id: str, raw: bytes) -> dict[str, Any]:
    """What only the body tells (preview, attachments), for a bulk update of the email;
    parsed before the transaction, `store_bodies` gives the modseqs."""
    # The header fields came with the header pass (header_row): not read a second time.
    parsed = parse_message(raw, read_headers=False)
    fields = body_fields(parsed)
    return {
        "b_id": email_id,
        "preview": fields["preview"],
        "attachments": fields["attachments"],
        "size": len(raw),
        "content_sha256": content_hash(raw),
        # Kept with the raw message, as for mail filed locally (incoming.store_incoming).
        "text_body": parsed.text_body,
        "html_body": parsed.html_body,
    }


_EMAIL = Email.__table__
_STORE_BODIES = (
    update(_EMAIL)
    .where(_EMAIL.c.id == bindparam("b_id"))
    .values(
        preview=bindparam("preview"),
        attachments=bindparam("b_attachments", type_=JSON_TEXT),
        size=bindparam("size"),
        content_sha256=bindparam("content_sha256"),
        updated_modseq=bindparam("updated_modseq"),
    )
)


def store_bodies(
    alloc: ModseqAllocator, rows: list[dict[str, Any]], raws: dict[str, bytes]
) -> None:
    """Write the body fields and the raw messages of many emails in two statements; each
    row gets the next modseq (set in the dicts too)."""
    if not rows:
        return
    for row in rows:
        row["updated_modseq"] = alloc.next()
    alloc.session.connection().execute(
        _STORE_BODIES,
        [
            {
                "b_id": row["b_id"],
                "preview": row["preview"],
                "b_attachments": json_text(row["attachments"]),
                "size": row["size"],
                "content_sha256": row["content_sha256"],
                "updated_modseq": row["updated_modseq"],
            }
            for row in rows
        ],
    )
    insert_blobs(
        alloc,
        [
            {
                "email_id": row["b_id"],
                "raw": raws[row["b_id"]],
                "bodies_parsed": True,
                "text_body": row["text_body"],
                "html_body": row["html_body"],
            }
            for row in rows
        ],
    )


def destroy(alloc: ModseqAllocator, email: Email) -> None:
    if email.destroyed_modseq is not None:
        return
    modseq = alloc.next()
    email.destroyed_modseq = email.updated_modseq = modseq
    blob = alloc.session.get(EmailBlob, email.id)
    if blob is not None:
        alloc.session.delete(blob)


def set_keywords(alloc: ModseqAllocator, email: Email, keywords: list[str]) -> bool:
    if email.destroyed_modseq is not None or sorted(email.keywords or []) == keywords:
        return False
    email.keywords = keywords
    email.updated_modseq = alloc.next()
    return True

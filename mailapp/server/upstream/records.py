"""Upstream messages as the server's emails: a header-only record first, the body after.

The record is a normal `Email` of the account, so the change feed, `/v1/events` and every
client see upstream mail exactly as they see mail delivered locally. The header pass fills
everything the message list shows (sender, subject, date, size, flags); the body pass adds the
raw message, the preview and the attachments, and bumps the record's modseq so clients fetch
the new fields.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from mailapp.server.db import ModseqAllocator
from mailapp.server.mime import (
    addresses,
    attachment_parts,
    body_parts,
    message_ids,
    parse,
    part_text,
    preview,
)
from mailapp.server.models import Email, EmailBlob, new_id

MAX_SUBJECT = 10_000


def header_sha(header: bytes) -> str:
    return hashlib.sha256(header).hexdigest()


def _header(message: Any, name: str) -> Any:
    try:
        return message[name]
    except Exception:  # a malformed header must not stop the import of the whole folder
        return None


def _date(message: Any, fallback: datetime) -> datetime:
    value = _header(message, "Date")
    parsed = getattr(value, "datetime", None)
    if not isinstance(parsed, datetime):
        try:
            parsed = parsedate_to_datetime(str(value)) if value is not None else None
        except (TypeError, ValueError):
            parsed = None
    if parsed is None:
        return fallback
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def as_utc(value: Any) -> datetime:
    if not isinstance(value, datetime):
        return datetime.now(UTC)
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def email_from_header(
    alloc: ModseqAllocator,
    mailbox_id: str,
    header: bytes,
    *,
    size: int,
    received_at: datetime,
    keywords: list[str],
) -> Email:
    """A new email from the header block alone (no body yet); added to the session."""
    message = parse(header + (b"" if header.endswith(b"\r\n\r\n") else b"\r\n"))
    modseq = alloc.next()
    subject = _header(message, "Subject")
    found_ids = message_ids(_header(message, "Message-ID"))
    email = Email(
        id=new_id(),
        account_id=alloc.account_id,
        mailbox_id=mailbox_id,
        keywords=keywords,
        message_id=found_ids[0] if found_ids else None,
        in_reply_to=message_ids(_header(message, "In-Reply-To")),
        references=message_ids(_header(message, "References")),
        subject=str(subject)[:MAX_SUBJECT] if subject is not None else "",
        from_=addresses(message, "From"),
        sender=addresses(message, "Sender"),
        to=addresses(message, "To"),
        cc=addresses(message, "Cc"),
        bcc=addresses(message, "Bcc"),
        reply_to=addresses(message, "Reply-To"),
        date=_date(message, received_at),
        received_at=received_at,
        size=size,
        preview="",
        attachments=[],
        created_modseq=modseq,
        updated_modseq=modseq,
    )
    alloc.session.add(email)
    return email


def fill_body(alloc: ModseqAllocator, email: Email, raw: bytes) -> None:
    """Store the full message and what only the body tells (preview, attachments)."""
    message = parse(raw)
    plain, rich = body_parts(message)
    attachments = []
    for part_id, part in attachment_parts(message):
        payload = part.get_payload(decode=True)
        attachments.append(
            {
                "partId": part_id,
                "name": part.get_filename(),
                "contentType": part.get_content_type(),
                "size": len(payload) if isinstance(payload, bytes) else 0,
                "inline": part.get_content_disposition() == "inline",
            }
        )
    email.preview = preview(part_text(plain), part_text(rich))
    email.attachments = attachments
    email.size = len(raw)
    alloc.session.add(EmailBlob(email_id=email.id, raw=raw))
    email.updated_modseq = alloc.next()


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

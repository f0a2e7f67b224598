"""Filing received and sent messages into an account's mailboxes (parsed with ``mailapp.mime``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailapp.mime.addresses import Address
from mailapp.mime.parse import ParsedMessage, parse_message
from mailapp.server.db import bump_modseq
from mailapp.server.models import Email, EmailBlob, Mailbox

ROLES = frozenset({"inbox", "drafts", "sent", "trash", "archive", "junk"})
PREVIEW_CHARS = 256


class UnknownMailbox(LookupError):
    """No live mailbox with that role or id in the account."""


def find_mailbox(session: Session, account_id: str, role_or_id: str) -> Mailbox:
    column = Mailbox.role if role_or_id in ROLES else Mailbox.id
    mailbox = session.scalars(
        select(Mailbox).where(
            Mailbox.account_id == account_id,
            column == role_or_id,
            Mailbox.destroyed_modseq.is_(None),
        )
    ).first()
    if mailbox is None:
        raise UnknownMailbox(role_or_id)
    return mailbox


def content_hash(raw: bytes) -> str:
    """What tells two messages apart: their exact bytes (a Message-ID may be shared)."""
    return hashlib.sha256(raw).hexdigest()


def _wire(addresses: list[Address]) -> list[dict[str, Any]]:
    return [{"name": a.name, "email": a.email} for a in addresses]


def _bracketed(message_id: str | None) -> str | None:
    # The wire has always carried message ids with their angle brackets.
    return f"<{message_id}>" if message_id else None


def _attachments(parsed: ParsedMessage) -> list[dict[str, Any]]:
    return [
        {
            "partId": a.part_id,
            "name": a.filename,
            "contentType": a.content_type,
            "size": a.size,
            "inline": a.inline,
        }
        for a in parsed.attachments
        if a.part_id is not None
    ]


def header_fields(parsed: ParsedMessage, fallback_date: datetime) -> dict[str, Any]:
    """The Email columns that the header block alone gives."""
    return {
        "message_id": _bracketed(parsed.message_id),
        "in_reply_to": [f"<{parsed.in_reply_to}>"] if parsed.in_reply_to else [],
        "references": [f"<{ref}>" for ref in parsed.references],
        "subject": parsed.subject,
        "from_": _wire(parsed.from_all),
        "sender": _wire(parsed.sender_header),
        "to": _wire(parsed.to),
        "cc": _wire(parsed.cc),
        "bcc": _wire(parsed.bcc),
        "reply_to": _wire(parsed.reply_to),
        "date": parsed.date.astimezone(UTC) if parsed.date is not None else fallback_date,
    }


def body_fields(parsed: ParsedMessage) -> dict[str, Any]:
    """The Email columns that only the body gives."""
    return {"preview": parsed.summary(PREVIEW_CHARS), "attachments": _attachments(parsed)}


def store_incoming(
    session: Session,
    account_id: str,
    mailbox_role_or_id: str,
    raw: bytes,
    keywords: Iterable[str] = (),
    parsed: ParsedMessage | None = None,
    modseq: int | None = None,
) -> Email:
    """File a raw RFC 5322 message into a mailbox (by role such as "inbox", or by id).

    ``parsed`` is ``parse_message(raw)`` when the caller has it already; ``modseq`` is the
    change's modseq when the caller allocates them (a pushed batch's ModseqAllocator).
    """
    mailbox = find_mailbox(session, account_id, mailbox_role_or_id)
    parsed = parsed if parsed is not None else parse_message(raw)
    now = datetime.now(UTC)
    if modseq is None:
        modseq = bump_modseq(session, account_id)
    email = Email(
        account_id=account_id,
        mailbox_id=mailbox.id,
        keywords=sorted({keyword.lower() for keyword in keywords}),
        **header_fields(parsed, now),
        **body_fields(parsed),
        received_at=now,
        size=len(raw),
        content_sha256=content_hash(raw),
        created_modseq=modseq,
        updated_modseq=modseq,
    )
    email.blob = EmailBlob(
        raw=raw, bodies_parsed=True, text_body=parsed.text_body, html_body=parsed.html_body
    )
    session.add(email)
    session.flush()
    return email

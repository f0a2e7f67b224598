"""ORM rows -> wire records (camelCase JSON dicts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from mailapp.server.models import Draft, Email, Mailbox, Submission, Synced
from mailapp.wire import (
    NUL_FREE,
    DraftRecord,
    EmailRecord,
    MailboxRecord,
    SubmissionRecord,
    WireModel,
)

# Records are built from what the database holds, which holds no NUL (every client input is
# checked for one when it arrives, and the MIME parser drops control characters from what it
# stores): the per-record walk looking for NULs is skipped, most of building an email record.
TRUSTED = {NUL_FREE: True}

# Draft wire field name -> column attribute.
DRAFT_COLUMNS: dict[str, str] = {
    "subject": "subject",
    "to": "to",
    "cc": "cc",
    "bcc": "bcc",
    "body": "body",
    "htmlBody": "html_body",
    "inReplyTo": "in_reply_to",
    "references": "references",
    "attachments": "attachments",
    "from": "from_address",
}


def aware(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the server stores is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def dump(model: WireModel) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True)


def mailbox_model(row: Mailbox) -> MailboxRecord:
    return MailboxRecord(
        id=row.id,
        name=row.name,
        parent_id=row.parent_id,
        role=row.role,  # type: ignore[arg-type]
        sort_order=row.sort_order,
        created_modseq=row.created_modseq,
        updated_modseq=row.updated_modseq,
    )


def email_model(row: Email) -> EmailRecord:
    return EmailRecord.model_validate(
        {
            "id": row.id,
            "mailboxId": row.mailbox_id,
            "keywords": sorted(row.keywords or []),
            "messageId": row.message_id,
            "inReplyTo": row.in_reply_to or [],
            "references": row.references or [],
            "subject": row.subject,
            "from": row.from_ or [],
            "sender": row.sender or [],
            "to": row.to or [],
            "cc": row.cc or [],
            "bcc": row.bcc or [],
            "replyTo": row.reply_to or [],
            "sentAt": aware(row.date),
            "receivedAt": aware(row.received_at),
            "size": row.size,
            "preview": row.preview,
            "hasAttachment": bool(row.attachments),
            "attachments": row.attachments or [],
            "createdModseq": row.created_modseq,
            "updatedModseq": row.updated_modseq,
        },
        context=TRUSTED,
    )


def draft_wire_values(row: Draft | None) -> dict[str, Any]:
    """The draft's fields in wire form (all None for a draft that does not exist)."""
    return {name: (getattr(row, column) if row else None) for name, column in DRAFT_COLUMNS.items()}


def draft_model(row: Draft) -> DraftRecord:
    return DraftRecord.model_validate(
        {
            "id": row.id,
            "createdModseq": row.created_modseq,
            "updatedModseq": row.updated_modseq,
            **draft_wire_values(row),
        },
        context=TRUSTED,
    )


def submission_model(row: Submission) -> SubmissionRecord:
    return SubmissionRecord(
        id=row.id,
        draft_id=row.draft_id,
        send_at=aware(row.send_at),
        state=row.state.value,  # type: ignore[arg-type]
        envelope_recipients=list(row.envelope_rcpts or []),
        sent_email_id=row.sent_email_id,
        error=row.error,
        created_modseq=row.created_modseq,
        updated_modseq=row.updated_modseq,
    )


def record_model(row: Synced) -> WireModel:
    if isinstance(row, Mailbox):
        return mailbox_model(row)
    if isinstance(row, Email):
        return email_model(row)
    if isinstance(row, Draft):
        return draft_model(row)
    if isinstance(row, Submission):
        return submission_model(row)
    raise TypeError(type(row))


# Builders by change-feed kind: they read ORM objects and the feed's plain rows alike.
RECORD_BUILDERS: dict[str, Callable[[Any], WireModel]] = {
    "mailboxes": mailbox_model,
    "emails": email_model,
    "drafts": draft_model,
    "submissions": submission_model,
}


def record_dict(row: Synced) -> dict[str, Any]:
    return dump(record_model(row))


def tombstone_dict(record_id: str) -> dict[str, Any]:
    return {"id": record_id, "destroyed": True}

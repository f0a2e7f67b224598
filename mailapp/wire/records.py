"""Wire records (mailboxes, emails, drafts, submissions) and the change feed."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import Field

from mailapp.wire.base import (
    AttachmentRef,
    EmailAttachment,
    MailboxRole,
    RecordAddress,
    State,
    SubmissionStateName,
    WireModel,
)

# --- records ----------------------------------------------------------------------------------


class Versioned(WireModel):
    id: str
    created_modseq: int
    updated_modseq: int


class MailboxRecord(Versioned):
    name: str
    parent_id: str | None = None
    role: MailboxRole | None = None
    sort_order: int = 0


class EmailRecord(Versioned):
    mailbox_id: str
    keywords: list[str] = Field(default_factory=list)
    message_id: str | None = None
    in_reply_to: list[str] = Field(default_factory=list)
    references: list[str] = Field(default_factory=list)
    subject: str = ""
    from_: list[RecordAddress] = Field(default_factory=list, alias="from")
    sender: list[RecordAddress] = Field(default_factory=list)
    to: list[RecordAddress] = Field(default_factory=list)
    cc: list[RecordAddress] = Field(default_factory=list)
    bcc: list[RecordAddress] = Field(default_factory=list)
    reply_to: list[RecordAddress] = Field(default_factory=list)
    sent_at: datetime
    received_at: datetime
    size: int = 0
    preview: str = ""
    has_attachment: bool = False
    attachments: list[EmailAttachment] = Field(default_factory=list)


class DraftRecord(Versioned):
    subject: str | None = None
    to: list[RecordAddress] | None = None
    cc: list[RecordAddress] | None = None
    bcc: list[RecordAddress] | None = None
    body: str | None = None
    html_body: str | None = None
    in_reply_to: str | None = None
    references: list[str] | None = None
    attachments: list[AttachmentRef] | None = None
    from_address: RecordAddress | None = Field(default=None, alias="from")


class SubmissionRecord(Versioned):
    draft_id: str
    send_at: datetime
    state: SubmissionStateName
    envelope_recipients: list[str] = Field(default_factory=list)
    sent_email_id: str | None = None
    error: str | None = None


# --- change feed ------------------------------------------------------------------------------

RecordT = TypeVar("RecordT", bound=Versioned)


class TypeChanges(WireModel, Generic[RecordT]):
    """Changes of one record type: created/updated carry the records, destroyed only ids."""

    created: list[RecordT] = Field(default_factory=list)
    updated: list[RecordT] = Field(default_factory=list)
    destroyed: list[str] = Field(default_factory=list)


class Changes(WireModel):
    old_state: State
    new_state: State  # stored and sent back: a malformed one is refused here
    has_more: bool
    mailboxes: TypeChanges[MailboxRecord] = Field(default_factory=TypeChanges[MailboxRecord])
    emails: TypeChanges[EmailRecord] = Field(default_factory=TypeChanges[EmailRecord])
    drafts: TypeChanges[DraftRecord] = Field(default_factory=TypeChanges[DraftRecord])
    submissions: TypeChanges[SubmissionRecord] = Field(
        default_factory=TypeChanges[SubmissionRecord]
    )

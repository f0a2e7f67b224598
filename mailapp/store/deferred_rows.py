"""The store's values that the first screen does not need: a message's details, change sets,
drafts, the outbox and conflicts. mailapp.store.rows re-exports them lazily, so that a cold
start does not create these classes; `from mailapp.store.rows import DraftRow` still works.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mailapp.store.list_rows import MessageSummary

if TYPE_CHECKING:  # annotations only
    from mailapp.core.addresses import Address


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    filename: str
    content_type: str
    size: int
    content_id: str | None
    inline: bool


@dataclass(frozen=True)
class MessageDetail:
    summary: MessageSummary
    to: list[Address]
    cc: list[Address]
    text_body: str | None
    html_body: str | None
    attachments: list[AttachmentInfo]
    notes: list[str]
    body_available: bool  # False when only headers are cached ("not available offline")


@dataclass(frozen=True)
class ChangeSet:
    """What one committed store operation touched; subscribers refresh exactly these."""

    messages: frozenset[str] = frozenset()
    mailboxes: frozenset[str] = frozenset()
    outbox: bool = False
    drafts: frozenset[str] = frozenset()
    # Of `messages`, those new to this store, brought by a sync or an import (never by the
    # user's own actions, nor by the first sync of an account): what may be announced as new
    # mail (mailapp.ui.window.notifications).
    arrived: frozenset[str] = frozenset()

    def merged(self, other: ChangeSet) -> ChangeSet:
        """What this and `other` touched together (several commits reported as one)."""
        return ChangeSet(
            messages=self.messages | other.messages,
            mailboxes=self.mailboxes | other.mailboxes,
            outbox=self.outbox or other.outbox,
            drafts=self.drafts | other.drafts,
            arrived=self.arrived | other.arrived,
        )


@dataclass
class DraftInput:
    """What the composer saves. ``draft_id`` None creates a new draft."""

    draft_id: str | None
    account_id: str
    subject: str = ""
    to: list[Address] = field(default_factory=list)
    cc: list[Address] = field(default_factory=list)
    bcc: list[Address] = field(default_factory=list)
    body: str = ""
    html_body: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    # (filename, content_type, data)
    attachments: list[tuple[str, str, bytes]] = field(default_factory=list)
    # The identity it is sent as (name and address); None: the account's main address.
    from_address: Address | None = None


@dataclass(frozen=True)
class DraftAttachment:
    name: str
    content_type: str
    size: int
    blob_id: str  # fetch the bytes with MailStore.blob(blob_id)


@dataclass(frozen=True)
class DraftRow:
    id: str
    account_id: str
    subject: str
    to: list[Address]
    cc: list[Address]
    bcc: list[Address]
    body: str
    html_body: str | None
    in_reply_to: str | None
    references: list[str]
    attachments: list[DraftAttachment]
    updated_at: datetime
    from_address: Address | None = None


class OutboxState(StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    APPLIED = "applied"
    FAILED = "failed"
    CONFLICT = "conflict"


@dataclass(frozen=True)
class OutboxRow:
    id: int
    mutation_id: int
    type: str
    args: dict[str, Any]
    state: OutboxState
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime

    @property
    def payload(self) -> dict[str, Any]:
        """Exactly what goes on the wire for this mutation (besides its mutation id)."""
        return {"type": self.type, "args": self.args}


@dataclass(frozen=True)
class ConflictRow:
    """A change the server could not merge: the three versions of the record, as JSON values."""

    id: str
    account_id: str
    mutation_id: int | None
    record_type: str  # "email" | "mailbox" | "draft" | "submission"
    record_id: str
    base: Any
    local: Any
    server: Any
    state: str  # "open" | "resolved"
    created_at: datetime

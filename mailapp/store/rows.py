"""Plain, immutable values the store hands to callers (never ORM objects or live rows)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailapp.store.deferred_rows import (
        AttachmentInfo,
        ChangeSet,
        ConflictRow,
        DraftAttachment,
        DraftInput,
        DraftRow,
        MessageDetail,
        OutboxRow,
        OutboxState,
    )

__all__ = [
    "AttachmentInfo",
    "ChangeSet",
    "ConflictRow",
    "DraftAttachment",
    "DraftInput",
    "DraftRow",
    "MailboxCounts",
    "MailboxRow",
    "MessageDetail",
    "MessageSummary",
    "OutboxRow",
    "OutboxState",
    "PageCursor",
    "SortOrder",
]

# The other rows live in mailapp.store.deferred_rows and are re-exported lazily (PEP 562):
# Python 3.11 compiles each dataclass's methods from source when the class is created, ~0.6 ms
# a class, and the first paint needs none of them.
_DEFERRED_ROWS = frozenset(
    (
        "AttachmentInfo",
        "ChangeSet",
        "ConflictRow",
        "DraftAttachment",
        "DraftInput",
        "DraftRow",
        "MessageDetail",
        "OutboxRow",
        "OutboxState",
    )
)


class SortOrder(StrEnum):
    """The order of a mailbox list. Kept here, with no SQLAlchemy, for the first-paint path;
    mailapp.store.views (which pages through either order) re-exports it."""

    NEWEST_FIRST = "newest_first"
    OLDEST_FIRST = "oldest_first"
    # By a normalised key (mailapp.store.sort_keys), ties by date in the same direction.
    SENDER_ASC = "sender_asc"
    SENDER_DESC = "sender_desc"
    SUBJECT_ASC = "subject_asc"
    SUBJECT_DESC = "subject_desc"


@dataclass(frozen=True)
class MailboxRow:
    id: str
    account_id: str
    name: str
    role: str | None
    parent_id: str | None
    sort_order: int


@dataclass(frozen=True)
class MailboxCounts:
    total: int
    unread: int
    pending: int  # messages here with a local change not yet confirmed by the server


@dataclass(frozen=True)
class MessageSummary:
    id: str
    mailbox_id: str
    subject: str
    sender_name: str | None
    sender_email: str | None
    date: datetime
    is_read: bool
    is_flagged: bool
    has_attachments: bool
    snippet: str
    thread_id: str | None


@dataclass(frozen=True)
class PageCursor:
    """A keyset position in a mailbox list: ``page()`` returns rows strictly after it."""

    date: datetime
    id: str

    @classmethod
    def after(cls, summary: MessageSummary) -> PageCursor:
        return cls(summary.date, summary.id)


def __getattr__(name: str) -> Any:
    if name in _DEFERRED_ROWS:
        from mailapp.store import deferred_rows

        return getattr(deferred_rows, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

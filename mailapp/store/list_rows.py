"""The values the first screen shows: mailboxes, their counts, a list's rows and its order.

No SQLAlchemy and nothing else the first paint does not need. mailapp.store.rows re-exports
them with the other values; mailapp.store.deferred_rows builds on MessageSummary from here
(not from rows, which loads deferred_rows lazily: the two would import each other).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


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


@dataclass(frozen=True, slots=True)
class MailboxRow:
    id: str
    account_id: str
    name: str
    role: str | None
    parent_id: str | None
    sort_order: int


@dataclass(frozen=True, slots=True)
class MailboxCounts:
    total: int
    unread: int
    pending: int  # messages here with a local change not yet confirmed by the server


# Slots: a list holds up to its resident window of these (mailapp.ui.mailbox), and a row
# without a __dict__ is ~100 bytes smaller (tracemalloc, 216 -> 120 bytes for the object).
@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class PageCursor:
    """A keyset position in a mailbox list: ``page()`` returns rows strictly after it."""

    date: datetime
    id: str

    @classmethod
    def after(cls, summary: MessageSummary) -> PageCursor:
        return cls(summary.date, summary.id)

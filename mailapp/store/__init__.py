"""The local SQLite cache and the repository API that the UI and the sync engine share."""

from mailapp.store.errors import StoreCorruptError, StoreError, StoreLockedError, StoreTooNewError
from mailapp.store.rows import (
    AttachmentInfo,
    ChangeSet,
    ConflictRow,
    DraftAttachment,
    DraftInput,
    DraftRow,
    MailboxCounts,
    MailboxRow,
    MessageDetail,
    MessageSummary,
    OutboxRow,
    OutboxState,
    PageCursor,
)
from mailapp.store.store import STANDARD_MAILBOXES, MailStore, open_store

__all__ = [
    "STANDARD_MAILBOXES",
    "AttachmentInfo",
    "ChangeSet",
    "ConflictRow",
    "DraftAttachment",
    "DraftInput",
    "DraftRow",
    "MailStore",
    "MailboxCounts",
    "MailboxRow",
    "MessageDetail",
    "MessageSummary",
    "OutboxRow",
    "OutboxState",
    "PageCursor",
    "StoreCorruptError",
    "StoreError",
    "StoreLockedError",
    "StoreTooNewError",
    "open_store",
]

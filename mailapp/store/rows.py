"""Plain, immutable values the store hands to callers (never ORM objects or live rows)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mailapp.store.list_rows import (
    MailboxCounts,
    MailboxRow,
    MessageSummary,
    PageCursor,
    SortOrder,
)

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


def __getattr__(name: str) -> Any:
    if name in _DEFERRED_ROWS:
        from mailapp.store import deferred_rows

        return getattr(deferred_rows, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

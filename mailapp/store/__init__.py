"""The local SQLite cache and the repository API that the UI and the sync engine share.

The names below are re-exported lazily (PEP 562): `MailStore` and `open_store` pull in
SQLAlchemy, ~150 ms of imports, and the window paints its first screen without it (see
`mailapp.store.first_screen`). Importing `mailapp.store.rows`, `.errors` or `.first_screen`
therefore loads nothing heavy; `from mailapp.store import MailStore` still works as before.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailapp.store.errors import (
        StoreCorruptError,
        StoreDiskFullError,
        StoreError,
        StoreIOError,
        StoreLockedError,
        StoreNotADatabaseError,
        StoreReadOnlyError,
        StoreTooNewError,
    )
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
    "StoreDiskFullError",
    "StoreError",
    "StoreIOError",
    "StoreLockedError",
    "StoreNotADatabaseError",
    "StoreReadOnlyError",
    "StoreTooNewError",
    "open_store",
]


def _home(name: str) -> str | None:
    """The module that defines an exported name."""
    if name not in __all__:
        return None
    if name.startswith("Store"):
        return "mailapp.store.errors"
    if name in ("STANDARD_MAILBOXES", "MailStore", "open_store"):
        return "mailapp.store.store"
    return "mailapp.store.rows"


def __getattr__(name: str) -> Any:
    home = _home(name)
    if home is None:
        # Submodules (`mailapp.store.views`, ...) are found by the import system, not here.
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

"""Errors the store raises when a profile's database cannot be used as it is.

Each carries a ``message`` meant for the user: it names the file and says what they can do.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The mail store at ``path`` cannot be used; ``message`` explains why and what to do."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class StoreCorruptError(StoreError):
    """The file is not a SQLite database, not a mailapp store, or is damaged."""

    def __init__(self, path: Path, detail: str = "", backup: Path | None = None) -> None:
        where = f"restore the backup at {backup}" if backup else "restore it from a backup"
        why = f" ({detail})" if detail else ""
        super().__init__(
            path,
            f"The mail database {path} is damaged or is not a mailapp database{why}. "
            f"Quit mailapp and {where}, or move the file away so mailapp can create a new "
            "one and download your mail again.",
        )


class StoreLockedError(StoreError):
    """Another process holds a lock on the database for longer than the open timeout."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"The mail database {path} is in use by another program. Close the other mailapp "
            "window (or wait for it to finish) and try again.",
        )


class StoreTooNewError(StoreError):
    """The database was written by a newer mailapp whose schema this version does not know."""

    def __init__(self, path: Path, revision: str) -> None:
        super().__init__(
            path,
            f"The mail database {path} was created by a newer version of mailapp (schema "
            f"{revision}). Update mailapp to open it; this version will not change the file.",
        )
        self.revision = revision

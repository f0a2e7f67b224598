"""Errors the store raises when a profile's database cannot be used as it is.

Each carries a ``message`` meant for the user: it names the file, says what happened and what
they can do. Each kind has its own ``exit_code``, the status `mailapp` (the window and the
headless commands alike) ends with when it cannot open the store; README.md lists them.
Only a file that SQLite's integrity check has found damaged (or that is no database at all),
and of which a copy has been made, is ever called something to move away: the file may hold
changes that have not reached the server yet.
"""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """The mail store at ``path`` cannot be used; ``message`` explains why and what to do."""

    exit_code = 10

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


class StoreDiskFullError(StoreError):
    """The disk holding the database has no room left."""

    exit_code = 11

    def __init__(self, path: Path, *, at_start: bool) -> None:
        if at_start:
            what = (
                "mailapp cannot start: SQLite needs a little room on that disk to open it. "
                "Your mail and your unsent changes are still in the file, unchanged"
            )
        else:
            what = "What you just did was not saved"
        super().__init__(
            path,
            f"The disk holding the mail database {path} is full. {what}. Free some space on "
            "that disk, then try again.",
        )


class StoreIOError(StoreError):
    """The operating system failed to read or write the file (not a full disk)."""

    exit_code = 12

    def __init__(self, path: Path, detail: str) -> None:
        super().__init__(
            path,
            f"Reading or writing the mail database {path} failed ({detail}). This points at "
            "the disk or its connection: a removed drive, a network folder that went away, "
            "failing hardware. Check the disk, then start mailapp again. Do not move or delete "
            "the file: it holds your mail and any changes not yet sent to the server.",
        )


class StoreReadOnlyError(StoreError):
    """The file, its folder or the whole file system may not be written."""

    exit_code = 13

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            path,
            f"The mail database {path} cannot be written: {reason}. mailapp needs to write it "
            "(and the -wal and -shm files beside it). Give your user write access to the file "
            "and its folder (if you once ran mailapp as another user, for example with sudo, "
            "give the files back to your user), or start mailapp with --profile on a folder "
            "you may write.",
        )


class StoreLockedError(StoreError):
    """Another process holds a lock on the database for longer than the open timeout."""

    exit_code = 14

    def __init__(self, path: Path) -> None:
        super().__init__(
            path,
            f"The mail database {path} is in use by another program. Close the other mailapp "
            "window (or wait for it to finish) and try again.",
        )


def _latest_backup(path: Path) -> Path | None:
    backups = sorted(path.parent.glob(f"{path.name}.backup-*"), key=lambda p: p.stat().st_mtime)
    return backups[-1] if backups else None


def _way_forward(path: Path, copy: Path | None, copy_failed: str | None) -> str:
    if copy is None:
        return (
            f"mailapp could not make a copy of it ({copy_failed}). Copy {path} somewhere safe "
            "yourself before you do anything else with it."
        )
    backup = _latest_backup(path)
    restore = (
        f"To go back to the copy mailapp made before its last update, quit mailapp and copy "
        f"{backup} over {path}. Otherwise quit mailapp and rename {path}"
        if backup
        else f"Quit mailapp and rename {path}"
    )
    return (
        f"mailapp changed nothing in it and made a copy at {copy}. {restore}: mailapp then "
        "creates a new one and downloads your mail from the server again. Changes made on this "
        "computer that had not reached the server are lost unless the copy can be repaired."
    )


class StoreNotADatabaseError(StoreError):
    """The file is no SQLite database, or is another program's database."""

    exit_code = 15

    def __init__(
        self,
        path: Path,
        detail: str,
        *,
        copy: Path | None = None,
        copy_failed: str | None = None,
        foreign: bool = False,
    ) -> None:
        if foreign:
            message = (
                f"The file {path} is a database of another program ({detail}), not a mailapp "
                "database. mailapp changed nothing. Start mailapp with --profile on another "
                "folder, or put this file back where it belongs."
            )
        else:
            message = (
                f"The file {path} is not a database ({detail}): it was overwritten or replaced. "
                + _way_forward(path, copy, copy_failed)
            )
        super().__init__(path, message)
        self.copy = copy


class StoreCorruptError(StoreError):
    """SQLite's integrity check found the database damaged."""

    exit_code = 16

    def __init__(
        self, path: Path, detail: str, *, copy: Path | None = None, copy_failed: str | None = None
    ) -> None:
        super().__init__(
            path,
            f"The mail database {path} is damaged: SQLite's integrity check failed ({detail}). "
            + _way_forward(path, copy, copy_failed),
        )
        self.copy = copy


class StoreTooNewError(StoreError):
    """The database was written by a newer mailapp whose schema this version does not know."""

    exit_code = 17

    def __init__(self, path: Path, revision: str) -> None:
        super().__init__(
            path,
            f"The mail database {path} was created by a newer version of mailapp (schema "
            f"{revision}). Update mailapp to open it; this version will not change the file.",
        )
        self.revision = revision

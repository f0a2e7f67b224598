"""What a failed SQLite call means for the user, told apart by SQLite's extended error codes.

A full disk, an I/O error, a read-only file, a lock, a file that is no database and real damage
each need something different from the user, and only the last two make moving the file away
the right advice. So damage is never assumed from an error alone: SQLite's integrity check must
fail first, and a copy of the file (with its WAL, which holds the newest commits) is made before
the user is told to move anything.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from mailapp.store.errors import (
    StoreCorruptError,
    StoreDiskFullError,
    StoreError,
    StoreIOError,
    StoreLockedError,
    StoreNotADatabaseError,
    StoreReadOnlyError,
)
from mailapp.store.files import make_private

# With less room than this, an I/O error is a full disk: SQLite reports failing to grow its
# shared-memory file as SQLITE_IOERR_SHMSIZE, not SQLITE_FULL.
FULL_DISK_BYTES = 1 << 20
CHECK_TIMEOUT_S = 1.0
_SIDE_FILES = ("", "-wal", "-shm", "-journal")

# Damage found once is not checked (and copied) again on every later failing query.
_damaged: dict[Path, StoreError] = {}


def free_bytes(folder: Path) -> int | None:
    try:
        stats = os.statvfs(folder)
    except (OSError, AttributeError):  # no statvfs on Windows
        try:
            return shutil.disk_usage(folder).free
        except OSError:
            return None
    # Root may use the blocks reserved for it; everyone else only the available ones.
    blocks = stats.f_bfree if hasattr(os, "geteuid") and os.geteuid() == 0 else stats.f_bavail
    return blocks * stats.f_frsize


def not_writable(path: Path) -> str | None:
    """Why the database (or its -wal/-shm files, or its folder) cannot be written, if so."""
    # Asked without opening the files: closing any descriptor of a file drops every POSIX lock
    # this process holds on it, SQLite's included. With a store already open here (the
    # window's, when the sync thread opens its own), another process writing the file (the
    # feed child, `mailapp sync`) then took itself for its only user and deleted the WAL
    # under the window, whose next write failed ("disk I/O error").
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(f"{path}{suffix}")
        try:
            read_only_mount = os.statvfs(candidate).f_flag & os.ST_RDONLY
        except OSError:
            continue  # absent, or for SQLite to report
        if read_only_mount:
            return "the file system it is on is mounted read-only"
        if not os.access(candidate, os.W_OK, effective_ids=os.access in os.supports_effective_ids):
            return f"{candidate.name} is read-only for your user ({_owner_and_mode(candidate)})"
    folder = path.parent
    if folder.is_dir() and not os.access(folder, os.W_OK):
        return f"its folder {folder} is read-only for your user ({_owner_and_mode(folder)})"
    return None


def _owner_and_mode(path: Path) -> str:
    try:
        stats = path.stat()
    except OSError:
        return "owner unknown"
    return f"owner uid {stats.st_uid}, mode {stats.st_mode & 0o777:o}"


def classify(path: Path, error: BaseException, *, at_start: bool) -> StoreError | None:
    """The StoreError a raw SQLite failure means, or None for errors that are not SQLite's."""
    if not isinstance(error, sqlite3.Error):
        return None
    code = getattr(error, "sqlite_errorcode", None)
    if code is None:
        return None
    primary = code & 0xFF
    detail = f"{error} [{getattr(error, 'sqlite_errorname', code)}]"
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreLockedError(path)
    if primary == sqlite3.SQLITE_FULL:
        return StoreDiskFullError(path, at_start=at_start)
    if primary == sqlite3.SQLITE_IOERR:
        free = free_bytes(path.parent)
        if free is not None and free < FULL_DISK_BYTES:
            return StoreDiskFullError(path, at_start=at_start)
        return StoreIOError(path, detail)
    if primary == sqlite3.SQLITE_READONLY:
        return StoreReadOnlyError(path, not_writable(path) or f"SQLite says {detail}")
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_AUTH):
        return StoreError(
            path,
            f"The mail database {path} cannot be opened ({detail}). Check that its folder "
            "exists and that your user may read and write there, or start mailapp with "
            "--profile on another folder.",
        )
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return check_damage(path, detail, not_a_database=primary == sqlite3.SQLITE_NOTADB)
    return None


def check_damage(path: Path, detail: str, *, not_a_database: bool = False) -> StoreError:
    """Run SQLite's integrity check; only if it fails, copy the file and call it damaged."""
    known = _damaged.get(path)
    if known is not None:
        return known
    try:
        problems = integrity_problems(path)
    except sqlite3.Error as error:
        # The check itself could not run (locked, I/O, ...): say that, never "damaged".
        return classify(path, error, at_start=False) or StoreIOError(path, detail)
    if not problems:
        return StoreIOError(
            path,
            f"{detail}; yet SQLite's integrity check finds the file intact, so it was most "
            "likely a passing read error",
        )
    copy, copy_failed = keep_copy(path, "damaged")
    found: StoreError
    if not_a_database:
        found = StoreNotADatabaseError(path, problems[0], copy=copy, copy_failed=copy_failed)
    else:
        found = StoreCorruptError(path, "; ".join(problems[:3]), copy=copy, copy_failed=copy_failed)
    _damaged[path] = found
    return found


def integrity_problems(path: Path) -> list[str]:
    """What `PRAGMA integrity_check` finds wrong (empty if the file is sound). A file SQLite
    cannot even read as a database fails the check with that error."""
    try:
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=ro", uri=True, timeout=CHECK_TIMEOUT_S
        )
        try:
            rows = conn.execute("PRAGMA integrity_check(20)").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        primary = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return [str(error)]
        raise
    found = [str(row[0]) for row in rows]
    return [] if found == ["ok"] else found


def keep_copy(path: Path, label: str) -> tuple[Path | None, str | None]:
    """A byte-for-byte copy of the file and its WAL beside it: (the copy, or None and why not)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    made: list[Path] = []
    try:
        for suffix in ("", "-wal"):
            source = Path(f"{path}{suffix}")
            if source.exists():
                destination = Path(f"{target}{suffix}")
                shutil.copy2(source, destination)
                made.append(destination)
                make_private(destination)
    except OSError as error:
        for partial in made:
            partial.unlink(missing_ok=True)
        return None, error.strerror or str(error)
    return target, None


def set_aside_if_empty(path: Path) -> str | None:
    """A zero-length database file is renamed aside (with any -wal/-shm/-journal beside it),
    never silently reused: SQLite would take it for a new database and even delete its WAL.
    Returns the notice for the user, or None if the file was not empty."""
    try:
        if path.stat().st_size != 0:
            return None
    except FileNotFoundError:
        return None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.empty-{stamp}")
    kept: list[str] = []
    for suffix in _SIDE_FILES:
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(f"{target}{suffix}")
            kept.append(f"{target}{suffix}")
    make_private(target)  # a WAL kept beside it may still hold mail
    backups = sorted(path.parent.glob(f"{path.name}.backup-*"), key=lambda p: p.stat().st_mtime)
    backup = (
        f" The copy mailapp made before its last update, {backups[-1]}, may hold them: quit "
        f"mailapp and copy it over {path} to go back to it."
        if backups
        else ""
    )
    return (
        f"The mail database {path} was empty (0 bytes): its contents were lost before mailapp "
        f"started (a crash, a full disk or another program). It was kept as {kept[0]}"
        + (f" (with {', '.join(Path(k).name for k in kept[1:])})" if len(kept) > 1 else "")
        + ". mailapp started with a new, empty mail database: sign in again to download your "
        "mail from the server. Changes made on this computer that had not reached the server "
        f"were in the lost contents.{backup}"
    )

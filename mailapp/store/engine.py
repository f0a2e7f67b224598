"""SQLite connections: pragmas, explicit transactions, and translating SQLite failures.

The engine runs the DBAPI in autocommit mode and every unit of work issues its own BEGIN
(IMMEDIATE for writes), so the write lock is taken up front instead of being upgraded
half-way through a transaction, which in WAL mode can fail with SQLITE_BUSY without waiting.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError

from mailapp.store.diagnose import classify, not_writable
from mailapp.store.errors import StoreError, StoreNotADatabaseError, StoreReadOnlyError

BUSY_TIMEOUT_MS = 5000
# How long open_store() waits for another process's lock before reporting it.
OPEN_TIMEOUT_S = 1.0


def _apply_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        isolation_level="AUTOCOMMIT",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        pool_size=2,
        max_overflow=4,
    )
    event.listen(engine, "connect", _apply_pragmas)
    return engine


def translate(path: Path, exc: BaseException, *, at_start: bool = False) -> StoreError | None:
    """The StoreError a raw SQLite failure means for the user, or None for other errors."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return classify(path, orig, at_start=at_start)


@contextmanager
def transaction(
    engine: Engine, path: Path, *, write: bool, at_start: bool = False
) -> Iterator[Connection]:
    """One transaction on a pooled connection: committed on success, rolled back on any error."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                # SQLite may already have rolled back by itself (e.g. disk full, interrupt).
                if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
                    conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")
    except (DBAPIError, sqlite3.DatabaseError) as exc:
        store_error = translate(path, exc, at_start=at_start)
        if store_error is None:
            raise
        raise store_error from exc


def _unexpected(path: Path, exc: sqlite3.Error) -> StoreError:
    name = getattr(exc, "sqlite_errorname", "unknown")
    return StoreError(
        path,
        f"mailapp cannot open the mail database {path}: SQLite reported {exc} [{name}]. The "
        "file was not changed. Start mailapp again; if this repeats, report it with this "
        "message.",
    )


def probe(path: Path) -> str | None:
    """Fail fast, with the StoreError that says what is wrong, before anything changes the file.

    Returns the schema revision recorded in the file (None for a new, empty database). Takes and
    releases the write lock with a short timeout, so a file held by another process is reported
    rather than waited on. Changes nothing, so a foreign or newer file stays exactly as it was.
    """
    if path.exists():
        # SQLite opens a file it may not write read-only without a word, and fails only at the
        # first write, long after start-up: ask the operating system first.
        reason = not_writable(path)
        if reason is not None:
            raise StoreReadOnlyError(path, reason)
    try:
        conn = sqlite3.connect(path, timeout=OPEN_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise translate(path, exc, at_start=True) or _unexpected(path, exc) from exc
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        revision: str | None = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        if revision is None and tables:
            named = ", ".join(sorted(tables)[:5])
            raise StoreNotADatabaseError(path, f"it holds the tables {named}", foreign=True)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.Error as exc:
        raise translate(path, exc, at_start=True) or _unexpected(path, exc) from exc
    finally:
        conn.close()
    return revision

"""Bringing a store file to the schema this code knows, with Alembic run in-process.

An existing store that is behind is first copied (SQLite online backup, so WAL content is
included) next to itself, named after its old revision, then upgraded in one transaction.

Alembic (with Mako and Pygments) costs 300-700 ms to import, more than the rest of start-up
together, and is only needed when the file is behind. So the common case, a file already at
HEAD_REVISION, is decided without it; anything else asks Alembic's script directory, which stays
the authority on what revisions exist.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from mailapp.store.engine import transaction
from mailapp.store.errors import StoreNotADatabaseError, StoreTooNewError
from mailapp.store.files import make_private

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# The newest revision in migrations/versions. Whoever adds a revision updates this;
# tests/store/test_startup_migrate.py fails until they do. A stale value is safe for files it
# does not name (they take the Alembic path) but would skip the new migration for a file at the
# old head, which is why that test exists.
HEAD_REVISION = "0014"

# What an upgrade reports while it runs: (step, done, total), total 0 when it cannot be known.
# Steps: BACKUP (the copy before anything changes), MIGRATE (the revisions; a long one reports
# its batches through `report`), COMPACT (the VACUUM after). An upgrade of a large store takes
# tens of seconds; the caller shows it, so that start-up does not look hung.
Progress = Callable[[str, int, int], None]
BACKUP, MIGRATE, COMPACT = "backup", "migrate", "compact"
# Pages copied per step of the backup: small enough to report often, large enough to be cheap.
_BACKUP_PAGES = 4096


def __getattr__(name: str) -> Any:
    # `migrate.command` (alembic.command) stays reachable for tests that patch it, without
    # importing Alembic along with this module.
    if name == "command":
        from alembic import command

        return command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def alembic_config(
    connection: Connection | None = None, progress: Progress | None = None
) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    config.attributes["progress"] = progress
    return config


def report(done: int, total: int) -> None:
    """For a migration script that works through many rows: how far it is, for the caller's
    progress display. Does nothing when the upgrade was started without one."""
    from alembic import op

    config = op.get_context().config
    progress = config.attributes.get("progress") if config is not None else None
    if progress is not None:
        progress(MIGRATE, done, total)


def upgrade_pending(path: Path) -> bool:
    """True if the store at `path` exists at an older revision this code can upgrade, i.e.
    opening it will run migrations: worth a progress display. Reads without locking and never
    raises: whatever is wrong with the file, open_store() says so."""
    try:
        conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0.2)
    except (sqlite3.Error, ValueError):
        return False
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    revision = row[0] if row else None
    if revision is None or revision == HEAD_REVISION:
        return False
    revisions, head = known_revisions()
    return revision != head and revision in revisions


@cache
def known_revisions() -> tuple[frozenset[str], str]:
    """(every revision this code ships, the head revision), as Alembic's scripts say."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    if len(heads) != 1:  # a packaging mistake, never a user's problem
        raise RuntimeError(f"store migrations have {len(heads)} heads: {heads}")
    return frozenset(rev.revision for rev in script.walk_revisions()), heads[0]


def head_revision() -> str:
    return known_revisions()[1]


def is_known_revision(revision: str) -> bool:
    """True if this code ships `revision`; Alembic is consulted only for other than the head."""
    return revision == HEAD_REVISION or revision in known_revisions()[0]


def current_revision(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def backup_path(path: Path, revision: str) -> Path:
    candidate = path.with_name(f"{path.name}.backup-{revision}")
    if candidate.exists():  # never overwrite an earlier backup
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        candidate = path.with_name(f"{path.name}.backup-{revision}-{stamp}")
    return candidate


def backup(path: Path, revision: str, progress: Progress | None = None) -> Path:
    target = backup_path(path, revision)
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        make_private(target)  # it holds the same mail: 0600 before anything is written to it
        try:
            if progress is None:
                source.backup(dest)
            else:
                source.backup(
                    dest,
                    pages=_BACKUP_PAGES,
                    progress=lambda _status, left, total: progress(BACKUP, total - left, total),
                )
        finally:
            dest.close()
    finally:
        source.close()
    return target


def upgrade(engine: Engine, path: Path, progress: Progress | None = None) -> Path | None:
    """Migrate the store to head; returns the backup made, if any. Raises StoreError subtypes.
    `progress`, if given, is called (from this thread) as the work goes on."""
    with engine.connect() as conn:
        # Cheap check first: the common case (already current) needs no write lock, no Alembic.
        revision = current_revision(conn)
        conn.rollback()
    if revision == HEAD_REVISION:
        return None
    from alembic import command

    revisions, head = known_revisions()
    if revision == head:
        return None
    made: Path | None = None
    with transaction(engine, path, write=True, at_start=True) as conn:
        # Re-read under the write lock: another process may have migrated meanwhile.
        revision = current_revision(conn)
        if revision == head:
            return None
        if revision is None:
            tables = inspect(conn).get_table_names()
            if tables:
                named = ", ".join(sorted(tables)[:5])
                raise StoreNotADatabaseError(path, f"it holds the tables {named}", foreign=True)
        elif revision not in revisions:
            raise StoreTooNewError(path, revision)
        else:
            made = backup(path, revision, progress)
        if progress is not None:
            progress(MIGRATE, 0, 0)
        command.upgrade(alembic_config(conn, progress), "head")
    if made is not None:
        give_back_space(engine, progress, always=revision is not None and revision < _REWRITES_ROWS)
    return made


# Upgrades from before this revision leave most pages of a table half empty, which the free
# list does not show: 0014 drops message_bodies.raw, and SQLite drops a column by rewriting
# each row in place (the pages keep one short row each). Revisions are zero-padded numbers.
_REWRITES_ROWS = "0014"


def give_back_space(
    engine: Engine, progress: Progress | None = None, *, always: bool = False
) -> None:
    """VACUUM when an upgrade left much of the file free (0008 drops the search index's copy
    of every text and compresses raw messages), or `always`. Outside the upgrade's
    transaction, as VACUUM must be; if it fails (it needs room for a copy) the store works as
    is, only larger."""
    try:
        with engine.connect() as conn:
            free = conn.exec_driver_sql("PRAGMA freelist_count").scalar_one()
            pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            if always or free * 4 > pages:
                if progress is not None:
                    progress(COMPACT, 0, 0)
                conn.exec_driver_sql("VACUUM")
    except DBAPIError:
        log.warning("could not compact the store after upgrading it", exc_info=True)

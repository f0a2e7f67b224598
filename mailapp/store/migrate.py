"""Bringing a store file to the schema this code knows, with Alembic run in-process.

An existing store that is behind is first copied (SQLite online backup, so WAL content is
included) next to itself, named after its old revision, then upgraded in one transaction.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from mailapp.store.engine import transaction
from mailapp.store.errors import StoreCorruptError, StoreTooNewError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


@cache
def known_revisions() -> tuple[frozenset[str], str]:
    """(every revision this code ships, the head revision)."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = script.get_heads()
    if len(heads) != 1:  # a packaging mistake, never a user's problem
        raise RuntimeError(f"store migrations have {len(heads)} heads: {heads}")
    return frozenset(rev.revision for rev in script.walk_revisions()), heads[0]


def head_revision() -> str:
    return known_revisions()[1]


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


def backup(path: Path, revision: str) -> Path:
    target = backup_path(path, revision)
    source = sqlite3.connect(path)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    finally:
        source.close()
    return target


def upgrade(engine: Engine, path: Path) -> Path | None:
    """Migrate the store to head; returns the backup made, if any. Raises StoreError subtypes."""
    revisions, head = known_revisions()
    with engine.connect() as conn:
        # Cheap check first: the common case (already current) needs no write lock.
        revision = current_revision(conn)
        conn.rollback()
    if revision == head:
        return None
    made: Path | None = None
    with transaction(engine, path, write=True) as conn:
        # Re-read under the write lock: another process may have migrated meanwhile.
        revision = current_revision(conn)
        if revision == head:
            return None
        if revision is None:
            if inspect(conn).get_table_names():
                raise StoreCorruptError(path, "it holds tables but no mailapp schema version")
        elif revision not in revisions:
            raise StoreTooNewError(path, revision)
        else:
            made = backup(path, revision)
        command.upgrade(alembic_config(conn), "head")
    return made

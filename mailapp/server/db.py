"""Engine, sessions, migrations and tombstone pruning (the modseq counter: modseq.py)."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import (
    Engine,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session

from mailapp.server.models import Account

# The per-account counter lives in modseq.py; importers keep saying `from mailapp.server.db`.
from mailapp.server.modseq import (  # noqa: F401
    ModseqAllocator,
    bump_modseq,
    current_modseq,
    lock_account,
)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Arbitrary constant shared by every worker: serialises concurrent start-up migrations on PG.
MIGRATION_LOCK_KEY = 0x6D61696C  # "mail"

log = logging.getLogger(__name__)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str, *, busy_timeout: float = 30.0, **kwargs: Any) -> Engine:
    """`busy_timeout` (SQLite only): seconds a write waits for the write lock before failing
    with "database is locked" (which the app answers with 503 and Retry-After)."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        private = Path(path) if path and path != ":memory:" else None
        if private is not None:
            make_private_dir(private.parent)
        engine = create_engine(url, connect_args={"timeout": busy_timeout}, **kwargs)
        _configure_sqlite(engine, busy_timeout, private)
        return engine
    # At most 20 connections per worker, as before, so 4 workers stay well inside the server's
    # max_connections (100 by default). But most of them are kept: overflow connections are
    # closed as soon as they are returned, and a worker under load then opened a new backend
    # (a fork and a login) for every other request.
    kwargs.setdefault("pool_size", 15)
    kwargs.setdefault("max_overflow", 5)
    # Most recently returned first: under light load the same few connections serve, the rest
    # age past IDLE_PING_SECONDS and are checked before use (see _ping_when_idle).
    kwargs.setdefault("pool_use_lifo", True)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine, IDLE_PING_SECONDS)
    return engine


# A pooled connection unused for this long is pinged before a request gets it (PostgreSQL
# restarted, a firewall dropped it). SQLAlchemy's pool_pre_ping pinged on *every* checkout: a
# round trip per session, 2-3 per sync request, about a tenth of the server's time per request.
# A connection that dies while in use is still noticed: its error invalidates the pool and the
# request answers 503 with Retry-After (is_busy_error).
IDLE_PING_SECONDS = 5.0
_IDLE_SINCE = "mailapp_idle_since"


def _ping_when_idle(engine: Engine, idle: float) -> None:
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < idle:
            return  # new, or returned a moment ago
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops this connection and hands out a fresh one instead.
            raise DisconnectionError(f"idle connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("idle connection failed its ping")


def make_private_dir(folder: Path) -> None:
    """Create `folder` and missing parents as 0700 (it holds every user's mail); existing
    folders are left alone."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # another worker made it meanwhile
            continue
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask


def make_private(path: Path) -> None:
    """Mode 0600 for the database and its -wal/-shm files where they are more open (SQLite
    creates them 0644 less the umask; the -wal and -shm take the database's mode)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{path}{suffix}")
        try:
            mode = stat.S_IMODE(candidate.stat().st_mode)
            if mode & 0o077:
                os.chmod(candidate, mode & 0o600)
        except OSError:
            continue


def _configure_sqlite(engine: Engine, busy_timeout: float, path: Path | None = None) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        if path is not None:
            make_private(path)  # the file exists once connected, before WAL mode makes its
            # -wal and -shm files, which then take its mode
        # Take over transaction control from pysqlite so we can say BEGIN IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Any) -> None:
        # Write transactions take the write lock up front: a deferred transaction that reads
        # first and writes later fails with SQLITE_BUSY instead of waiting when another
        # writer committed in between.
        mode = conn.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        conn.exec_driver_sql(f"BEGIN {mode}")


# PostgreSQL SQLSTATEs that mean "busy or unavailable, try again", not "your request is wrong":
# connection exceptions (08), insufficient resources (53), operator intervention such as a
# statement timeout or shutdown (57), serialization failure, deadlock, lock not available.
_BUSY_SQLSTATE_CLASSES = frozenset({"08", "53", "57"})
_BUSY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def is_busy_error(exc: BaseException) -> bool:
    """True for a database error that a retry a moment later can fix (SQLite's "database is
    locked" once busy_timeout ran out, a PostgreSQL deadlock, a connection lost)."""
    if getattr(exc, "connection_invalidated", False):
        return True  # the connection died mid-request; the pool now holds fresh ones
    orig = getattr(exc, "orig", exc)
    sqlstate = getattr(orig, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate[:2] in _BUSY_SQLSTATE_CLASSES or sqlstate in _BUSY_SQLSTATES
    text = str(orig).lower()
    return "database is locked" in text or "database table is locked" in text


def read_engine(engine: Engine) -> Engine:
    """The same engine, but SQLite transactions do not take the write lock (for GETs)."""
    if is_sqlite(engine):
        return engine.execution_options(sqlite_begin="DEFERRED")
    return engine


def statement_engine(engine: Engine) -> Engine:
    """For reads that need no snapshot across statements: on PostgreSQL each statement runs on
    its own (autocommit), as it would see the data inside a READ COMMITTED transaction anyway,
    without the BEGIN and COMMIT round trips. SQLite keeps its deferred read transaction."""
    if is_sqlite(engine):
        return read_engine(engine)
    cached = engine.__dict__.get("_mailapp_statement_engine")
    if cached is None:
        cached = engine.execution_options(isolation_level="AUTOCOMMIT")
        engine.__dict__["_mailapp_statement_engine"] = cached
    return cached  # type: ignore[no-any-return]


@contextlib.contextmanager
def session_scope(engine: Engine, *, write: bool = True) -> Iterator[Session]:
    """One transaction: commits when the block ends normally, rolls back on an exception."""
    bind = engine if write else read_engine(engine)
    with Session(bind, expire_on_commit=False) as session, session.begin():
        yield session


@contextlib.contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A session for reads only, where each statement may see the data as committed when it
    starts (READ COMMITTED): the token check, the change feed (bounded by the modseq it read
    first), a stream's state. On PostgreSQL it costs no BEGIN/COMMIT round trips; it must not
    write (each write would commit on its own)."""
    with Session(statement_engine(engine), expire_on_commit=False) as session:
        if is_sqlite(engine):
            with session.begin():
                yield session
        else:
            yield session


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.set_main_option(
            "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
        )
    return config


def migrate(engine: Engine, revision: str = "heads") -> None:
    """Bring the schema to the newest revision; safe when several workers start at once."""
    config = alembic_config(engine)
    with engine.connect() as conn:
        if not is_sqlite(engine):
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
            conn.commit()
        try:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
            conn.commit()
        finally:
            if not is_sqlite(engine):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
                conn.commit()


def prune_tombstones(session: Session, account_id: str, older_than_modseq: int) -> int:
    """Delete tombstones destroyed at or before `older_than_modseq`; returns how many.

    Raises the account's watermark so /changes from an older state answers 410 (resync) instead
    of silently missing those deletions.
    """
    from sqlalchemy import delete

    from mailapp.server.models import SYNCED_MODELS, Email, EmailBlob

    account = lock_account(session, account_id)
    watermark = min(older_than_modseq, current_modseq(session, account_id))
    removed = 0
    for model in SYNCED_MODELS.values():
        table = model.__table__  # type: ignore[attr-defined]
        condition = (
            (table.c.account_id == account_id)
            & table.c.destroyed_modseq.is_not(None)
            & (table.c.destroyed_modseq <= watermark)
        )
        if model is Email:
            session.execute(
                delete(EmailBlob).where(EmailBlob.email_id.in_(select(table.c.id).where(condition)))
            )
        outcome = session.execute(delete(table).where(condition))
        removed += getattr(outcome, "rowcount", 0) or 0
    account.pruned_modseq = max(account.pruned_modseq, watermark)
    session.flush()
    return removed


def prune_old_tombstones(session: Session, retention: int) -> int:
    """Prune every account's tombstones older than `retention` modseqs (for a periodic job)."""
    removed = 0
    for account_id, modseq in session.execute(select(Account.id, Account.modseq)).all():
        if modseq - retention > 0:
            removed += prune_tombstones(session, account_id, modseq - retention)
    return removed

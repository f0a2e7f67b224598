"""Whether the signed-in accounts of a store have sync work to do here, read with `sqlite3` alone.

For `mailapp sync --once` with nothing changed (mailapp.sync.quiet): importing SQLAlchemy, on
which `MailStore` is built, takes longer than such a whole cycle. Besides pulling, a cycle
(`SyncEngine.run_cycle`) pushes queued changes (`replica_take.take_batch`), fetches the
attachments of drafts (`replica_blobs.missing_draft_blobs`) and the bodies of mail in the
prefetch window (`replica_bodies.missing_bodies`). The queries below mirror those for the schema
revision `first_screen.SCHEMA_REVISION`; tests/sync/test_quiet.py compares them with the store's
own answers, so they cannot drift. Anything unexpected (no file, another revision, a lock)
answers None: the caller then runs the full cycle, which reports problems properly.
"""

from __future__ import annotations

import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from mailapp.store.first_screen import SCHEMA_REVISION

BUSY_TIMEOUT_S = 0.05  # a writer holding the store: not worth waiting for, take the full path
# Mirror replica_take._UNFINISHED (what take_batch sends) and replica_bodies.ALL_MAIL.
_UNFINISHED = ("pending", "in_flight")
_ALL_MAIL = -1
_DAY_MICROS = 86_400_000_000


@dataclass(frozen=True)
class QuietAccount:
    account_id: str
    server_url: str
    username: str
    state: str  # the change-feed state the store is at


def quiet_accounts(path: Path) -> list[QuietAccount] | None:
    """Every signed-in account of the store at `path`, when none of them has work to do here
    (nothing to push, no body or draft attachment to fetch, synced before). None when any has,
    when there is no signed-in account, or when the store cannot be read this way."""
    uri = f"file:{quote(str(path))}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        db.execute("BEGIN")  # one snapshot for every check
        revision = db.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] != SCHEMA_REVISION:
            return None
        rows = db.execute(
            "SELECT a.id, a.server_url, a.username, s.state, s.prefetch_days FROM accounts AS a"
            " JOIN sync_state AS s ON s.account_id = a.id WHERE a.server_url IS NOT NULL"
            " ORDER BY a.created_at"
        ).fetchall()
        accounts = []
        for account_id, server_url, username, state, prefetch_days in rows:
            if state is None or has_local_work(db, account_id, prefetch_days):
                return None
            accounts.append(QuietAccount(account_id, server_url, username, state))
        return accounts or None
    except (sqlite3.Error, ValueError):
        return None
    finally:
        db.close()


def has_local_work(db: sqlite3.Connection, account_id: str, prefetch_days: int) -> bool:
    return (
        _queued(db, account_id)
        or _missing_bodies(db, account_id, prefetch_days)
        or _missing_draft_blobs(db, account_id)
    )


def _queued(db: sqlite3.Connection, account_id: str) -> bool:
    row = db.execute(
        "SELECT 1 FROM outbox WHERE account_id = ? AND state IN (?, ?) LIMIT 1",
        (account_id, *_UNFINISHED),
    ).fetchone()
    return row is not None


def _missing_bodies(db: sqlite3.Connection, account_id: str, prefetch_days: int) -> bool:
    if prefetch_days == 0:
        return False  # SyncEngine.prefetch_bodies fetches nothing then
    now = time.time_ns() // 1000
    cutoff = -1 if prefetch_days <= _ALL_MAIL else now - prefetch_days * _DAY_MICROS
    row = db.execute(
        "SELECT 1 FROM body_queue AS q JOIN messages AS m ON m.num = q.message_num"
        " WHERE q.account_id = :account AND (q.retry_at IS NULL OR q.retry_at <= :now)"
        " AND q.message_num > :cutoff AND m.date > :cutoff LIMIT 1",
        {"account": account_id, "now": now, "cutoff": cutoff},
    ).fetchone()
    return row is not None


def _missing_draft_blobs(db: sqlite3.Connection, account_id: str) -> bool:
    referenced = {
        attachment["blobId"]
        for (fields,) in db.execute("SELECT fields FROM drafts WHERE account_id = ?", (account_id,))
        for attachment in json.loads(fields).get("attachments") or []
    }
    if not referenced:
        return False
    marks = ", ".join("?" * len(referenced))
    present = db.execute(f"SELECT count(*) FROM blobs WHERE id IN ({marks})", sorted(referenced))
    return int(present.fetchone()[0]) < len(referenced)


def note_synced(path: Path, accounts: list[QuietAccount]) -> None:
    """Record a cycle that found nothing new, as `replica.apply_changes` does for an empty
    page (the time the window shows as "last synced"). Best effort: skipped when locked."""
    try:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return
    try:
        now = time.time_ns() // 1000
        with db:
            db.executemany(
                # Only while the state is still the one the server confirmed.
                "UPDATE sync_state SET last_sync_at = ? WHERE account_id = ? AND state = ?",
                [(now, account.account_id, account.state) for account in accounts],
            )
    except sqlite3.Error:
        return
    finally:
        db.close()

"""Periodic upkeep of each worker process: pruning old tombstones and forgotten login
throttles, deleting unused blobs.

Without it the tombstone table grows forever; with it, a client that stayed offline for longer
than `tombstone_retention` modseqs gets 410 from the change feed and resyncs. Uploaded blobs
that no live draft names (the draft was sent, destroyed or never saved) are deleted once they
are older than `blob_grace_seconds`, which covers the gap between uploading an attachment and
pushing the draft that names it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select

from mailapp.server.config import Settings
from mailapp.server.db import lock_account, prune_old_tombstones, session_scope
from mailapp.server.limits import referenced_blob_ids
from mailapp.server.models import Blob
from mailapp.server.throttle import prune_throttle

log = logging.getLogger(__name__)


def prune_step(engine: Engine, settings: Settings) -> int:
    """One housekeeping run. Returns 0 so the loop waits a full interval before the next."""
    with session_scope(engine) as session:
        removed = prune_old_tombstones(session, settings.tombstone_retention)
    if removed:
        log.info("pruned %d tombstones", removed)
    with session_scope(engine) as session:
        prune_throttle(session, settings.login_rate_window)
    collected = collect_blobs(engine, settings.blob_grace_seconds)
    if collected:
        log.info("deleted %d unused blobs", collected)
    return 0


def collect_blobs(engine: Engine, grace_seconds: float, now: datetime | None = None) -> int:
    """Delete blobs older than the grace period that no live draft names; returns how many.

    One short transaction per account, with the account locked like a sync batch locks it, so
    a draft naming a blob cannot commit between the check and the delete.
    """
    cutoff = (now or datetime.now(UTC)) - timedelta(seconds=grace_seconds)
    with session_scope(engine, write=False) as session:
        accounts = list(
            session.scalars(select(Blob.account_id).where(Blob.created_at < cutoff).distinct())
        )
    deleted = 0
    for account_id in accounts:
        with session_scope(engine) as session:
            lock_account(session, account_id)
            referenced = referenced_blob_ids(session, account_id)
            old = session.scalars(
                select(Blob.id).where(Blob.account_id == account_id, Blob.created_at < cutoff)
            )
            doomed = sorted(set(old) - referenced)
            for start in range(0, len(doomed), 500):
                session.execute(delete(Blob).where(Blob.id.in_(doomed[start : start + 500])))
            deleted += len(doomed)
    return deleted

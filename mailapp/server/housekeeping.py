"""Periodic upkeep of each worker process: pruning old tombstones and forgotten login throttles.

Without it the tombstone table grows forever; with it, a client that stayed offline for longer
than `tombstone_retention` modseqs gets 410 from the change feed and resyncs.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from mailapp.server.config import Settings
from mailapp.server.db import prune_old_tombstones, session_scope
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
    return 0

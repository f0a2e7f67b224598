"""What a sync thread tells the UI: store changes (coalesced), counts, its state, its errors.

A mixin of `SyncWorker` (mailapp.ui.syncing.sync_thread), whose signals and state it uses.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from mailapp.store import ChangeSet, OutboxState
from mailapp.sync.connectivity import Reachability
from mailapp.sync.scheduler import SyncState

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.sync.scheduler import SyncScheduler

CHANGES_FLUSH_S = 0.1  # coalesce store notifications: views refresh at most 10x a second


class Reporting:
    account_id: str
    changesApplied: Any
    pendingChanged: Any
    conflictsChanged: Any
    stateChanged: Any
    errorRaised: Any
    _store: MailStore | None
    _scheduler: SyncScheduler | None
    _changes: ChangeSet | None
    _changes_at: float
    _last_emitted: tuple[str, int] | None
    _last_error: str | None

    def _collect(self, changes: ChangeSet) -> None:
        self._changes = changes if self._changes is None else self._changes.merged(changes)

    def _flush_changes(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._changes is None or (not force and now - self._changes_at < CHANGES_FLUSH_S):
            return
        changes, self._changes, self._changes_at = self._changes, None, now
        self.changesApplied.emit(changes)

    def _pending_count(self) -> int:
        if self._store is None:
            return 0
        waiting = (OutboxState.PENDING, OutboxState.IN_FLIGHT)
        return sum(1 for row in self._store.pending_mutations() if row.state in waiting)

    def _emit_counts(self) -> None:
        if self._store is None:
            return
        self.pendingChanged.emit(self._pending_count())
        self.conflictsChanged.emit(len(self._store.open_conflicts(self.account_id)))

    def _emit_state(self) -> None:
        scheduler = self._scheduler
        if scheduler is None:
            return
        if (
            scheduler.connectivity.state is Reachability.UNKNOWN
            and scheduler.state is SyncState.ONLINE
        ):
            return  # not known yet: the first probe answers within a moment
        state = (str(scheduler.state), scheduler.retry_in())
        if state != self._last_emitted:
            self._last_emitted = state
            self.stateChanged.emit(*state)

    def _emit_error(self, message: str) -> None:
        # Once per distinct problem: a retry loop must not flood the user with the same text.
        if message != self._last_error:
            self._last_error = message
            self.errorRaised.emit(message)

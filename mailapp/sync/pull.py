"""The pull half of a sync cycle: the change feed, page by page, applied to the store; and the
rebuild from state 0 when the server forgot our state (410). Mixed into SyncEngine
(mailapp.sync.engine).
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from concurrent.futures import ThreadPoolExecutor

from mailapp import wire
from mailapp.store import replica
from mailapp.sync.cycle import MAX_ROUND_TRIPS, CycleReport, EngineParts, Progress, record_count
from mailapp.sync.errors import PermanentError
from mailapp.sync.feed_process import CHILD_OVER, pull_in_child


class PullMixin(EngineParts):
    def _feed(self, since: str | None) -> Generator[wire.Changes, None, None]:
        """The change feed from ``since``, page by page, one page fetched ahead.

        The first page is fetched here: most cycles have one page, and a helper thread per
        cycle only adds latency. When there are more, the next page is requested (and computed
        by the server) on a helper thread while the caller applies this one: its `newState` is
        all the request needs. An error fetching it surfaces after this page is applied, so
        what arrived stays applied.

        The helper only waits for the answer's bytes; the page is parsed (JSON, then pydantic)
        here. Parsed on the helper, it competed for the GIL with this thread and the UI thread
        at once: a third runnable Python thread lets the UI thread lose the GIL hand-off more
        often (CPython hands it to any waiter), and parsing in parallel gains nothing under the
        GIL anyway.
        """
        client, limit = self.client, self.page_size
        changes = client.changes(since, limit)
        if not changes.has_more:
            yield changes
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailapp-feed") as pool:
            ahead = pool.submit(client.changes_text, changes.new_state, limit)
            try:
                for _ in range(MAX_ROUND_TRIPS):
                    yield changes
                    if not changes.has_more:
                        return
                    changes = client.parse_changes(ahead.result())
                    if changes.has_more:
                        ahead = pool.submit(client.changes_text, changes.new_state, limit)
            finally:
                # Stopped early (an error applying a page): the page in flight is dropped; the
                # pool waits for its request, which the client's timeouts bound.
                ahead.cancel()
        raise PermanentError("The server kept sending changes; try again later.")

    def applied_pages(
        self, since: str | None, *, announce: bool
    ) -> Generator[wire.Changes, None, None]:
        """Each page of the feed from ``since``, applied to the store (one transaction, its
        newState stored with it) before it is yielded."""
        with contextlib.closing(self._feed(since)) as pages:
            for changes in pages:
                replica.apply_changes(self.store, self.account_id, changes, announce=announce)
                self._applied_state = changes.new_state
                yield changes

    def _pull(self, report: CycleReport, progress: Progress | None) -> None:
        target: int | None = None
        since = self._state()
        # A first sync, or the rest of one that was cut off (work offline, a restart, a network
        # failure): its state then carries the listing's floor ("<modseq>.<floor>",
        # docs/protocol.md). Either brings the mailbox that was there before: not new mail.
        listing = wire.in_first_sync(since)
        if progress is not None and listing:
            # Only a first sync is long enough to be worth a progress bar.
            target = int(self.client.session_info().state)
            # A big one in a process of its own (see mailapp.sync.feed_process).
            big = self.feed_in_child and target - wire.state_modseq(since or "0") > CHILD_OVER
            if big and pull_in_child(self, report, progress, target, since):
                return
        with contextlib.closing(self.applied_pages(since, announce=not listing)) as pages:
            for changes in pages:
                report.pulled += record_count(changes)
                if progress is not None and target:
                    progress(min(wire.state_modseq(changes.new_state), target), target)

    def _resync(self, report: CycleReport, progress: Progress | None) -> None:
        """Rebuild the copy from state 0; queued local mutations stay and are pushed after."""
        replica.reset_state(self.store, self.account_id)
        report.resynced = True
        seen: dict[str, set[str]] = {"emails": set(), "mailboxes": set(), "drafts": set()}
        target = int(self.client.session_info().state) if progress is not None else 0
        with contextlib.closing(self._feed(self._state())) as pages:
            for changes in pages:
                for name in seen:
                    kind = getattr(changes, name)
                    seen[name].update(record.id for record in [*kind.created, *kind.updated])
                    seen[name].difference_update(kind.destroyed)
                # A rebuild re-reads every message: nothing of it is announced as new.
                replica.apply_changes(self.store, self.account_id, changes, announce=False)
                self._applied_state = changes.new_state
                report.pulled += record_count(changes)
                if progress is not None and target:
                    progress(min(wire.state_modseq(changes.new_state), target), target)
        replica.drop_unseen(
            self.store,
            self.account_id,
            emails=seen["emails"],
            mailboxes_seen=seen["mailboxes"],
            drafts_seen=seen["drafts"],
        )

"""What one sync cycle reports, shared by its push and pull halves (mailapp.sync.engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mailapp import wire
from mailapp.store import MailStore
from mailapp.sync.client import ApiClient
from mailapp.sync.quiet import summary

Progress = Callable[[int, int], None]
# Upper bound on round trips per cycle, so a server that always says "hasMore" cannot spin us.
MAX_ROUND_TRIPS = 10_000


@dataclass
class CycleReport:
    pushed: int = 0
    pulled: int = 0
    conflicts: int = 0
    failed: int = 0
    state: str | None = None
    resynced: bool = False
    bodies_fetched: int = 0
    # No record of which messages changed: that reaches the store's subscribers page by page
    # (the Qt worker merges and forwards it), and a report keeping every id held a first sync's
    # 100,000 message ids (~12 MB) in the sync thread until the cycle ended (issue 11: RSS).

    def summary(self) -> str:
        return summary(self.pushed, self.pulled, self.conflicts, self.failed)


def record_count(changes: wire.Changes) -> int:
    return sum(
        len(kind.created) + len(kind.updated) + len(kind.destroyed)
        for kind in (changes.mailboxes, changes.emails, changes.drafts, changes.submissions)
    )


class EngineParts:
    """What the push and pull halves (mailapp.sync.push, mailapp.sync.pull) share: the engine's
    attributes, and the two calls each half makes into the other or the store."""

    store: MailStore
    client: ApiClient
    account_id: str
    batch_size: int
    page_size: int
    feed_in_child: bool  # a big first sync's feed runs in a child process (feed_process.py)
    _fed: bool  # a push answer brought the change feed up to date this cycle
    _sent_since: str | None  # the state the last push was sent with
    _applied_state: str | None  # the state this cycle's last page or push answer stored

    def _state(self) -> str | None:
        return self.store.sync_state(self.account_id)[0]

    def _pull(self, report: CycleReport, progress: Progress | None) -> None:
        raise NotImplementedError  # mailapp.sync.pull.PullMixin

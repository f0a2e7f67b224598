"""What one sync cycle reports, shared by its push and pull halves (mailapp.sync.engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mailapp import wire
from mailapp.store import ChangeSet, MailStore
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
    # Collected in place: a first sync notes 100,000 message ids, and building a new union per
    # page would copy them all every time (quadratic, holding the GIL).
    _messages: set[str] = field(default_factory=set, repr=False)
    _mailboxes: set[str] = field(default_factory=set, repr=False)
    _drafts: set[str] = field(default_factory=set, repr=False)
    _outbox: bool = field(default=False, repr=False)
    _arrived: set[str] = field(default_factory=set, repr=False)

    def note(self, changes: ChangeSet) -> None:
        self._messages.update(changes.messages)
        self._mailboxes.update(changes.mailboxes)
        self._drafts.update(changes.drafts)
        self._outbox = self._outbox or changes.outbox
        self._arrived.update(changes.arrived)

    @property
    def changed(self) -> ChangeSet:
        """Everything the cycle changed in the store."""
        return ChangeSet(
            messages=frozenset(self._messages),
            mailboxes=frozenset(self._mailboxes),
            outbox=self._outbox,
            drafts=frozenset(self._drafts),
            arrived=frozenset(self._arrived),
        )

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

    def _state(self) -> str | None:
        return self.store.sync_state(self.account_id)[0]

    def _pull(self, report: CycleReport, progress: Progress | None) -> None:
        raise NotImplementedError  # mailapp.sync.pull.PullMixin

"""Which folders of an owned account are watched with IDLE, and their watchers.

IDLE watches one folder per connection, so every watched folder costs a connection: at most
`limit` per account (MAILAPP_UPSTREAM_IDLE_FOLDERS, 3 by default), the most useful first
(Inbox, where mail arrives; Sent and Drafts, where another client of the user writes most;
then Archive and the user's own folders, which filters deliver into; Junk and Trash last), and
together never more than the IDLE share of the host's connection slots (the worker's budget),
so syncs always get a connection. Every other folder is checked by the worker's poll.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Mailbox
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.idle import IdleWatcher
from mailapp.server.upstream.models import UpstreamFolder

ROLE_ORDER = {"inbox": 0, "sent": 1, "drafts": 2, "archive": 3, None: 4, "junk": 5, "trash": 6}


def watch_order(engine: Engine, upstream_id: str) -> list[str]:
    """The account's live folders, the ones most worth an IDLE connection first."""
    with session_scope(engine, write=False) as session:
        rows = session.execute(
            select(UpstreamFolder.name, Mailbox.role)
            .join(Mailbox, Mailbox.id == UpstreamFolder.mailbox_id)
            .where(UpstreamFolder.upstream_id == upstream_id, UpstreamFolder.live.is_(True))
        ).all()
    ranked = sorted(rows, key=lambda row: (ROLE_ORDER.get(row[1], 4), row[0]))
    return [name for name, _role in ranked]


class AccountWatchers:
    """The IDLE watchers of one account, one per watched folder."""

    def __init__(
        self, endpoint: Endpoint, password: str, on_change: Callable[[], None], *, name: str
    ) -> None:
        self.endpoint = endpoint
        self._password = password
        self._on_change = on_change
        self._name = name
        self.watchers: dict[str, IdleWatcher] = {}

    @property
    def host(self) -> str:
        return self.endpoint.host.lower()

    @property
    def connections(self) -> int:
        return sum(1 for watcher in self.watchers.values() if watcher.alive)

    def watching(self) -> list[str]:
        return [name for name, watcher in self.watchers.items() if watcher.alive]

    def ensure(self, folders: list[str], room: int) -> None:
        """Watch the first of `folders` (in order) that `room` connections allow; stop
        watching folders that are gone or no longer among them."""
        wanted = folders[: max(0, room)]
        for name in list(self.watchers):
            if name not in wanted or not self.watchers[name].alive:
                self.watchers.pop(name).stop(timeout=0)
        for name in wanted:
            if name not in self.watchers:
                watcher = IdleWatcher(
                    self.endpoint,
                    self._password,
                    self._on_change,
                    folder=name,
                    name=f"{self._name}-{len(self.watchers)}",
                )
                self.watchers[name] = watcher
                watcher.start()

    def stop(self, timeout: float = 5.0) -> None:
        for watcher in self.watchers.values():
            watcher.stop(timeout=timeout)
        self.watchers.clear()

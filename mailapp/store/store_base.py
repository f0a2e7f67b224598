"""The plumbing every part of MailStore shares: the engine, transactions and notifications.

MailStore (store.py) is put together from mixins by responsibility (store_reads.py,
store_actions.py, store_drafts.py); each subclasses StoreBase for these.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Connection, Engine, Row, select

from mailapp.store.engine import transaction
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import meta

log = logging.getLogger("mailapp.store.store")

Subscriber = Callable[[ChangeSet], None]
AnyRow = Row[*tuple[Any, ...]]


class StoreBase:
    """Safe for one thread at a time per instance; open one per thread for concurrency."""

    # What opening found and the user must be told (see open_store), shown once by the caller.
    notices: tuple[str, ...] = ()

    def __init__(self, path: Path, engine: Engine) -> None:
        self.path = path
        self._engine = engine
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()
        with self._read() as conn:
            self.client_id: str = conn.execute(
                select(meta.c.value).where(meta.c.key == "client_id")
            ).scalar_one()

    # -- plumbing ---------------------------------------------------------------------------

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with transaction(self._engine, self.path, write=False) as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with transaction(self._engine, self.path, write=True) as conn:
            yield conn

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(changes)`` after every committed change; returns an unsubscribe."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def _notify(self, changes: ChangeSet) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(changes)
            except Exception:
                # A broken view must not undo or block a committed change.
                log.exception("store subscriber %r failed", callback)

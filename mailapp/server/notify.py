"""Change notifications: "account X is now at modseq N", from the write transaction to every stream.

On PostgreSQL the write transaction issues `pg_notify`, which PostgreSQL delivers on commit to
every worker process LISTENing, so a write on one worker wakes streams held by another. On
SQLite there is no such channel: commits publish in-process, and the bus also polls the state of
the accounts it has subscribers for, which covers several worker processes sharing one file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

CHANNEL = "mailapp_changes"
# "Mail may be due for sending now": wakes the delivery loops, which ordinary changes (a flag,
# a move: most of a busy server's commits) leave alone.
SEND_CHANNEL = "mailapp_sending"
_PENDING_KEY = "mailapp_pending_notifications"
_SENDING_KEY = "mailapp_pending_sending"

log = logging.getLogger(__name__)

# Every running bus of this process; commits on SQLite publish to all of them. A wake-up only
# makes a stream re-read its state, so waking a bus of another app in the same process is harmless.
_LOCAL_BUSES: weakref.WeakSet[ChangeBus] = weakref.WeakSet()


def notify_in_transaction(session: Session, account_id: object, modseq: int) -> None:
    """Announce `account_id` reaching `modseq`; the announcement goes out only if the
    transaction commits, and in commit order."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"),
            {"channel": CHANNEL, "payload": f"{account_id}:{modseq}"},
        )
    else:
        session.info.setdefault(_PENDING_KEY, []).append((str(account_id), modseq))


def notify_sending_in_transaction(session: Session) -> None:
    """Announce, if the transaction commits, that a message may be due for sending now."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": SEND_CHANNEL})
    else:
        session.info[_SENDING_KEY] = True


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    sending = session.info.pop(_SENDING_KEY, False)
    for bus in list(_LOCAL_BUSES):
        for account_id, modseq in pending or ():
            bus.publish(account_id, modseq)
        if sending:
            bus.publish_sending()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING_KEY, None)
    session.info.pop(_SENDING_KEY, None)


class BusClosed(Exception):
    """The server is shutting down."""


class TooManyStreams(Exception):
    """The account already holds the maximum number of open event streams."""


class Subscription:
    """One open stream's view of the bus: `wait()` returns when its account may have changed.

    Most wake-ups carry the state the change reached (the NOTIFY payload, the in-process
    publish, the SQLite poll's one read per account); `take_state()` hands it over, so the
    streams of an account need not each read the database for every change.
    """

    def __init__(self, bus: ChangeBus, account_id: str) -> None:
        self._bus = bus
        self.account_id = account_id
        self._changed = asyncio.Event()
        self._state: int | None = None
        self._unknown = True  # woken without a state (or never): the stream must read it
        self.closed = False

    async def wait(self, timeout: float) -> bool:
        """True when woken by a change (or by closing), False on timeout."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        self._changed.clear()
        return True

    def wake(self, state: int | None = None) -> None:
        if state is None:
            self._unknown = True
        elif self._state is None or state > self._state:
            self._state = state
        self._changed.set()

    def take_state(self) -> int | None:
        """The newest state announced since the last call; None when the stream must read it
        itself (a wake-up without a state, e.g. after the listener reconnected)."""
        state, unknown = self._state, self._unknown
        self._state, self._unknown = None, False
        return None if unknown else state

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._remove(self)
            self._changed.set()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


StateReader = Callable[[str], "int | None"]


class ChangeBus:
    """Fans change notifications out to the event streams of one app process."""

    def __init__(
        self,
        engine: Engine,
        read_state: StateReader,
        *,
        max_streams_per_account: int = 8,
        poll_interval: float = 1.0,
    ) -> None:
        self._engine = engine
        self._read_state = read_state
        self.max_streams_per_account = max_streams_per_account
        self._poll_interval = poll_interval
        self._subs: dict[str, set[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._poll_task: asyncio.Task[None] | None = None
        self._known: dict[str, int | None] = {}
        self._listeners: list[Callable[[], None]] = []
        self._sending_listeners: list[Callable[[], None]] = []
        self.closing = False

    @property
    def uses_listen(self) -> bool:
        return self._engine.dialect.name == "postgresql"

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        _LOCAL_BUSES.add(self)
        if self.uses_listen:
            listening = threading.Event()
            self._thread = threading.Thread(
                target=self._listen_forever, args=(listening,), name="mailapp-listen", daemon=True
            )
            self._thread.start()
            # Streams opened right after start-up must not miss a commit.
            await asyncio.to_thread(listening.wait, 10.0)
        else:
            self._poll_task = asyncio.create_task(self._poll_forever())

    async def stop(self) -> None:
        self._stopping.set()
        _LOCAL_BUSES.discard(self)
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)
        self.close_streams()

    def close_streams(self) -> None:
        """End every open stream and refuse new ones (the server is shutting down)."""
        self.closing = True
        for subs in list(self._subs.values()):
            for sub in list(subs):
                sub.close()

    def close_streams_threadsafe(self) -> None:
        self._call_in_loop(self.close_streams)

    def subscribe(self, account_id: object) -> Subscription:
        """Raises BusClosed during shutdown, TooManyStreams over the per-process limit."""
        if self.closing:
            raise BusClosed
        key = str(account_id)
        subs = self._subs.setdefault(key, set())
        if len(subs) >= self.max_streams_per_account:
            raise TooManyStreams(key)
        sub = Subscription(self, key)
        subs.add(sub)
        return sub

    def add_listener(self, callback: Callable[[], None], *, sending_only: bool = False) -> None:
        """Call `callback` in the event loop after any change of any account; with
        `sending_only`, only when a message may have become due for sending (to wake the
        delivery loop)."""
        (self._sending_listeners if sending_only else self._listeners).append(callback)

    def stream_count(self, account_id: object) -> int:
        return len(self._subs.get(str(account_id), ()))

    def _remove(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.account_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.account_id]
                self._known.pop(sub.account_id, None)

    def publish(self, account_id: object, modseq: int | None = None) -> None:
        """Thread-safe: wake every stream of `account_id`, telling them `modseq` if known."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # loop closing during shutdown
            loop.call_soon_threadsafe(self._wake, str(account_id), modseq)

    def _wake(self, account_id: str, modseq: int | None = None) -> None:
        for sub in list(self._subs.get(account_id, ())):
            sub.wake(modseq)
        for callback in self._listeners:
            callback()

    def publish_sending(self) -> None:
        """Thread-safe: wake the listeners waiting for mail to send."""
        self._call_in_loop(self._wake_sending)

    def _wake_sending(self) -> None:
        for callback in self._sending_listeners:
            callback()

    def _wake_all(self) -> None:
        for account_id in list(self._subs):
            self._wake(account_id)
        self._wake_sending()

    # -- PostgreSQL: one LISTEN connection per process ---------------------------------------

    def _listen_forever(self, listening: threading.Event) -> None:
        import psycopg

        conninfo = self._engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        backoff = 0.5
        while not self._stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    conn.execute(f"LISTEN {SEND_CHANNEL}")
                    listening.set()
                    backoff = 0.5
                    # Anything committed while we were not listening is picked up by a re-read.
                    self._call_in_loop(self._wake_all)
                    while not self._stopping.is_set():
                        for note in conn.notifies(timeout=0.5):
                            if note.channel == SEND_CHANNEL:
                                self.publish_sending()
                                continue
                            account_id, _, modseq = note.payload.rpartition(":")
                            # NOTIFY arrives in commit order, and commit order is modseq order.
                            self.publish(account_id, int(modseq) if modseq.isdigit() else None)
            except psycopg.Error as exc:
                log.warning("change listener lost its connection (%s); reconnecting", exc)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 10.0)

    def _call_in_loop(self, fn: Callable[[], Any]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(fn)

    # -- SQLite: poll the subscribed accounts, for writes made by other processes ---------------

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.sleep(self._poll_interval)
            accounts = list(self._subs)
            if not accounts:
                continue
            try:
                states = await asyncio.to_thread(self._read_states, accounts)
            except Exception as exc:  # keep streaming; the next poll tries again
                log.warning("change poll failed: %s", exc)
                continue
            for account_id, state in states.items():
                # A first sighting wakes too: a stream re-reads and sends only a newer state.
                if self._known.get(account_id, -1) != state:
                    self._wake(account_id, state)
                self._known[account_id] = state

    def _read_states(self, accounts: list[str]) -> dict[str, int | None]:
        return {account_id: self._read_state(account_id) for account_id in accounts}

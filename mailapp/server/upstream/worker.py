"""The upstream sync loop of each server process, and which process owns which account.

Every worker process runs one `UpstreamWorker` in a `BackgroundLoop`. An account is synced
only by the process holding its lease (`lease_owner`, `lease_until` on the link): a process
claims links whose lease is free or expired, renews its leases on every tick and after every
batch of a long import, and releases them at shutdown. So with several workers, on SQLite or
PostgreSQL alike, exactly one syncs each account, and when a worker dies another takes its
accounts over once the lease runs out (`lease_seconds`).

The owner keeps IDLE connections on each owned account's most useful folders (Inbox, Sent,
Drafts: `watchers.py`, up to `idle_folders`); a change there makes the account due at once.
Otherwise an account is due every `poll_interval` seconds, and after a failure with backoff
(an hour after a refused password or certificate, so a wrong password does not lock the
account at the provider).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Account
from mailapp.server.scheduler import retry_delay
from mailapp.server.upstream import connection, secrets
from mailapp.server.upstream.models import LinkState, UpstreamAccount
from mailapp.server.upstream.run import credentials, sync_link
from mailapp.server.upstream.syncer import SyncLimits
from mailapp.server.upstream.watchers import AccountWatchers, watch_order

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
CLAIM_INTERVAL = 5.0
MAX_ACCOUNTS_PER_WORKER = 100
REFUSED_RETRY = 3600.0  # auth or certificate refused: retry rarely (or at once after link-imap)


class LeaseLost(Exception):
    """Another worker owns the account now (our lease ran out): stop syncing it."""


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Owned:
    next_due: float = 0.0  # monotonic
    failures: int = 0
    watchers: AccountWatchers | None = None
    state: str = ""
    # The account's modseq after our last sync: a higher one means a change made here (a
    # client marked something read) that may need writing back, so the account is due.
    modseq: int | None = None
    host: str = ""


@dataclass
class UpstreamWorker:
    engine: Engine
    key_file: Any
    poll_interval: float = 60.0
    lease_seconds: float = LEASE_SECONDS
    max_accounts: int = MAX_ACCOUNTS_PER_WORKER
    idle: bool = True
    # Folders per account watched with IDLE (MAILAPP_UPSTREAM_IDLE_FOLDERS).
    idle_folders: int = 3
    limits: SyncLimits = field(default_factory=SyncLimits)
    # Called from IDLE threads when an account became due (thread-safe wake of the loop).
    wake: Callable[[], None] = lambda: None
    clock: Callable[[], datetime] = utcnow
    monotonic: Callable[[], float] = time.monotonic
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    owned: dict[str, Owned] = field(default_factory=dict)
    _due_now: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _renewed_at: float = float("-inf")

    # -- the loop body ---------------------------------------------------------------------

    def run_once(self) -> int:
        self._renew()
        self._claim()
        if not self.owned:
            return 0
        try:
            key = secrets.load_key(secrets.key_path_of(self.key_file))
        except secrets.ServerKeyError as exc:
            self._record_all(str(exc))
            return 0
        now = self.monotonic()
        with self._lock:
            woken, self._due_now = self._due_now, set()
        woken |= self._changed_here()
        done = 0
        for upstream_id, owned in list(self.owned.items()):
            if upstream_id not in woken and owned.next_due > now:
                continue
            done += self._sync(key, upstream_id, owned)
        return done

    def _sync(self, key: Fernet, upstream_id: str, owned: Owned) -> int:
        # The account's modseq before the sync: a change a client makes while it runs (after
        # its folder or its drafts were written) makes the account due again at once, instead
        # of waiting for the next poll. What the sync itself imported costs one quick resync.
        started = self._modseqs([upstream_id]).get(upstream_id)
        try:
            stats = sync_link(
                self.engine,
                key,
                upstream_id,
                limits=self.limits,
                after_batch=lambda _phase, _n: self._renew_one(upstream_id),
            )
        except LeaseLost:
            self._forget(upstream_id)
            return 0
        except Exception as exc:  # a bug or the database: recorded, the other accounts go on
            log.exception("upstream sync of %s failed", upstream_id)
            from mailapp.server.upstream.run import _record

            _record(self.engine, upstream_id, state=LinkState.error.value, last_error=str(exc))
            stats = None
        state = self._state(upstream_id)
        if state is None:  # unlinked meanwhile
            self._forget(upstream_id)
            return 0
        if stats is None:
            owned.failures += 1
            delay = (
                REFUSED_RETRY
                if state in (LinkState.auth_failed.value, LinkState.tls_error.value)
                else retry_delay(owned.failures, base=10.0, cap=max(self.poll_interval, 900.0))
            )
        else:
            owned.failures = 0
            owned.modseq = started
            delay = self.poll_interval
            if stats.drafts_due_in is not None:  # a draft resting before it goes upstream
                delay = min(delay, stats.drafts_due_in)
            if self.idle and self.idle_folders > 0:
                self._watch(key, upstream_id, owned)
        owned.next_due = self.monotonic() + delay
        owned.state = state
        return 1 if stats is not None and (stats.headers or stats.bodies) else 0

    def _modseqs(self, ids: list[str]) -> dict[str, int]:
        with session_scope(self.engine, write=False) as session:
            rows = session.execute(
                select(UpstreamAccount.id, Account.modseq)
                .join(Account, Account.id == UpstreamAccount.account_id)
                .where(UpstreamAccount.id.in_(ids))
            ).all()
        return {upstream_id: int(modseq) for upstream_id, modseq in rows}

    def _changed_here(self) -> set[str]:
        known = [i for i, owned in self.owned.items() if owned.modseq is not None]
        if not known:
            return set()
        current = self._modseqs(known)
        return {i for i in known if current.get(i, 0) > (self.owned[i].modseq or 0)}

    def _state(self, upstream_id: str) -> str | None:
        with session_scope(self.engine, write=False) as session:
            return session.scalar(
                select(UpstreamAccount.state).where(UpstreamAccount.id == upstream_id)
            )

    def _watch(self, key: Fernet, upstream_id: str, owned: Owned) -> None:
        """IDLE on the account's first `idle_folders` folders, as far as the host's IDLE
        budget allows: at most half of its connection slots for all accounts together, the
        rest are for syncs (folders beyond that are polled)."""
        if owned.watchers is None:
            try:
                _account, endpoint, password, _state = credentials(self.engine, key, upstream_id)
            except (LookupError, secrets.ServerKeyError):
                return
            owned.host = endpoint.host.lower()

            def changed() -> None:
                with self._lock:
                    self._due_now.add(upstream_id)
                self.wake()

            owned.watchers = AccountWatchers(
                endpoint, password, changed, name=f"mailapp-idle-{upstream_id[:8]}"
            )
        others = sum(
            other.watchers.connections
            for other in self.owned.values()
            if other is not owned and other.watchers is not None and other.host == owned.host
        )
        budget = max(1, connection.MAX_CONNECTIONS_PER_HOST // 2) - others
        folders = watch_order(self.engine, upstream_id)[: self.idle_folders]
        owned.watchers.ensure(folders, budget)

    # -- leases ----------------------------------------------------------------------------

    def _until(self) -> datetime:
        return self.clock() + timedelta(seconds=self.lease_seconds)

    def _renew(self) -> None:
        if not self.owned:
            return
        # Woken by every commit (write-back must be prompt): the lease is written a few times
        # per lifetime only; whether we still hold it is read on every tick.
        if self.monotonic() - self._renewed_at >= self.lease_seconds / 6:
            self._renewed_at = self.monotonic()
            with session_scope(self.engine) as session:
                session.execute(
                    update(UpstreamAccount)
                    .where(UpstreamAccount.lease_owner == self.owner)
                    .values(lease_until=self._until())
                )
        with session_scope(self.engine, write=False) as session:
            still = dict(
                session.execute(
                    select(UpstreamAccount.id, UpstreamAccount.state).where(
                        UpstreamAccount.lease_owner == self.owner
                    )
                ).all()
            )
        for upstream_id, owned in list(self.owned.items()):
            state = still.get(upstream_id)
            if state is None:
                self._forget(upstream_id)
            elif state == LinkState.pending.value and owned.state:
                # Linked again (`link-imap` with a new password): sync at once, IDLE anew.
                owned.next_due, owned.failures, owned.state = 0.0, 0, ""
                if owned.watchers is not None:
                    owned.watchers.stop(timeout=0)
                    owned.watchers = None

    def _renew_one(self, upstream_id: str) -> None:
        with session_scope(self.engine) as session:
            result = session.execute(
                update(UpstreamAccount)
                .where(UpstreamAccount.id == upstream_id, UpstreamAccount.lease_owner == self.owner)
                .values(lease_until=self._until())
            )
        if getattr(result, "rowcount", 1) == 0:
            raise LeaseLost(upstream_id)

    def _claim(self) -> None:
        room = self.max_accounts - len(self.owned)
        if room <= 0:
            return
        now = self.clock()
        free = or_(UpstreamAccount.lease_owner.is_(None), UpstreamAccount.lease_until < now)
        # A read first: idle workers polling take no write lock.
        with session_scope(self.engine, write=False) as session:
            candidates = list(session.scalars(select(UpstreamAccount.id).where(free).limit(room)))
        for upstream_id in candidates:
            with session_scope(self.engine) as session:
                result = session.execute(
                    update(UpstreamAccount)
                    .where(UpstreamAccount.id == upstream_id, free)
                    .values(lease_owner=self.owner, lease_until=self._until())
                )
            if getattr(result, "rowcount", 0) == 1:
                log.info("upstream %s: this worker (%s) syncs it now", upstream_id, self.owner)
                self.owned[upstream_id] = Owned()

    def _forget(self, upstream_id: str) -> None:
        owned = self.owned.pop(upstream_id, None)
        if owned is not None and owned.watchers is not None:
            owned.watchers.stop(timeout=0)

    def release_all(self) -> None:
        """Give every lease back (shutdown): another worker may take over at once."""
        for upstream_id in list(self.owned):
            self._forget(upstream_id)
        with session_scope(self.engine) as session:
            session.execute(
                update(UpstreamAccount)
                .where(UpstreamAccount.lease_owner == self.owner)
                .values(lease_owner=None, lease_until=None)
            )

    def stop_watchers(self) -> None:
        for owned in self.owned.values():
            if owned.watchers is not None:
                owned.watchers.stop()

    def _record_all(self, message: str) -> None:
        if not self.owned:
            return
        with session_scope(self.engine) as session:
            session.execute(
                update(UpstreamAccount)
                .where(UpstreamAccount.lease_owner == self.owner)
                .values(state=LinkState.error.value, last_error=message)
            )


# -- app integration --------------------------------------------------------------------------


async def start_background(app: Any) -> None:
    """Start this process's upstream loop (app lifespan)."""
    import asyncio

    from mailapp.server.scheduler import BackgroundLoop

    engine, settings = app.state.engine, app.state.settings
    loop = asyncio.get_running_loop()
    poll = float(getattr(settings, "upstream_poll_interval", 60.0))
    limits = SyncLimits(draft_delay=float(getattr(settings, "upstream_draft_delay", 10.0)))
    idle_folders = int(getattr(settings, "upstream_idle_folders", 3))
    worker = UpstreamWorker(
        engine, settings, poll_interval=poll, limits=limits, idle_folders=idle_folders
    )
    # Ticks renew the leases well within their lifetime even when nothing is due.
    background = BackgroundLoop(
        "mailapp-upstream",
        worker.run_once,
        # A tick is a few cheap reads; every 5 s a newly linked account is picked up quickly.
        interval=min(poll, CLAIM_INTERVAL),
        min_interval=0.05,
    )

    def wake() -> None:
        if not loop.is_closed():
            loop.call_soon_threadsafe(background.wake)

    worker.wake = wake
    app.state.upstream_worker = worker
    app.state.upstream_loop = background
    bus = getattr(app.state, "change_bus", None)
    if bus is not None:

        def changed() -> None:
            # A change made here (a client marked mail read) is written back upstream
            # promptly, by the worker holding the linked account. The others have nothing to
            # write back (they look for new links every CLAIM_INTERVAL), so the changes of a
            # busy server do not each cost every worker a query.
            if worker.owned:
                background.wake()

        bus.add_listener(changed)
    background.start()


async def stop_background(app: Any) -> None:
    import asyncio

    background = getattr(app.state, "upstream_loop", None)
    worker = getattr(app.state, "upstream_worker", None)
    if background is not None:
        await background.stop()
    if worker is not None:
        await asyncio.to_thread(worker.stop_watchers)
        await asyncio.to_thread(worker.release_all)
    app.state.upstream_loop = app.state.upstream_worker = None

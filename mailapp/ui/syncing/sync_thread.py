"""The sync engine of one account on its own thread (`SyncWorker`).

It lives on a QThread with its own MailStore (opened on that thread, same file) and does every
network request; `SyncScheduler` decides what to do when. `SyncController`
(mailapp.ui.syncing.sync_worker) owns the thread on the UI side; `Downloads`
(mailapp.ui.syncing.sync_downloads) answers what the user opens before it is stored.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal, Slot

from mailapp.store import ChangeSet, MailStore, open_store
from mailapp.sync.connectivity import Reachability, WakeDetector
from mailapp.sync.errors import SyncError
from mailapp.sync.scheduler import (
    Action,
    FailureKind,
    SchedulerSettings,
    SyncScheduler,
    SyncState,
    classify,
)
from mailapp.sync.threads import share_gil_with_ui
from mailapp.sync.urls import is_loopback
from mailapp.ui.syncing.sync_downloads import Downloads
from mailapp.ui.syncing.sync_events import ServerEvents
from mailapp.ui.syncing.sync_factories import ClientFactory, Engine, EngineFactory, default_engine
from mailapp.ui.syncing.sync_reporting import Reporting

log = logging.getLogger(__name__)

WAKE_CHECK_MS = 10_000
# Bodies per cycle (in bulk requests): a cycle stays short, so local changes are not held up.
PREFETCH_BATCH = 1000
# The IMAP link's state (GET /v1/upstream) is asked for after a good cycle at most this often,
# and at once when the account settings open.
UPSTREAM_REFRESH_S = 60.0


class SyncWorker(QObject, Reporting, ServerEvents):
    """Runs on the sync thread; create it on the UI thread and let SyncController move it."""

    stateChanged = Signal(str, int)
    progress = Signal(int, int)
    changesApplied = Signal(object)
    conflictsChanged = Signal(int)
    pendingChanged = Signal(int)
    lastSyncChanged = Signal(object)
    errorRaised = Signal(str)
    attachmentReady = Signal(str)  # its bytes are in the store now
    attachmentOffline = Signal(str)  # kept wanted: it downloads after the next good cycle
    attachmentRetrying = Signal(str, str)  # as bodyRetrying, for an attachment
    attachmentFailed = Signal(str, str)  # (attachment id, why), not retried by itself
    bodyOffline = Signal(str)  # a message's body, kept wanted: it downloads after a good cycle
    # (message id, why) failed for the network while online (a timeout): kept, retried in seconds
    bodyRetrying = Signal(str, str)
    bodyFailed = Signal(str, str)  # (message id, why), not retried by itself
    upstreamChanged = Signal(object)  # wire.UpstreamLink, or None from a server without it
    stopped = Signal()
    _serverState = Signal(str)  # from the event-stream thread
    _streamUp = Signal(bool)

    def __init__(
        self,
        store_path: Path,
        account_id: str,
        client_factory: ClientFactory,
        *,
        engine_factory: EngineFactory = default_engine,
        settings: SchedulerSettings | None = None,
        use_server_events: bool = True,
    ) -> None:
        super().__init__()
        self.store_path = store_path
        self.account_id = account_id
        self._client_factory = client_factory
        self._engine_factory = engine_factory
        self._settings = settings
        self._use_server_events = use_server_events
        # Created here so that the UI thread can abort() it; used only on the worker thread.
        from mailapp.sync.abortable import AbortableSession  # requests: once an account syncs

        self.session = AbortableSession()
        self.work_offline = False
        self._store: MailStore | None = None
        self._client = None  # its type, and _listener's: ServerEvents
        self.engine: Engine | None = None
        self._listener = None
        self._scheduler: SyncScheduler | None = None
        self._tick_timer: QTimer | None = None
        self._wake_timer: QTimer | None = None
        self._wake = WakeDetector(interval=WAKE_CHECK_MS / 1000)
        self._changes: ChangeSet | None = None
        self._changes_at = 0.0
        self._known_state: str | None = None
        self._last_emitted: tuple[str, int] | None = None
        self._last_error: str | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._downloads = Downloads(self)
        self._loopback = False  # the server is on this machine: the OS's "no network" is moot
        self._upstream_at: float | None = None  # when the IMAP link's state was last asked for
        self._serverState.connect(self._on_server_state)
        self._streamUp.connect(self._on_stream_up)

    # -- lifecycle (worker thread) -------------------------------------------------------------

    @Slot()
    def setup(self) -> None:
        self._scheduler = SyncScheduler(settings=self._settings)
        self._tick_timer = QTimer(self)
        self._tick_timer.setSingleShot(True)
        self._tick_timer.timeout.connect(self._tick)
        self._wake_timer = QTimer(self)
        self._wake_timer.setInterval(WAKE_CHECK_MS)
        self._wake_timer.timeout.connect(self._check_wake)
        self._build()  # on failure (no saved sign-in) set_token() builds again later
        # A full garbage collection walks every object in the process while holding the GIL:
        # with Qt, SQLAlchemy and pydantic loaded that is ~250 ms, a freeze of the UI whichever
        # thread runs it (in the app, the UI thread: ui_gc). Objects alive now (modules,
        # caches, the window) live as long as the app, so move them out of the collector's way.
        gc.freeze()
        share_gil_with_ui()  # see mailapp.sync.threads
        if self._store is not None:
            self._known_state = self._store.sync_state(self.account_id)[0]
        self._wake_timer.start()
        self._emit_counts()
        if self.work_offline:
            self._scheduler.set_work_offline(True)
        self._scheduler.start()
        self._emit_state()
        self._reschedule(0)

    def _build(self, token: str | None = None) -> bool:
        """Open the store, make the client and engine; on failure say why and return False."""
        assert self._scheduler is not None
        try:
            if self._store is None:
                self._store = open_store(self.store_path)
                self._unsubscribe = self._store.subscribe(self._collect)
            self._client = self._client_factory(self._store, self.account_id, self.session, token)
            self._loopback = is_loopback(urlsplit(self._client.base_url).hostname or "")
            self.engine = self._engine_factory(self._store, self._client, self.account_id)
        except Exception as exc:
            log.warning("sync could not start: %s", type(exc).__name__)
            self._scheduler.cycle_failed(classify(exc))
            self._emit_error(getattr(exc, "user_message", None) or f"Sync cannot start: {exc}")
            self._emit_state()
            return False
        return True

    @Slot(float)
    def stop(self, deadline: float) -> None:
        """Last flush within the time left before `deadline` (monotonic), then release all."""
        for timer in (self._tick_timer, self._wake_timer):
            if timer is not None:
                timer.stop()
        self._stop_listener()
        # The controller's watchdog cuts the connection at the deadline; this only avoids
        # starting a flush that has no chance to finish.
        budget = deadline - time.monotonic()
        scheduler = self._scheduler
        if (
            self.engine is not None
            and scheduler is not None
            and not self.work_offline
            and not self.session.aborted
            and scheduler.connectivity.state is Reachability.UP
            and budget > 0.2
            and self._pending_count() > 0
        ):
            try:
                self.engine.flush_only()
            except Exception as exc:
                log.info("final flush did not finish: %s", type(exc).__name__)
        self._flush_changes(force=True)
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self._client is not None:
            self._client.close()
        self.session.close()
        if self._store is not None:
            self._store.close()
        self.engine = self._client = self._store = None
        gc.unfreeze()  # whatever outlives the sync (the app, a next account) is collected again
        # Hand the object back to the main thread so it is destroyed there, not in a dead one.
        app = QCoreApplication.instance()
        if app is not None:
            self.moveToThread(app.thread())
        self.stopped.emit()

    # -- user intents (worker thread, queued from the controller) ------------------------------

    @Slot()
    def sync_now(self) -> None:
        if self._scheduler is None or self.work_offline:
            return
        self._scheduler.sync_now()
        self._emit_state()
        self._reschedule(0)

    @Slot()
    def local_change(self) -> None:
        self._emit_counts()
        if self._scheduler is None:
            return
        self._scheduler.local_change()
        self._reschedule()

    @Slot(bool)
    def set_work_offline(self, on: bool) -> None:
        self.work_offline = on
        if self._scheduler is None:
            return
        if on:
            self.session.abort()  # the controller did already; a no-op then
            self._stop_listener()
        else:
            self.session.resume()
        self._scheduler.set_work_offline(on)
        self._emit_state()
        self._reschedule(0)

    @Slot(str)
    def fetch_body(self, message_id: str) -> None:
        """Download one body the user opened; it arrives as changesApplied for that message
        (see mailapp.ui.syncing.sync_downloads for the answers when it cannot)."""
        self._downloads.fetch_body(message_id)
        self._flush_changes(force=True)

    @Slot(str)
    def fetch_attachment(self, attachment_id: str) -> None:
        """Download one attachment the user opened or saved; answers with attachmentReady,
        attachmentOffline / attachmentRetrying (kept, fetched again) or attachmentFailed."""
        self._downloads.fetch_attachment(attachment_id)

    @Slot()
    def refresh_upstream(self) -> None:
        """The account settings opened: ask the server for the IMAP link's state now (when it
        is reachable; otherwise after the next good cycle)."""
        self._upstream_at = None
        scheduler = self._scheduler
        if (
            scheduler is not None
            and self._client is not None
            and scheduler.connectivity.state is Reachability.UP
            and not self.work_offline
            and not scheduler.syncing
        ):
            self._refresh_upstream()

    @Slot(object)
    def set_os_online(self, online: bool | None) -> None:
        """The OS's network report (mailapp.ui.syncing.network_watch): probe at once."""
        if self._scheduler is None:
            return
        # A server on this machine answers whatever the OS says about the network.
        self._scheduler.set_os_online(None if self._loopback and online is False else online)
        if not self.work_offline:
            self._reschedule(0)

    def seems_online(self) -> bool:
        """The last probe and cycle went well (a failing request may still be just slow)."""
        return self._scheduler is not None and self._scheduler.state is SyncState.ONLINE

    def retry_downloads_in(self, seconds: float) -> None:
        """An on-demand download failed for the network: a cycle (then what is wanted) soon."""
        if self._scheduler is not None:
            self._scheduler.download_failed(seconds)
            self._reschedule()

    @Slot()
    def network_hint(self) -> None:
        if self._scheduler is not None:
            self._scheduler.hint()
            self._reschedule(0)

    @Slot(str)
    def set_token(self, token: str) -> None:
        if self._scheduler is None:
            return
        if self._client is None and not self._build(token):  # no saved sign-in at startup
            return
        assert self._client is not None
        self._client.token = token
        self._stop_listener()
        self._scheduler.credentials_updated()
        self._after_connectivity()
        self._emit_state()
        self._reschedule(0)

    # -- the loop ------------------------------------------------------------------------------

    def _reschedule(self, delay_ms: int | None = None) -> None:
        if self._tick_timer is None or self._scheduler is None:
            return
        if delay_ms is None:
            deadline = self._scheduler.next_deadline()
            if deadline is None:
                self._tick_timer.stop()
                return
            delay_ms = max(0, int((deadline - time.monotonic()) * 1000) + 1)
        # Timers cannot wait longer than ~24 days; the periodic sync is far shorter anyway.
        self._tick_timer.start(min(delay_ms, 3_600_000))

    @Slot()
    def _tick(self) -> None:
        scheduler = self._scheduler
        if scheduler is None or self._client is None:
            return
        action = scheduler.next_action()
        if action is Action.PROBE:
            ok = self._client.probe()
            scheduler.probe_result(ok)
            self._after_connectivity()
            self._emit_state()
        elif action is Action.CYCLE:
            self._run_cycle()
        # One action per tick: queued intents (work offline, shutdown) get in between.
        self._reschedule()

    def _run_cycle(self) -> None:
        scheduler = self._scheduler
        assert scheduler is not None and self.engine is not None and self._store is not None
        scheduler.cycle_started()
        self._emit_state()
        try:
            self.engine.run_cycle(progress=self._on_progress)
        except Exception as exc:
            if self.session.aborted:
                # Cut off on purpose (work offline, shutdown): nothing failed; it resumes later.
                scheduler.cycle_cancelled()
            else:
                failure = classify(exc)
                if not isinstance(exc, SyncError):
                    log.exception("sync cycle failed")  # a bug: keep the traceback in the log
                scheduler.cycle_failed(failure)
                if failure.kind in (FailureKind.AUTH, FailureKind.TLS, FailureKind.ERROR):
                    self._emit_error(failure.message)
        else:
            scheduler.cycle_succeeded()
            self._last_error = None
            self._known_state = self._store.sync_state(self.account_id)[0]
            self.lastSyncChanged.emit(datetime.now(UTC))
            self._downloads.fetch_wanted()
            self._prefetch()
            upstream_at = self._upstream_at
            if upstream_at is None or time.monotonic() - upstream_at >= UPSTREAM_REFRESH_S:
                self._refresh_upstream()
        self._flush_changes(force=True)
        self._emit_counts()
        self._after_connectivity()
        self._emit_state()

    def _prefetch(self) -> None:
        """Bodies of recent mail, a bounded batch per cycle; more batches follow soon."""
        assert self.engine is not None and self._scheduler is not None
        try:
            fetched = self.engine.prefetch_bodies(PREFETCH_BATCH)
        except Exception as exc:
            # Reading still works (bodies come on demand); the next cycle tries again.
            log.info("prefetching bodies stopped: %s", type(exc).__name__)
            return
        if fetched >= PREFETCH_BATCH:
            self._scheduler.more_work()

    def _refresh_upstream(self) -> None:
        assert self._client is not None
        self._upstream_at = time.monotonic()
        try:
            link = self._client.upstream()
        except Exception as exc:
            # Only the account settings show it; the next good cycle asks again.
            log.info("the IMAP link's state could not be read: %s", type(exc).__name__)
            self._upstream_at = None
            return
        self.upstreamChanged.emit(link)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.emit(done, total)
        self._flush_changes()

    @Slot()
    def _check_wake(self) -> None:
        if self._wake.check() and self._scheduler is not None and not self.work_offline:
            log.info("woke from sleep: checking the server")
            self._scheduler.wake()
            self._stop_listener()
            self._emit_state()
            self._reschedule(0)

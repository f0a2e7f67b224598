"""The sync engine on its own thread, and the UI-side controller that owns that thread.

`SyncWorker` lives on a QThread with its own MailStore (opened on that thread, same file) and
does every network request; `SyncScheduler` decides what to do when. `SyncController` lives on
the UI thread: it only forwards user intents to the worker and re-emits the worker's signals,
so the UI thread never performs network I/O.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtNetwork import QNetworkInformation

from mailapp.store import ChangeSet, MailStore, OutboxState, open_store
from mailapp.store.replica import sync_account
from mailapp.sync.abortable import AbortableSession
from mailapp.sync.account import client_for
from mailapp.sync.client import ApiClient
from mailapp.sync.connectivity import Reachability, WakeDetector
from mailapp.sync.engine import SyncEngine
from mailapp.sync.errors import PermanentError, SyncError
from mailapp.sync.scheduler import (
    Action,
    FailureKind,
    SchedulerSettings,
    SyncScheduler,
    SyncState,
    classify,
)
from mailapp.sync.server_events import ServerEventListener

log = logging.getLogger(__name__)

WAKE_CHECK_MS = 10_000
# Bodies per cycle (in bulk requests): a cycle stays short, so local changes are not held up.
PREFETCH_BATCH = 1000
CHANGES_FLUSH_S = 0.1  # coalesce store notifications: views refresh at most 10x a second


class Engine(Protocol):
    def run_cycle(self, progress: Callable[[int, int], None] | None = None) -> Any: ...
    def flush_only(self) -> Any: ...
    def fetch_body(self, message_id: str) -> bool: ...
    def prefetch_bodies(self, limit: int = ...) -> int: ...
    def fetch_attachment(self, attachment_id: str) -> bytes | None: ...


# (the worker's own store, the account, the session to use, a fresh token or None for the saved
# one) -> a client for that account
ClientFactory = Callable[[MailStore, str, AbortableSession, str | None], ApiClient]
EngineFactory = Callable[[MailStore, ApiClient, str], Engine]


def default_client(
    store: MailStore, account_id: str, session: AbortableSession, token: str | None
) -> ApiClient:
    """The account's server with `token`, else its saved token (AuthError when that is gone)."""
    if token is None:
        return client_for(store, account_id, session=session)
    return ApiClient(sync_account(store, account_id).server_url, token=token, session=session)


# Records per change-feed page. Validating a page is one pydantic call holding the GIL (about
# 0.1 ms per email): 500 records froze the UI thread for 25-90 ms, 200 keep it near 10-35 ms.
PAGE_SIZE = 200


def default_engine(store: MailStore, client: ApiClient, account_id: str) -> Engine:
    return SyncEngine(store, client, account_id, page_size=PAGE_SIZE)


def merge_changes(a: ChangeSet, b: ChangeSet) -> ChangeSet:
    return ChangeSet(
        messages=a.messages | b.messages,
        mailboxes=a.mailboxes | b.mailboxes,
        outbox=a.outbox or b.outbox,
        drafts=a.drafts | b.drafts,
    )


class SyncWorker(QObject):
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
    attachmentFailed = Signal(str, str)  # (attachment id, why), not retried by itself
    bodyOffline = Signal(str)  # a message's body, kept wanted: it downloads after a good cycle
    bodyFailed = Signal(str, str)  # (message id, why), not retried by itself
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
        self.session = AbortableSession()
        self.work_offline = False
        self._store: MailStore | None = None
        self._client: ApiClient | None = None
        self._engine: Engine | None = None
        self._listener: ServerEventListener | None = None
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
        self._wanted_attachments: list[str] = []  # asked for while offline, in order
        self._wanted_bodies: list[str] = []  # message ids, likewise
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
        # with Qt, SQLAlchemy and pydantic loaded that is ~250 ms, and when the sync thread's
        # allocations trigger it, the UI thread freezes that long. Objects alive now (modules,
        # caches, the window) live as long as the app, so move them out of the collector's way.
        gc.freeze()
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
            self._engine = self._engine_factory(self._store, self._client, self.account_id)
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
            self._engine is not None
            and scheduler is not None
            and not self.work_offline
            and not self.session.aborted
            and scheduler.connectivity.state is Reachability.UP
            and budget > 0.2
            and self._pending_count() > 0
        ):
            try:
                self._engine.flush_only()
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
        self._engine = self._client = self._store = None
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
        """Download one body the user opened; it arrives as changesApplied for that message.

        Offline (or working offline) the wish is kept and bodyOffline answers: it is fetched
        after the next good cycle. bodyFailed answers what retrying would not fix.
        """
        if self._engine is None or self.work_offline:
            self._want_body_later(message_id)
            return
        self._fetch_body(message_id)
        self._flush_changes(force=True)

    def _want_body_later(self, message_id: str) -> None:
        if message_id not in self._wanted_bodies:
            self._wanted_bodies.append(message_id)
        self.bodyOffline.emit(message_id)

    def _fetch_body(self, message_id: str) -> bool:
        """False when offline (the wish is kept); True when answered either way."""
        assert self._engine is not None
        try:
            found = self._engine.fetch_body(message_id)
        except Exception as exc:
            failure = classify(exc)
            if failure.kind is FailureKind.OFFLINE and not self.session.aborted:
                self._want_body_later(message_id)
                self.network_hint()
                return False
            if self.session.aborted:  # work offline or shutdown cut it: keep the wish
                self._want_body_later(message_id)
                return False
            self.bodyFailed.emit(message_id, failure.message)
            return True
        if not found:
            self.bodyFailed.emit(message_id, "The server no longer has this message.")
        return True

    def _fetch_wanted_bodies(self) -> None:
        """After a good cycle: the bodies asked for while offline."""
        wanted, self._wanted_bodies = self._wanted_bodies, []
        for index, message_id in enumerate(wanted):
            if self._engine is None or not self._fetch_body(message_id):
                self._wanted_bodies.extend(
                    m for m in wanted[index + 1 :] if m not in self._wanted_bodies
                )
                return

    @Slot(str)
    def fetch_attachment(self, attachment_id: str) -> None:
        """Download one attachment the user opened or saved; answers with attachmentReady,
        attachmentOffline (kept, fetched once a cycle succeeds) or attachmentFailed."""
        if self._engine is None or self.work_offline:
            self._want_later(attachment_id)
            return
        self._fetch_attachment(attachment_id)

    def _want_later(self, attachment_id: str) -> None:
        if attachment_id not in self._wanted_attachments:
            self._wanted_attachments.append(attachment_id)
        self.attachmentOffline.emit(attachment_id)

    def _fetch_attachment(self, attachment_id: str) -> bool:
        """False when offline (the wish is kept); True when answered either way."""
        assert self._engine is not None
        try:
            data = self._engine.fetch_attachment(attachment_id)
        except Exception as exc:
            failure = classify(exc)
            if failure.kind is FailureKind.OFFLINE and not self.session.aborted:
                self._want_later(attachment_id)
                self.network_hint()
                return False
            if self.session.aborted:  # work offline or shutdown cut it: keep the wish
                self._want_later(attachment_id)
                return False
            if isinstance(exc, PermanentError) and exc.status == 404:
                message = "The server no longer has this attachment."
            else:
                message = failure.message
            self.attachmentFailed.emit(attachment_id, message)
            return True
        if data is None:
            self.attachmentFailed.emit(
                attachment_id, "This attachment was never synced, so it cannot be downloaded."
            )
        else:
            self.attachmentReady.emit(attachment_id)
        return True

    def _fetch_wanted_attachments(self) -> None:
        """After a good cycle: the attachments asked for while offline."""
        wanted, self._wanted_attachments = self._wanted_attachments, []
        for index, attachment_id in enumerate(wanted):
            if self._engine is None or not self._fetch_attachment(attachment_id):
                # Offline again: keep the rest too (the failed one is already back in).
                self._wanted_attachments.extend(
                    a for a in wanted[index + 1 :] if a not in self._wanted_attachments
                )
                return

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
        assert scheduler is not None and self._engine is not None and self._store is not None
        scheduler.cycle_started()
        self._emit_state()
        try:
            self._engine.run_cycle(progress=self._on_progress)
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
            self._fetch_wanted_bodies()
            self._fetch_wanted_attachments()
            self._prefetch()
        self._flush_changes(force=True)
        self._emit_counts()
        self._after_connectivity()
        self._emit_state()

    def _prefetch(self) -> None:
        """Bodies of recent mail, a bounded batch per cycle; more batches follow soon."""
        assert self._engine is not None and self._scheduler is not None
        try:
            fetched = self._engine.prefetch_bodies(PREFETCH_BATCH)
        except Exception as exc:
            # Reading still works (bodies come on demand); the next cycle tries again.
            log.info("prefetching bodies stopped: %s", type(exc).__name__)
            return
        if fetched >= PREFETCH_BATCH:
            self._scheduler.more_work()

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

    # -- the server's event stream -------------------------------------------------------------

    def _after_connectivity(self) -> None:
        """Listen to server events while the server is up; stop while it is not."""
        scheduler = self._scheduler
        if scheduler is None or self._client is None:
            return
        up = scheduler.connectivity.state is Reachability.UP
        wanted = up and not self.work_offline and scheduler.failure is not FailureKind.AUTH
        if wanted and self._listener is None and self._use_server_events:
            self._listener = ServerEventListener(
                self._client.base_url,
                self._client.token,
                self._serverState.emit,
                on_connected=self._streamUp.emit,
            )
            self._listener.start()
        elif not wanted and self._listener is not None:
            self._stop_listener()

    def _stop_listener(self) -> None:
        if self._listener is not None:
            self._listener.stop(timeout=1.0)
            self._listener = None

    @Slot(str)
    def _on_server_state(self, state: str) -> None:
        if self._scheduler is None or self.work_offline or state == self._known_state:
            return
        self._scheduler.server_event()
        self._reschedule(0)

    @Slot(bool)
    def _on_stream_up(self, _up: bool) -> None:
        # Either way the network may have changed: a probe (not the stream itself) tells.
        self.network_hint()

    # -- reporting -----------------------------------------------------------------------------

    def _collect(self, changes: ChangeSet) -> None:
        self._changes = changes if self._changes is None else merge_changes(self._changes, changes)

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


class SyncController(QObject):
    """The UI-side handle: owns the sync thread; every signal arrives on the UI thread."""

    stateChanged = Signal(str, int)
    progress = Signal(int, int)
    changesApplied = Signal(object)
    conflictsChanged = Signal(int)
    pendingChanged = Signal(int)
    lastSyncChanged = Signal(object)
    errorRaised = Signal(str)
    attachmentReady = Signal(str)
    attachmentOffline = Signal(str)
    attachmentFailed = Signal(str, str)
    bodyOffline = Signal(str)
    bodyFailed = Signal(str, str)
    _syncNow = Signal()
    _localChange = Signal()
    _workOffline = Signal(bool)
    _hint = Signal()
    _token = Signal(str)
    _fetchBody = Signal(str)
    _fetchAttachment = Signal(str)
    _stop = Signal(float)

    def __init__(
        self,
        store_path: Path,
        account_id: str,
        *,
        ui_store: MailStore | None = None,
        client_factory: ClientFactory = default_client,
        engine_factory: EngineFactory = default_engine,
        settings: SchedulerSettings | None = None,
        use_server_events: bool = True,
        use_network_information: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.state = str(SyncState.OFFLINE)
        self.work_offline = False
        self._thread = QThread()
        self._thread.setObjectName("mailapp-sync")
        self._worker = SyncWorker(
            Path(store_path),
            account_id,
            client_factory,
            engine_factory=engine_factory,
            settings=settings,
            use_server_events=use_server_events,
        )
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.setup)
        for name in (
            "stateChanged",
            "progress",
            "changesApplied",
            "conflictsChanged",
            "pendingChanged",
            "lastSyncChanged",
            "errorRaised",
            "attachmentReady",
            "attachmentOffline",
            "attachmentFailed",
            "bodyOffline",
            "bodyFailed",
        ):
            getattr(self._worker, name).connect(getattr(self, name))
        self.stateChanged.connect(self._remember_state)
        self._syncNow.connect(self._worker.sync_now)
        self._localChange.connect(self._worker.local_change)
        self._workOffline.connect(self._worker.set_work_offline)
        self._hint.connect(self._worker.network_hint)
        self._token.connect(self._worker.set_token)
        self._fetchBody.connect(self._worker.fetch_body)
        self._fetchAttachment.connect(self._worker.fetch_attachment)
        self._stop.connect(self._worker.stop)
        # Direct: the UI thread is blocked in wait() then, so a queued quit would never run.
        self._worker.stopped.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._unsubscribe: Callable[[], None] | None = None
        if ui_store is not None:
            self._unsubscribe = ui_store.subscribe(self._on_ui_store_change)
        self._network_info: QNetworkInformation | None = None
        self._use_network_information = use_network_information
        self._started = False
        self._finished = False

    @property
    def worker(self) -> SyncWorker:
        return self._worker

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self._watch_network()
        self._thread.start()

    @Slot()
    def sync_now(self) -> None:
        self._syncNow.emit()

    @Slot(bool)
    def set_work_offline(self, on: bool) -> None:
        self.work_offline = on
        if on:
            # Now, from this thread: a request in progress is cut at once, not after the cycle.
            self._worker.session.abort()
        self._workOffline.emit(on)

    def set_token(self, token: str) -> None:
        """After the user signed in again (state "auth_required")."""
        self._token.emit(token)

    @Slot(str)
    def fetch_body(self, message_id: str) -> None:
        """Fetch a body that is not stored yet; changesApplied names the message when it is,
        bodyOffline (kept, fetched once a cycle succeeds) or bodyFailed tell otherwise."""
        self._fetchBody.emit(message_id)

    @Slot(str)
    def fetch_attachment(self, attachment_id: str) -> None:
        """Download an attachment's bytes; attachmentReady/Offline/Failed answer."""
        self._fetchAttachment.emit(attachment_id)

    def shutdown(self, timeout_s: float = 3.0) -> bool:
        """Try a last flush, then stop and join the thread; True when it ended in time."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if not self._started or self._finished:
            self._finished = True
            return True
        self._finished = True
        # Leave time after the cut for the worker to close its store and end.
        margin = min(0.5, timeout_s * 0.3)
        deadline = time.monotonic() + timeout_s - margin
        # The worker may be inside a cycle or the last flush with a hanging server: cut the
        # connection at the deadline so the join below succeeds.
        watchdog = threading.Timer(timeout_s - margin, self._worker.session.abort)
        watchdog.daemon = True
        watchdog.start()
        self._stop.emit(deadline)
        try:
            ended = self._thread.wait(max(1, int(timeout_s * 1000)))
        finally:
            watchdog.cancel()
        if not ended:
            log.warning("the sync thread did not stop in %.1f s", timeout_s)
            self._worker.session.abort()
            self._thread.quit()
            ended = self._thread.wait(1000)
        return bool(ended)

    # -- internals -----------------------------------------------------------------------------

    @Slot(str, int)
    def _remember_state(self, state: str, _retry_in: int) -> None:
        self.state = state

    def _on_ui_store_change(self, changes: ChangeSet) -> None:
        # Called on whichever thread wrote; emitting is thread-safe and queues to the worker.
        if changes.outbox and not self._finished:
            self._localChange.emit()

    def _watch_network(self) -> None:
        """The OS's reachability report, when a backend exists: a hint to probe, no more."""
        if not self._use_network_information:
            return
        with contextlib.suppress(Exception):
            if QNetworkInformation.loadDefaultBackend():
                self._network_info = QNetworkInformation.instance()
        if self._network_info is not None:
            self._network_info.reachabilityChanged.connect(self._on_reachability)

    @Slot(QNetworkInformation.Reachability)
    def _on_reachability(self, _reachability: QNetworkInformation.Reachability) -> None:
        self._hint.emit()

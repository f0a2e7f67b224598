"""The UI-side handle of one account's sync thread (`SyncController`).

The worker (mailapp.ui.syncing.sync_thread.SyncWorker) lives on a QThread with its own MailStore
and does every network request; the controller lives on the UI thread, forwards user intents to
it and re-emits its signals, so the UI thread never performs network I/O. Several accounts each get
their own controller and thread (mailapp.ui.syncing.account_syncs).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from mailapp.store import ChangeSet, MailStore
from mailapp.sync.scheduler import SchedulerSettings, SyncState
from mailapp.ui.syncing.network_watch import NetworkWatch
from mailapp.ui.syncing.sync_factories import (
    ClientFactory,
    EngineFactory,
    default_client,
    default_engine,
)
from mailapp.ui.syncing.sync_thread import SyncWorker

log = logging.getLogger(__name__)

# States after which a first sync is over, well or not: what a screenshot waits for.
SETTLED_STATES = frozenset({"offline", "auth_required", "error", "retrying", "working_offline"})


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
    attachmentRetrying = Signal(str, str)
    attachmentFailed = Signal(str, str)
    bodyOffline = Signal(str)
    bodyRetrying = Signal(str, str)
    bodyFailed = Signal(str, str)
    upstreamChanged = Signal(object)  # wire.UpstreamLink | None (see SyncWorker)
    # Once: the first sync finished, or the account settled into a state a sync cannot get
    # past by itself (offline, sign-in needed, ...). A screenshot waits for it.
    settled = Signal()
    _syncNow = Signal()
    _localChange = Signal()
    _workOffline = Signal(bool)
    _token = Signal(str)
    _fetchBody = Signal(str)
    _fetchAttachment = Signal(str)
    _refreshUpstream = Signal()
    _osOnline = Signal(object)
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
        self.account_id = account_id
        self.state = str(SyncState.OFFLINE)
        self.work_offline = False
        # The last wire.UpstreamLink reported (None: the server has no such resource), once
        # `upstream_known`; until then nothing has been heard.
        self.upstream: object | None = None
        self.upstream_known = False
        self.has_settled = False
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
            "attachmentRetrying",
            "attachmentFailed",
            "bodyOffline",
            "bodyRetrying",
            "bodyFailed",
            "upstreamChanged",
        ):
            getattr(self._worker, name).connect(getattr(self, name))
        self.stateChanged.connect(self._remember_state)
        self.lastSyncChanged.connect(self._settle)
        self.upstreamChanged.connect(self._remember_upstream)
        self._syncNow.connect(self._worker.sync_now)
        self._localChange.connect(self._worker.local_change)
        self._workOffline.connect(self._worker.set_work_offline)
        self._token.connect(self._worker.set_token)
        self._fetchBody.connect(self._worker.fetch_body)
        self._fetchAttachment.connect(self._worker.fetch_attachment)
        self._refreshUpstream.connect(self._worker.refresh_upstream)
        self._osOnline.connect(self._worker.set_os_online)
        self._stop.connect(self._worker.stop)
        # Direct: the UI thread is blocked in wait() then, so a queued quit would never run.
        self._worker.stopped.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._unsubscribe: Callable[[], None] | None = None
        if ui_store is not None:
            self._unsubscribe = ui_store.subscribe(self._on_ui_store_change)
        self._use_network_information = use_network_information
        self._started = False
        self._finished = False
        self._watchdog: threading.Timer | None = None

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

    @Slot()
    def refresh_upstream(self) -> None:
        """Ask the server for the IMAP link's state now; upstreamChanged answers."""
        self._refreshUpstream.emit()

    def shutdown(self, timeout_s: float = 3.0) -> bool:
        """Try a last flush, then stop and join the thread; True when it ended in time."""
        self.request_stop(timeout_s)
        return self.join(timeout_s)

    def request_stop(self, timeout_s: float = 3.0) -> None:
        """The first half of shutdown(): ask for the last flush and the stop, return at once
        (so that several accounts' threads stop side by side; join() each afterwards)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if not self._started or self._finished:
            self._finished = True
            return
        self._finished = True
        # Leave time after the cut for the worker to close its store and end.
        margin = min(0.5, timeout_s * 0.3)
        deadline = time.monotonic() + timeout_s - margin
        # The worker may be inside a cycle or the last flush with a hanging server: cut the
        # connection at the deadline so the join below succeeds.
        self._watchdog = threading.Timer(timeout_s - margin, self._worker.session.abort)
        self._watchdog.daemon = True
        self._watchdog.start()
        self._stop.emit(deadline)

    def join(self, timeout_s: float = 3.0) -> bool:
        """Wait for the thread that request_stop() stopped; True when it ended in time."""
        if self._thread.isFinished() or not self._thread.isRunning():
            self._cancel_watchdog()
            return True
        try:
            ended = self._thread.wait(max(1, int(timeout_s * 1000)))
        finally:
            self._cancel_watchdog()
        if not ended:
            log.warning("the sync thread did not stop in %.1f s", timeout_s)
            self._worker.session.abort()
            self._thread.quit()
            ended = self._thread.wait(1000)
        return bool(ended)

    # -- internals -----------------------------------------------------------------------------

    def _cancel_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None

    @Slot(str, int)
    def _remember_state(self, state: str, _retry_in: int) -> None:
        self.state = state
        if state in SETTLED_STATES:
            self._settle()

    @Slot()
    def _settle(self) -> None:
        if not self.has_settled:
            self.has_settled = True
            self.settled.emit()

    @Slot(object)
    def _remember_upstream(self, link: object) -> None:
        self.upstream, self.upstream_known = link, True

    def _on_ui_store_change(self, changes: ChangeSet) -> None:
        # Called on whichever thread wrote; emitting is thread-safe and queues to the worker.
        if changes.outbox and not self._finished:
            self._localChange.emit()

    def _watch_network(self) -> None:
        """The OS's network report, when a backend exists: the worker probes at once on each
        change, and polls slowly while the OS says there is no network (see network_watch)."""
        if not self._use_network_information:
            return
        watch = NetworkWatch.shared()
        if watch.has_backend:
            self._osOnline.emit(watch.online())  # queued: handled once the worker is set up
            watch.changed.connect(self._os_online_changed)

    @Slot(object)
    def _os_online_changed(self, online: bool | None) -> None:
        if not self._finished:
            self._osOnline.emit(online)

"""The search box: results as you type, from the local full-text index, off the UI thread."""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtWidgets import QLineEdit, QWidget

from mailapp.store import MailStore, open_store
from mailapp.store.rows import MessageSummary

DEBOUNCE_MS = 150
RESULT_LIMIT = 500


class _SearchWorker(QObject):
    """Runs queries on its own store connection in a worker thread.

    A query whose generation is no longer the latest when the worker gets to it is skipped,
    so a burst of keystrokes costs at most one stale query.
    """

    finished = Signal(int, str, object)  # generation, text, list[MessageSummary]

    def __init__(self, path: Path, latest: list[int], lock: threading.Lock) -> None:
        super().__init__()
        self._path = path
        self._latest = latest
        self._lock = lock
        self._store: MailStore | None = None

    @Slot(int, str, object)
    def run(self, generation: int, text: str, mailbox_id: object) -> None:
        with self._lock:
            if generation != self._latest[0]:
                return
        if self._store is None:
            self._store = open_store(self._path)
        results = self._store.search(
            text, mailbox_id=mailbox_id if isinstance(mailbox_id, str) else None, limit=RESULT_LIMIT
        )
        self.finished.emit(generation, text, results)

    @Slot()
    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


class SearchBox(QLineEdit):
    """Emits `resultsReady(text, results)` ~150 ms after typing stops, `cleared()` when emptied.

    Only the answer to the newest text is ever delivered: older ones are dropped on arrival.
    """

    resultsReady = Signal(str, object)
    cleared = Signal()
    queryStarted = Signal(str)  # the pause is over and this text goes to the index
    _request = Signal(int, str, object)
    _close_worker = Signal()

    def __init__(self, store_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(self.tr("Search mail"))
        self.setAccessibleName(self.tr("Search mail"))
        self.setClearButtonEnabled(True)
        self.mailbox_id: str | None = None  # None searches every mailbox
        self._generation = itertools.count(1)
        self._latest = [0]
        self._delivered = 0
        self._lock = threading.Lock()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._start_query)
        self.textChanged.connect(self._text_changed)

        self._store_path = store_path
        # Started on the first query, so a window nobody searches in runs no extra thread.
        self._thread: QThread | None = None
        self._worker: _SearchWorker | None = None

    @property
    def busy(self) -> bool:
        """A query is waiting for the debounce or for its answer."""
        return self._timer.isActive() or self._latest[0] != self._delivered

    def shutdown(self) -> None:
        """Stops the worker thread; call before the store file goes away."""
        self._timer.stop()
        if self._thread is not None and self._thread.isRunning():
            with self._lock:
                self._latest[0] = -1
            self._close_worker.emit()
            self._thread.quit()
            self._thread.wait()
        self._thread = None
        self._worker = None

    def _ensure_worker(self) -> None:
        if self._thread is not None:
            return
        self._thread = QThread(self)
        self._thread.setObjectName("search")
        self._worker = _SearchWorker(self._store_path, self._latest, self._lock)
        self._worker.moveToThread(self._thread)
        self._request.connect(self._worker.run, Qt.ConnectionType.QueuedConnection)
        self._close_worker.connect(self._worker.close, Qt.ConnectionType.BlockingQueuedConnection)
        self._worker.finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._thread.start()

    @Slot(str)
    def _text_changed(self, text: str) -> None:
        with self._lock:
            self._latest[0] = next(self._generation)  # anything queued before is now stale
        if not text.strip():
            self._timer.stop()
            self._delivered = self._latest[0]
            self.cleared.emit()
            return
        self._timer.start()

    @Slot()
    def _start_query(self) -> None:
        self._ensure_worker()
        with self._lock:
            generation = self._latest[0]
        self._request.emit(generation, self.text(), self.mailbox_id)
        self.queryStarted.emit(self.text())

    @Slot(int, str, object)
    def _deliver(self, generation: int, text: str, results: list[MessageSummary]) -> None:
        with self._lock:
            current = generation == self._latest[0]
        if current:
            self._delivered = generation
            self.resultsReady.emit(text, results)

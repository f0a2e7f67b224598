"""Delivers store ChangeSets to Qt objects on the UI thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal, Slot

from mailapp.store import MailStore
from mailapp.store.rows import ChangeSet


class StoreChanges(QObject):
    """Re-emits every store notification as `changed(ChangeSet)` in this object's thread.

    The store may notify from any thread (the sync engine will write from a worker), so the
    callback only emits a signal; the queued connection hops to the UI thread and also keeps
    model updates out of the middle of whatever UI handler made the change.
    """

    changed = Signal(object)
    _received = Signal(object)

    def __init__(self, store: MailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._received.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._unsubscribe = store.subscribe(self._received.emit)

    @Slot(object)
    def _deliver(self, changes: ChangeSet) -> None:
        self.changed.emit(changes)

    def close(self) -> None:
        self._unsubscribe()

"""When a composer saves its draft, and what it says when the store cannot take it.

Three timers, so that no rhythm of typing keeps text unsaved for long:

- the deadline: AUTOSAVE_DELAY_MS after the first change not yet saved. Further keys do not push
  it back, so steady typing (which never pauses) is saved at least that often;
- the idle save: IDLE_SAVE_MS after the last key, so a pause is saved at once;
- the retry: while the store refuses the save (a full disk, a read-only file), it is tried again
  every RETRY_SAVE_MS, so the text is stored as soon as space comes back.

The composer also saves when its window loses focus and when it closes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from mailapp.store.errors import (
    StoreDiskFullError,
    StoreError,
    StoreIOError,
    StoreLockedError,
    StoreReadOnlyError,
)

AUTOSAVE_DELAY_MS = 1000
IDLE_SAVE_MS = 400
RETRY_SAVE_MS = 3000


class AutosaveTimers(QObject):
    """Calls ``save`` on the schedule above; the composer reports edits and outcomes."""

    def __init__(self, save: Callable[[], object], parent: QObject) -> None:
        super().__init__(parent)
        self._deadline = self._timer(AUTOSAVE_DELAY_MS, save)
        self._idle = self._timer(IDLE_SAVE_MS, save)
        self._retry = self._timer(RETRY_SAVE_MS, save)

    def _timer(self, interval_ms: int, save: Callable[[], object]) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(interval_ms)
        timer.timeout.connect(save)
        return timer

    def edited(self) -> None:
        self._idle.start()  # restarts: a pause in typing
        if not self._deadline.isActive():
            self._deadline.start()  # does not restart: bounded by the first unsaved change

    def saved(self) -> None:
        for timer in (self._deadline, self._idle, self._retry):
            timer.stop()

    def failed(self) -> None:
        self._deadline.stop()
        self._idle.stop()
        self._retry.start()


def why_not_saved(error: StoreError) -> str:
    """Why the store refused the draft, in words for the composer's message (the store's own
    messages speak of the whole database and what to do at start-up)."""

    if isinstance(error, StoreDiskFullError):
        return QCoreApplication.translate("composer", "the disk is full")
    if isinstance(error, StoreReadOnlyError):
        return QCoreApplication.translate("composer", "the mail database cannot be written to")
    if isinstance(error, StoreIOError):
        return QCoreApplication.translate("composer", "the disk reported an error")
    if isinstance(error, StoreLockedError):
        return QCoreApplication.translate("composer", "another program is using the mail database")
    return QCoreApplication.translate("composer", "the mail database could not be written to")

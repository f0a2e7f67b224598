"""The window shown while start-up upgrades an older mail store to this version's schema.

An upgrade copies the store (a backup), migrates it in one transaction and may compact it:
for a large mailbox that is tens of seconds (migration 0010 reads every message with HTML or
attachments). Done on the UI thread, start-up would show nothing for that long and look hung,
so the work runs on a thread of its own while this window says what is happening and how far
it is. The window cannot be closed meanwhile: stopping halfway would only roll the work back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QLabel, QProgressBar, QVBoxLayout, QWidget

from mailapp.store.migrate import BACKUP, COMPACT, Progress

translate = QCoreApplication.translate
T = TypeVar("T")


class StoreUpgradeWindow(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("storeUpgrade")
        self.setWindowTitle(translate("StoreUpgrade", "Updating your mail"))
        self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.step = QLabel(translate("StoreUpgrade", "Preparing the update…"), self)
        self.step.setObjectName("upgradeStep")
        self.bar = QProgressBar(self)
        self.bar.setRange(0, 0)  # busy until a step says how much there is
        note = QLabel(
            translate(
                "StoreUpgrade",
                "This version of Mail keeps your mail in a new way. Updating happens once, and "
                "takes a minute or two for a large mailbox. A copy of your mail is kept first, "
                "and if the update stops, nothing is changed.",
            ),
            self,
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.step)
        layout.addWidget(self.bar)
        layout.addWidget(note)
        self.setMinimumWidth(420)
        self.running = True

    @Slot(str, int, int)
    def show_progress(self, step: str, done: int, total: int) -> None:
        if step == BACKUP:
            text = translate("StoreUpgrade", "Making a copy of your mail…")
        elif step == COMPACT:
            text = translate("StoreUpgrade", "Giving back unused disk space…")
        elif total:
            text = translate("StoreUpgrade", "Updating your mail: {done} of {total} messages…")
            text = text.format(done=f"{done:,}", total=f"{total:,}")
        else:
            text = translate("StoreUpgrade", "Updating your mail…")
        self.step.setText(text)
        if total:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        else:
            self.bar.setRange(0, 0)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            event.ignore()  # the work goes on in its thread; closing would leave it unseen
        else:
            super().closeEvent(event)


class _Relay(QObject):
    # Emitted on the upgrade's thread, delivered on the UI thread (queued: the receivers live
    # there), so the window is only ever touched from the UI thread.
    progressed = Signal(str, int, int)
    finished = Signal()


def run_with_progress(work: Callable[[Progress], T]) -> T:
    """Run `work(progress)` on a thread while the upgrade window shows its progress; return its
    result, or raise what it raised, on the calling (UI) thread."""
    window = StoreUpgradeWindow()
    relay = _Relay()
    relay.progressed.connect(window.show_progress)
    loop = QEventLoop()
    relay.finished.connect(loop.quit)
    outcome: dict[str, object] = {}

    def target() -> None:
        try:
            outcome["value"] = work(relay.progressed.emit)
        except BaseException as error:  # handed to the UI thread, which reports it
            outcome["error"] = error
        finally:
            relay.finished.emit()

    thread = threading.Thread(target=target, name="store-upgrade", daemon=True)
    window.show()
    thread.start()
    loop.exec()
    thread.join()
    window.running = False
    window.close()
    window.deleteLater()
    error = outcome.get("error")
    if isinstance(error, BaseException):
        raise error
    return outcome["value"]  # type: ignore[return-value]

"""Cyclic garbage is collected on the UI thread only, by a timer there.

CPython runs its cyclic collector in whichever thread crosses an allocation threshold: with
sync running, usually the sync thread. Qt objects must be destroyed in the GUI thread. A
top-level widget left in a reference cycle (a dialog or composer dropped along with its
signal connections) that the sync thread collects closes its window from that thread; Qt then
waits for the GUI thread to flush window-system events while the collecting thread holds the
GIL the GUI thread needs to run. Everything stops (30 s in the test that found it, the time
Qt gave up waiting). So once start-up is over, automatic collection stays off and a timer on
the UI thread collects, generation by generation, at CPython's own thresholds, as Anki does.

Start-up still pauses collection while it creates the objects that live as long as the app,
then freezes them (app.py); `pause` and `resume` are that pair.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication

# Often enough that young garbage stays young (a generation-0 pass over a second's allocations
# costs well under a millisecond), rarely enough to cost nothing while idle.
INTERVAL_MS = 500


class UiThreadCollector(QObject):
    """Runs CPython's threshold rule for the cyclic collector from a timer on its thread."""

    def __init__(self, parent: QObject, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.paused = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect_due)

    def start(self) -> None:
        gc.disable()  # from now on, only collect_due collects
        self._timer.start()

    def collect_due(self) -> int:
        """Collect the oldest generation whose count passed its threshold, as CPython would
        have on an allocation; the generation collected, or -1 for none."""
        if self.paused:
            return -1
        threshold, count = gc.get_threshold(), gc.get_count()
        if count[0] <= threshold[0]:
            return -1
        generation = 0
        if count[1] > threshold[1]:
            generation = 2 if count[2] > threshold[2] else 1
        gc.collect(generation)
        return generation


_collector: UiThreadCollector | None = None


def pause() -> None:
    """No collection until `resume`: what is created meanwhile lives as long as the app."""
    gc.disable()
    if _collector is not None:
        _collector.paused = True


def resume() -> None:
    """Freeze what the pause created, then collect on the UI thread's timer from now on (or,
    with no application left, as CPython does)."""
    global _collector
    if _collector is not None and not _collector.paused:
        return
    gc.freeze()  # out of every later scan
    app = QApplication.instance()
    if app is None:
        gc.enable()
        return
    if _collector is None or _collector.parent() is not app:
        _collector = UiThreadCollector(app)
    _collector.paused = False
    _collector.start()

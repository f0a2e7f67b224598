"""`mailapp --screenshot FILE.png`: the window(s) as the user would see them, as a PNG.

What the user sees is the window after its first sync: the picture is taken once the message
list has painted, every account's sync thread has settled (its first sync finished, or it
found the server away, the sign-in refused, ...) and no cycle is under way (the bodies' follow-up
cycle), or 30 s after the paint, whichever comes first (a large first sync is shown under
way). With several windows (`--demo --second-device`) they are drawn side by side, as the demo
places them on the screen.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDeadlineTimer, QObject, Qt, QTimer
from PySide6.QtGui import QPainter, QPixmap

if TYPE_CHECKING:
    from mailapp.ui.window.main_window import MainWindow

WINDOW_GAP = 20  # pixels between windows, as the demo leaves between them on the screen
# After the last sync settled: the views' refresh of what it brought is queued behind it.
SETTLE_MS = 200
# A first sync of a large mailbox takes longer than anyone waits for a picture: after this long
# the window is taken as it is ("Syncing 2,000 of 50,000" is what the user would see too).
SYNC_WAIT_MS = 30_000
# Once settled, a cycle may still be under way: the first one leaves the bodies to a follow-up
# cycle that starts 50 ms later. The picture waits for it, looking again this often.
IDLE_POLL_MS = 50


def compose(windows: list[MainWindow]) -> QPixmap:
    """Each window's rendering, side by side on a transparent background."""
    shots = [window.grab() for window in windows]
    if len(shots) == 1:
        return shots[0]
    width = sum(shot.width() for shot in shots) + WINDOW_GAP * (len(shots) - 1)
    height = max(shot.height() for shot in shots)
    canvas = QPixmap(width, height)
    canvas.fill(Qt.GlobalColor.transparent)
    painter = QPainter(canvas)
    x = 0
    for shot in shots:
        painter.drawPixmap(x, 0, shot)
        x += shot.width() + WINDOW_GAP
    painter.end()
    return canvas


def status_text(window: MainWindow) -> str:
    """What the window's status bar says about sync ("Online", "Local only", ...)."""
    status = window.sync_status
    parts = [status.state_label.text()]
    if status.last_sync_label.isVisibleTo(window):
        parts.append(status.last_sync_label.text())
    return ", ".join(part for part in parts if part)


class ScreenshotWhenReady(QObject):
    """Calls `take(windows)` once: after the first paint (`painted()`) and once every window's
    sync has settled, or SYNC_WAIT_MS after the paint."""

    def __init__(self, windows: list[MainWindow], take: Callable[[list[MainWindow]], None]) -> None:
        super().__init__(windows[0])
        self._windows = windows
        self._take = take
        self._painted = False
        self._done = False
        self._deadline = QDeadlineTimer(SYNC_WAIT_MS)
        for window in windows:
            syncs = _syncs_of(window)
            if syncs is not None:
                syncs.settled.connect(self._maybe_take)

    def painted(self) -> None:
        self._painted = True
        self._deadline = QDeadlineTimer(SYNC_WAIT_MS)
        QTimer.singleShot(SYNC_WAIT_MS, lambda: self._maybe_take(waited=True))
        self._maybe_take()

    def _maybe_take(self, *, waited: bool = False) -> None:
        if self._done or not self._painted:
            return
        if not waited and not all(_settled(window) for window in self._windows):
            return
        self._done = True
        QTimer.singleShot(SETTLE_MS, self._take_when_idle)

    def _take_when_idle(self) -> None:
        if self._deadline.hasExpired() or not any(_syncing(w) for w in self._windows):
            self._take(self._windows)
        else:
            QTimer.singleShot(IDLE_POLL_MS, self._take_when_idle)


def _syncs_of(window: MainWindow) -> QObject | None:
    from mailapp.ui.syncing.account_syncs import AccountSyncs

    return window.findChild(AccountSyncs)


def _syncing(window: MainWindow) -> bool:
    return window.sync_status.state == "syncing"


def _settled(window: MainWindow) -> bool:
    syncs = _syncs_of(window)
    return syncs is None or bool(syncs.has_settled)  # type: ignore[attr-defined]


def save(windows: list[MainWindow], target: Path) -> bool:
    image = compose(windows)
    return not image.isNull() and image.save(str(target), "PNG")

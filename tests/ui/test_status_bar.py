"""The status bar shows each state the sync controller reports, and drives it back.

The controller is a stand-in QObject with the same signals as SyncController (a test double of a
Qt signal source); the widgets and the window are real.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QObject, Qt, Signal
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.status_bar import SyncStatus


class FakeController(QObject):
    stateChanged = Signal(str, int)
    progress = Signal(int, int)
    changesApplied = Signal(object)
    conflictsChanged = Signal(int)
    pendingChanged = Signal(int)
    lastSyncChanged = Signal(object)
    errorRaised = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.sync_requests = 0
        self.offline_requests: list[bool] = []

    def sync_now(self) -> None:
        self.sync_requests += 1

    def set_work_offline(self, offline: bool) -> None:
        self.offline_requests.append(offline)
        self.stateChanged.emit("working_offline" if offline else "online", 0)


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def test_a_profile_without_sync_says_local_only(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    status = window.sync_status
    assert status.state_label.text() == "Local only"
    assert not status.try_now_button.isVisible()
    assert not status.work_offline_button.isVisible()
    assert not window.sync_now_action.isEnabled()
    store.mark_read([window.message_model.summary(0).id], False)
    qtbot.waitUntil(lambda: status.pending_label.text() == "1 change not yet sent")


def test_each_controller_state_is_shown(qtbot: QtBot) -> None:
    status = SyncStatus()
    qtbot.addWidget(status)
    status.show()
    controller = FakeController()
    status.attach(controller)
    assert status.state_label.text() == "Online"

    expected = {
        "offline": "Offline",
        "working_offline": "Working offline",
        "auth_required": "Sign-in needed",
        "online": "Online",
    }
    for state, text in expected.items():
        controller.stateChanged.emit(state, 0)
        assert status.state_label.text() == text

    controller.stateChanged.emit("syncing", 0)
    controller.progress.emit(120, 400)
    assert status.state_label.text() == "Syncing 120 of 400"
    assert status.progress_bar.isVisible()
    assert (status.progress_bar.value(), status.progress_bar.maximum()) == (120, 400)
    controller.stateChanged.emit("online", 0)
    assert not status.progress_bar.isVisible()

    controller.errorRaised.emit("server said 500")
    controller.stateChanged.emit("error", 0)
    assert status.state_label.text() == "Sync failed"
    assert status.state_label.toolTip() == "server said 500"
    assert status.try_now_button.isVisible()

    controller.pendingChanged.emit(3)
    assert status.pending_label.text() == "3 changes not yet sent"
    controller.pendingChanged.emit(0)
    assert not status.pending_label.isVisible()
    controller.conflictsChanged.emit(2)
    assert status.conflicts_button.isVisible() and status.conflicts_button.text() == "2 conflicts"
    when = datetime(2026, 3, 4, 10, 30, tzinfo=UTC)
    controller.lastSyncChanged.emit(when)
    assert status.last_sync_label.text().startswith("Last synced ")
    assert "2026" in status.last_sync_label.text() or "26" in status.last_sync_label.text()
    assert status.last_sync_label.isVisible()
    today = datetime.now(UTC).replace(hour=9, minute=41, second=0, microsecond=0)
    controller.lastSyncChanged.emit(today)
    local = today.astimezone()
    shown = status.last_sync_label.text()
    assert str(local.minute) in shown and str(local.year) not in shown  # today: the time alone


def test_retrying_counts_down_and_try_now_asks_for_a_sync(qtbot: QtBot) -> None:
    status = SyncStatus()
    qtbot.addWidget(status)
    status.show()
    controller = FakeController()
    status.attach(controller)

    controller.stateChanged.emit("retrying", 2)
    assert status.state_label.text() == "Retrying in 2 s"
    assert status.try_now_button.isVisible()
    qtbot.waitUntil(lambda: status.state_label.text() == "Retrying in 1 s", timeout=3_000)

    qtbot.mouseClick(status.try_now_button, Qt.MouseButton.LeftButton)
    assert controller.sync_requests == 1


def test_work_offline_toggle_and_menu_drive_the_controller(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    controller = FakeController()
    window.attach_sync(controller)
    status = window.sync_status
    assert status.work_offline_button.isVisible()
    assert window.sync_now_action.isEnabled()

    qtbot.mouseClick(status.work_offline_button, Qt.MouseButton.LeftButton)
    assert controller.offline_requests == [True]
    assert status.state_label.text() == "Working offline"
    assert window.work_offline_action.isChecked()

    window.work_offline_action.trigger()  # File → Work Offline, unticked
    assert controller.offline_requests == [True, False]
    assert status.state_label.text() == "Online"
    assert not status.work_offline_button.isChecked()

    window.sync_now_action.trigger()  # File → Get Mail (F5)
    assert controller.sync_requests == 1

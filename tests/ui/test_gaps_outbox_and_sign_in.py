"""The Outbox badge counts messages being sent, the status bar every unsent change, both
leaving conflicts out; a cancelled sign-in prompt can always be reopened from the status bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from mailapp.store import DraftInput, MailStore
from mailapp.store.rows import OutboxState
from mailapp.ui.account.account_setup import AccountSetupDialog
from mailapp.ui.mailbox.mailbox_tree_model import OUTBOX_ID, UNREAD_COLUMN
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.window_sync import _ask_again_when_refused
from tests.support.accounts import synced_account


class FakeController(QObject):
    """Stands in for SyncController's signals (its worker needs a server this test has no use
    for); the window, the status bar, the dialog and the store are real."""

    stateChanged = Signal(str, int)
    progress = Signal(int, int)
    changesApplied = Signal(object)
    conflictsChanged = Signal(int)
    pendingChanged = Signal(int)
    lastSyncChanged = Signal(object)
    errorRaised = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str] = []

    def sync_now(self) -> None:
        pass

    def set_work_offline(self, offline: bool) -> None:
        pass

    def set_token(self, token: str) -> None:
        self.tokens.append(token)


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def _outbox_badge(window: MainWindow) -> str:
    item = window.mailbox_model.item_for(OUTBOX_ID)
    assert item is not None
    return window.mailbox_model.index(item.row(), UNREAD_COLUMN).data() or ""


def test_badge_and_status_bar_agree_and_leave_conflicts_out(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    controller = FakeController()
    window.attach_sync(controller)
    inbox = window.message_model.mailbox_id
    assert inbox is not None
    ids = [s.id for s in store.page(inbox, limit=3)]
    store.set_flagged(ids)
    status = window.sync_status
    qtbot.waitUntil(lambda: status.pending_label.text() == "3 changes not yet sent")
    assert _outbox_badge(window) == ""  # flagging sends no mail
    account_id = store.accounts()[0][0]
    for subject in ("One", "Two"):
        store.queue_send(store.save_draft(DraftInput(None, account_id, subject=subject)))
    qtbot.waitUntil(lambda: _outbox_badge(window) == "2")
    assert status.pending_label.text() == "7 changes not yet sent"  # with the drafts' saves

    rows = [r for r in store.pending_mutations() if r.type == "submission.create"]
    store.set_mutation_state([rows[0].mutation_id], OutboxState.CONFLICT)
    # The sync controller reports its own figure; the window shows the store's, as the badge.
    controller.pendingChanged.emit(1)
    controller.conflictsChanged.emit(1)
    window.mailbox_model.refresh_counts()
    assert _outbox_badge(window) == "1"
    assert status.pending_label.text() == "6 changes not yet sent"
    assert status.conflicts_button.isVisible() and status.conflicts_button.text() == "1 conflict"


def _open_dialogs(window: MainWindow) -> list[AccountSetupDialog]:
    return [d for d in window.findChildren(AccountSetupDialog) if d.isVisible()]


def test_cancelled_sign_in_can_be_reopened_from_the_status_bar(
    qtbot: QtBot, store: MailStore
) -> None:
    account_id = synced_account(store)
    window = _window(qtbot, store)
    controller = FakeController()
    window.attach_sync(controller)
    _ask_again_when_refused(window, store, account_id, controller)  # type: ignore[arg-type]
    button = window.sync_status.sign_in_button
    assert not button.isVisible()

    controller.stateChanged.emit("auth_required", 0)
    qtbot.waitUntil(lambda: len(_open_dialogs(window)) == 1)
    [dialog] = _open_dialogs(window)
    assert dialog.username_edit.text() == "alice"
    dialog.reject()  # Cancel
    qtbot.waitUntil(lambda: not _open_dialogs(window))
    assert window.sync_status.state_label.text() == "Sign-in needed"
    assert button.isVisible() and button.isEnabled()

    button.click()
    qtbot.waitUntil(lambda: len(_open_dialogs(window)) == 1)
    button.click()  # a second click brings the same prompt forward, never a second one
    assert len(_open_dialogs(window)) == 1
    _open_dialogs(window)[0].reject()
    qtbot.waitUntil(lambda: not _open_dialogs(window))

    controller.stateChanged.emit("online", 0)  # signed in again (elsewhere): the button goes
    assert not button.isVisible()

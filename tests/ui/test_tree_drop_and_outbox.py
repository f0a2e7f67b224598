"""The mailbox tree: dropping messages on a mailbox moves them; the Outbox shows what waits."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mailapp.store import DraftInput, MailStore
from mailapp.ui.mailbox.mailbox_tree_model import OUTBOX_ID, UNREAD_COLUMN
from mailapp.ui.mailbox.message_list_model import Column
from mailapp.ui.window.main_window import MainWindow


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def _drop(window: MainWindow, data: QMimeData, mailbox_id: str) -> bool:
    """Sends the events a real drag over the tree sends; True when the drop was accepted."""
    tree = window.mailbox_tree
    item = window.mailbox_model.item_for(mailbox_id)
    assert item is not None
    point = QPointF(tree.visualRect(item.index()).center())
    actions = Qt.DropAction.MoveAction | Qt.DropAction.CopyAction
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    # Enter and move take a QPoint in PySide6 6.11, a QPointF in 6.12; QPoint works with both.
    enter = QDragEnterEvent(point.toPoint(), actions, data, buttons, keys)
    QApplication.sendEvent(tree.viewport(), enter)
    move = QDragMoveEvent(point.toPoint(), actions, data, buttons, keys)
    QApplication.sendEvent(tree.viewport(), move)
    if not move.isAccepted():
        return False
    drop = QDropEvent(point, actions, data, buttons, keys)
    QApplication.sendEvent(tree.viewport(), drop)
    return drop.isAccepted()


def test_dragging_messages_onto_a_folder_moves_them(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    model = window.message_model
    receipts = next(m for m in store.mailboxes() if m.name == "Receipts")
    dragged = [model.summary(1).id, model.summary(3).id]
    data = model.mimeData([model.index(1, Column.SUBJECT), model.index(3, Column.SENDER)])
    before = len(store.pending_mutations())

    assert _drop(window, data, receipts.id)

    for message_id in dragged:
        detail = store.message(message_id)
        assert detail is not None and detail.summary.mailbox_id == receipts.id
    moves = store.pending_mutations()[before:]
    assert [m.type for m in moves] == ["email.move", "email.move"]
    qtbot.waitUntil(lambda: all(model.row_of(i) is None for i in dragged))
    assert window.notice.label.text() == "2 messages moved to Receipts."
    window.mail_actions.undo_stack.undo()  # a drop is undoable like any move
    assert all(store.message(i).summary.mailbox_id != receipts.id for i in dragged)  # type: ignore[union-attr]


def test_drops_of_other_data_or_onto_the_outbox_are_refused(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    model = window.message_model
    text = QMimeData()
    text.setText("not mail")
    receipts = next(m for m in store.mailboxes() if m.name == "Receipts")
    assert not _drop(window, text, receipts.id)
    data = model.mimeData([model.index(0, 0)])
    assert not _drop(window, data, OUTBOX_ID)
    detail = store.message(model.summary(0).id)
    assert detail is not None and detail.summary.mailbox_id != receipts.id


def test_outbox_counts_pending_changes_and_shows_the_outbox_view(
    qtbot: QtBot, store: MailStore
) -> None:
    window = _window(qtbot, store)
    outbox_item = window.mailbox_model.item_for(OUTBOX_ID)
    assert outbox_item is not None
    count = window.mailbox_model.index(outbox_item.row(), UNREAD_COLUMN)
    assert count.data() in (None, "")
    account_id = store.accounts()[0][0]
    for subject in ("One", "Two"):
        store.queue_send(store.save_draft(DraftInput(None, account_id, subject=subject)))
    qtbot.waitUntil(lambda: count.data() == "2")

    window.mailbox_tree.setCurrentIndex(outbox_item.index())

    assert window.right_stack.currentWidget() is window.outbox_view
    assert window.outbox_view is not None and window.outbox_view.isVisible()
    inbox = window.mailbox_model.first_mailbox_with_role("inbox")
    assert inbox is not None
    window.select_mailbox(inbox)
    assert window.right_stack.currentIndex() == 0
    assert window.message_list.isVisible()


def test_tree_shows_the_new_unread_count_after_marking(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    inbox = window.mailbox_model.first_mailbox_with_role("inbox")
    assert inbox is not None
    item = window.mailbox_model.item_for(inbox)
    assert item is not None
    count = window.mailbox_model.index(item.row(), UNREAD_COLUMN)
    assert count.data() == "9"
    window.message_list.selectAll()
    window.mail_actions.mark_read.trigger()
    qtbot.waitUntil(lambda: count.data() in (None, ""))
    model = window.message_model
    assert all(
        model.index(r, Column.SUBJECT).data(Qt.ItemDataRole.FontRole) is None
        for r in range(model.rowCount())
    )  # no row is bold any more


def test_reading_and_flagging_mail_leave_the_outbox_count_alone(
    qtbot: QtBot, store: MailStore
) -> None:
    window = _window(qtbot, store)
    outbox_item = window.mailbox_model.item_for(OUTBOX_ID)
    assert outbox_item is not None
    count = window.mailbox_model.index(outbox_item.row(), UNREAD_COLUMN)
    unread = next(r for r in range(window.message_model.rowCount())
                  if not window.message_model.summary(r).is_read)  # fmt: skip
    window.select_message_row(unread)  # reading it marks it read: a change for the server
    store.set_flagged([window.message_model.summary(0).id])
    status = window.sync_status
    qtbot.waitUntil(lambda: status.pending_label.text() == "2 changes not yet sent")
    assert count.data() in (None, "")  # the Outbox is for mail going out

    window.select_mailbox(OUTBOX_ID)
    outbox = window.outbox_view
    assert outbox is not None and outbox.isVisible()
    assert outbox.model.rowCount() == 0
    assert outbox.changes_button.isVisible()
    assert outbox.changes_button.text() == "2 changes not yet synced"
    outbox.changes_button.click()
    details = outbox.changes_view
    assert details is not None and details.isVisible()
    assert details.model.rowCount() == 2

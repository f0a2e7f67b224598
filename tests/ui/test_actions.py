"""Message actions from the menus, shortcuts, context menu and toolbar change the store, queue the
right mutation for the server, and can be undone."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLineEdit, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.store.rows import OutboxRow
from mailapp.ui.mailbox.message_list_model import Column
from mailapp.ui.window.main_window import MainWindow


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    return window


def _role(store: MailStore, role: str) -> str:
    (account_id, _), *_ = store.accounts()
    mailbox = store.mailbox_by_role(account_id, role)
    assert mailbox is not None
    return mailbox.id


def _menu_action(window: MainWindow, menu_title: str, text: str) -> QAction:
    for top in window.menuBar().actions():
        if top.text().replace("&", "") == menu_title and top.menu() is not None:
            for action in top.menu().actions():
                label = action.text().replace("&", "")
                # Undo's text names what it undoes: "Undo Delete".
                if label == text or label.startswith(text + " "):
                    return action
    raise AssertionError(f"no {menu_title} → {text}")


def _new_mutations(store: MailStore, before: int) -> list[OutboxRow]:
    return store.pending_mutations()[before:]


def _select_read_message(window: MainWindow) -> str:
    model = window.message_model
    row = next(r for r in range(model.rowCount()) if model.summary(r).is_read)
    window.select_message_row(row)
    return model.summary(row).id


def test_mark_unread_from_the_menu_queues_it_and_edit_undo_reverts(
    qtbot: QtBot, store: MailStore
) -> None:
    window = _window(qtbot, store)
    message_id = _select_read_message(window)
    before = len(store.pending_mutations())

    _menu_action(window, "Message", "Mark as Unread").trigger()

    detail = store.message(message_id)
    assert detail is not None and not detail.summary.is_read
    (mutation,) = _new_mutations(store, before)
    assert mutation.type == "email.keywords"
    assert mutation.args["remove"] == ["$seen"] and mutation.args["add"] == []
    row = window.message_model.row_of(message_id)
    assert row is not None
    qtbot.waitUntil(
        lambda: (
            window.message_model.index(row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole)
            is not None
        )
    )  # shown in bold again

    _menu_action(window, "Edit", "Undo").trigger()
    detail = store.message(message_id)
    assert detail is not None and detail.summary.is_read
    assert _new_mutations(store, before)[-1].args["add"] == ["$seen"]


def test_flag_with_the_keyboard_shortcut(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    message_id = _select_read_message(window)
    window.message_list.setFocus()
    before = len(store.pending_mutations())

    qtbot.keyClick(
        window.message_list,
        Qt.Key.Key_G,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )

    detail = store.message(message_id)
    assert detail is not None and detail.summary.is_flagged
    (mutation,) = _new_mutations(store, before)
    assert mutation.type == "email.keywords" and mutation.args["add"] == ["$flagged"]
    row = window.message_model.row_of(message_id)
    assert row is not None
    qtbot.waitUntil(
        lambda: (
            window.message_model.index(row, Column.FLAG).data(Qt.ItemDataRole.DecorationRole)
            is not None
        )
    )


def test_delete_key_moves_to_trash_and_the_notice_undoes_it(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    inbox, trash = _role(store, "inbox"), _role(store, "trash")
    message_id = _select_read_message(window)
    window.message_list.setFocus()
    before = len(store.pending_mutations())

    qtbot.keyClick(window.message_list, Qt.Key.Key_Delete)

    detail = store.message(message_id)
    assert detail is not None and detail.summary.mailbox_id == trash
    (mutation,) = _new_mutations(store, before)
    assert mutation.type == "email.move"
    assert mutation.args["mailboxId"] == {"old": inbox, "new": trash}
    qtbot.waitUntil(lambda: window.message_model.row_of(message_id) is None)
    assert window.notice.isVisible()
    assert window.notice.label.text() == "1 message moved to Trash."

    qtbot.mouseClick(window.notice.undo_button, Qt.MouseButton.LeftButton)

    detail = store.message(message_id)
    assert detail is not None and detail.summary.mailbox_id == inbox
    assert _new_mutations(store, before)[-1].args["mailboxId"] == {"old": trash, "new": inbox}
    qtbot.waitUntil(lambda: window.message_model.row_of(message_id) is not None)
    assert not window.notice.isVisible()


def test_deleting_several_then_edit_undo_restores_each(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    inbox, trash = _role(store, "inbox"), _role(store, "trash")
    ids = [window.message_model.summary(r).id for r in range(3)]
    window.select_message_row(0)
    window.message_list.selectionModel().select(
        window.message_model.index(2, 0),
        window.message_list.selectionModel().SelectionFlag.Select
        | window.message_list.selectionModel().SelectionFlag.Rows,
    )
    window.message_list.selectionModel().select(
        window.message_model.index(1, 0),
        window.message_list.selectionModel().SelectionFlag.Select
        | window.message_list.selectionModel().SelectionFlag.Rows,
    )
    assert {m.id for m in window.selected_messages()} == set(ids)

    _menu_action(window, "Message", "Delete").trigger()
    assert {store.message(i).summary.mailbox_id for i in ids} == {trash}  # type: ignore[union-attr]
    assert window.notice.label.text() == "3 messages moved to Trash."

    _menu_action(window, "Edit", "Undo").trigger()
    assert {store.message(i).summary.mailbox_id for i in ids} == {inbox}  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: all(window.message_model.row_of(i) is not None for i in ids))


def test_deleting_in_trash_is_permanent_only_after_confirmation(
    qtbot: QtBot, store: MailStore
) -> None:
    window = _window(qtbot, store)
    window.select_mailbox(_role(store, "trash"))
    window.select_message_row(0)
    message_id = window.message_model.summary(0).id
    asked: list[int] = []
    window.mail_actions.confirm_permanent_delete = lambda n: asked.append(n) or False
    before = len(store.pending_mutations())

    window.mail_actions.delete.trigger()
    assert asked == [1]
    assert store.message(message_id) is not None  # declined: nothing happened

    window.mail_actions.confirm_permanent_delete = lambda n: True
    window.mail_actions.delete.trigger()
    assert store.message(message_id) is None
    assert _new_mutations(store, before)[-1].type == "email.destroy"


def test_archive_from_the_context_menu(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    archive = _role(store, "archive")
    model = window.message_model
    message_id = model.summary(4).id
    position = window.message_list.visualRect(model.index(4, Column.SUBJECT)).center()
    before = len(store.pending_mutations())

    menu = window.context_menu_at(position)  # what a right-click there pops up
    assert menu is not None
    assert window.selected_messages()[0].id == message_id  # right-click selects the row
    texts = [a.text().replace("&", "") for a in menu.actions() if a.text()]
    assert {"Mark as Unread", "Archive", "Delete", "Move To"} <= set(texts)
    next(a for a in menu.actions() if a.text().replace("&", "") == "Archive").trigger()
    menu.close()

    detail = store.message(message_id)
    assert detail is not None and detail.summary.mailbox_id == archive
    assert _new_mutations(store, before)[-1].args["mailboxId"]["new"] == archive
    assert window.notice.label.text() == "1 message moved to Archive."


def test_move_to_submenu_lists_folders_and_moves(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    message_id = _select_read_message(window)
    move_menu = window.mail_actions.move_menu
    move_menu.aboutToShow.emit()
    labels = [a.text() for a in move_menu.actions()]
    assert "Projects/Apollo" in labels and "Receipts" in labels and "Trash" in labels
    inbox_action = next(a for a in move_menu.actions() if a.text() == "Inbox")
    assert not inbox_action.isEnabled()  # already there

    next(a for a in move_menu.actions() if a.text() == "Receipts").trigger()

    detail = store.message(message_id)
    receipts = next(m for m in store.mailboxes() if m.name == "Receipts")
    assert detail is not None and detail.summary.mailbox_id == receipts.id


def test_toolbar_buttons_are_named_and_follow_the_selection(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    buttons = [
        window.toolbar.widgetForAction(a)
        for a in window.toolbar.actions()
        if isinstance(window.toolbar.widgetForAction(a), QToolButton)
    ]
    assert buttons and all(b.accessibleName() for b in buttons)
    delete_button = window.toolbar.widgetForAction(window.mail_actions.delete)
    assert not delete_button.isEnabled()  # nothing selected yet
    message_id = _select_read_message(window)
    assert delete_button.isEnabled()

    qtbot.mouseClick(delete_button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))

    detail = store.message(message_id)
    assert detail is not None and detail.summary.mailbox_id == _role(store, "trash")


def test_reply_opens_a_composer_window_for_the_selected_message(
    qtbot: QtBot, store: MailStore
) -> None:
    window = _window(qtbot, store)
    message_id = _select_read_message(window)
    subject = window.selected_messages()[0].subject
    assert window.mail_actions.reply.isEnabled()

    _menu_action(window, "Message", "Reply").trigger()

    composers = [w for w in window.findChildren(QWidget) if w.isWindow() and w.isVisible()]
    assert len(composers) == 1
    composer = composers[0]
    assert composer is not window
    assert f"Re: {subject}" in composer.windowTitle() or any(
        f"Re: {subject}" in (edit.text() if hasattr(edit, "text") else "")
        for edit in composer.findChildren(QLineEdit)
    )
    assert store.message(message_id) is not None
    composer.close()

"""The main window: mailboxes in their usual order, reading a message marks it read."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui.mailbox.mailbox_tree_model import MAILBOX_ID_ROLE, UNREAD_COLUMN
from mailapp.ui.mailbox.message_list_model import Column
from mailapp.ui.window.main_window import MainWindow


def _tree_lines(window: MainWindow) -> list[str]:
    model = window.mailbox_model
    lines: list[str] = []

    def walk(parent: QModelIndex, depth: int) -> None:
        for row in range(model.rowCount(parent)):
            index = model.index(row, 0, parent)
            count = model.index(row, UNREAD_COLUMN, parent).data() or ""
            lines.append("  " * depth + index.data() + (f" ({count})" if count else ""))
            walk(index, depth + 1)

    walk(QModelIndex(), 0)
    return lines


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def test_mailboxes_are_in_standard_order_with_unread_counts(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    lines = _tree_lines(window)
    # 9 of the 30 Inbox messages are unread; Sent, Trash and Junk were imported unread too.
    assert lines == [
        "Inbox (9)",
        "Drafts",
        "Sent (3)",
        "Archive",
        "Projects",
        "  Apollo (1)",
        "Receipts",
        "Junk (2)",
        "Trash (2)",
        "Outbox",
    ]
    current = window.mailbox_tree.currentIndex()
    assert current.data() == "Inbox"
    assert window.message_model.rowCount() == 30
    assert not window.mailbox_tree.model().index(0, 0).data(Qt.ItemDataRole.DecorationRole).isNull()


def test_selecting_a_message_shows_it_and_marks_it_read(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    model = window.message_model
    row = next(r for r in range(model.rowCount()) if not model.summary(r).is_read)
    summary = model.summary(row)
    pending_before = len(store.pending_mutations())

    window.select_message_row(row)

    assert summary.subject in window.reading_pane.toPlainText()
    qtbot.waitUntil(lambda: model.summary(row).is_read, timeout=5_000)
    assert model.index(row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole) is None
    detail = store.message(summary.id)
    assert detail is not None and detail.summary.is_read
    assert len(store.pending_mutations()) == pending_before + 1  # queued for the server
    qtbot.waitUntil(lambda: _tree_lines(window)[0] == "Inbox (8)", timeout=5_000)
    # The read flag waits for the server, shown in the status bar; the Outbox is for mail
    # going out, and reading raises no count there.
    qtbot.waitUntil(
        lambda: window.sync_status.pending_label.text() == "1 change not yet sent", timeout=5_000
    )
    assert _tree_lines(window)[-1] == "Outbox"


def test_choosing_another_mailbox_lists_its_messages(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    (account_id, _), *_ = store.accounts()
    sent = store.mailbox_by_role(account_id, "sent")
    assert sent is not None
    window.select_mailbox(sent.id)
    assert window.message_model.mailbox_id == sent.id
    assert window.message_model.rowCount() == 3
    assert window.mailbox_tree.currentIndex().data(MAILBOX_ID_ROLE) == sent.id
    assert window.count_label.text() == "3 messages"


def test_mail_pouring_in_keeps_counts_right_and_the_message_being_read(
    qtbot: QtBot, store: MailStore
) -> None:
    """A sync bringing 1,200 messages (400 unread) into the open Inbox in big batches: the status
    bar and the tree's unread count follow every batch, the message being read stays selected
    and shown, and the newest mail heads the list."""
    from tests.ui.conftest import demo_item

    window = _window(qtbot, store)
    model = window.message_model
    window.select_message_row(2)
    reading = model.summary(2)
    qtbot.waitUntil(lambda: window.reading_pane.message_id == reading.id, timeout=5_000)
    (account_id, _), *_ = store.accounts()
    inbox = model.mailbox_id
    assert inbox is not None
    qtbot.waitUntil(lambda: store.message(reading.id).summary.is_read, timeout=5_000)  # type: ignore[union-attr]
    unread_before = store.mailbox_counts()[inbox].unread

    for start in range(1000, 2200, 600):
        store.import_messages(
            account_id,
            [
                demo_item(i, keywords=frozenset() if i % 3 == 0 else frozenset({"$seen"}))
                for i in range(start, start + 600)
            ],
        )
    qtbot.waitUntil(lambda: window.count_label.text() == "1230 messages", timeout=10_000)
    assert _tree_lines(window)[0] == f"Inbox ({unread_before + 400})"
    qtbot.waitUntil(lambda: not model.applying_changes, timeout=10_000)
    assert model.index(0, Column.SUBJECT).data() == "Message number 2199"
    assert [m.id for m in window.selected_messages()] == [reading.id]
    assert window.reading_pane.message_id == reading.id

"""Sorting and conversation grouping keep the list lazy: a page at a time, whatever the order."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, QPoint, Qt
from pytestqt.qtbot import QtBot

from mailapp.core.demo import DemoMessage
from mailapp.store import MailStore, open_store
from mailapp.store.views import SortOrder
from mailapp.ui.mailbox.message_list_model import DEFAULT_PAGE_SIZE, Column, MessageListModel
from mailapp.ui.window.main_window import MainWindow
from tests.ui.conftest import BIG_MAILBOX_SIZE, inbox_id, make_message


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def test_clicking_the_date_header_lists_oldest_first_one_page_at_a_time(
    qtbot: QtBot, big_store: MailStore
) -> None:
    window = _window(qtbot, big_store)
    model = window.message_model
    header = window.message_list.horizontalHeader()
    assert model.summary(0).subject == f"Message number {BIG_MAILBOX_SIZE - 1}"

    date_x = header.sectionViewportPosition(Column.DATE) + 5
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(date_x, header.height() // 2)
    )

    assert model.order == SortOrder.OLDEST_FIRST
    assert window.oldest_first_action.isChecked()
    assert header.sortIndicatorSection() == Column.DATE
    assert model.summary(0).subject == "Message number 0"
    assert model.rowCount() <= 2 * DEFAULT_PAGE_SIZE  # a page (the view may ask for one more)
    fetched = model.rowCount()
    model.fetchMore(QModelIndex())
    assert model.rowCount() == fetched + DEFAULT_PAGE_SIZE
    subjects = [model.summary(r).subject for r in range(model.rowCount())]
    assert subjects == [f"Message number {i}" for i in range(len(subjects))]

    window.set_sort_order(SortOrder.NEWEST_FIRST)  # View → Sort → Newest First
    assert model.summary(0).subject == f"Message number {BIG_MAILBOX_SIZE - 1}"
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder


def test_oldest_first_fetches_only_the_pages_asked_for(big_store: MailStore) -> None:
    model = MessageListModel(big_store, page_size=50)
    model.set_order(SortOrder.OLDEST_FIRST)
    model.set_mailbox(inbox_id(big_store))
    assert model.rowCount() == 50
    for _ in range(3):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 200  # of 100,000
    assert model.canFetchMore(QModelIndex())
    assert [model.summary(r).subject for r in (0, 199)] == [
        "Message number 0",
        "Message number 199",
    ]


def _threads_store(path: Path) -> MailStore:
    store = open_store(path)
    account_id = store.create_account("me@example.org")
    items = []
    for index in range(12):
        thread = f"thread-{index % 4}"  # 4 conversations of 3 messages each
        items.append(
            DemoMessage(
                mailbox_role="inbox",
                mailbox_name="Inbox",
                keywords=frozenset({"$seen"}),
                message=make_message(index, subject=f"Topic {index % 4} part {index // 4}"),
                thread_key=thread,
            )
        )
    store.import_messages(account_id, items)
    return store


def test_grouping_by_conversation_shows_each_thread_once_with_its_size(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = _threads_store(tmp_path / "mail.sqlite3")
    window = _window(qtbot, store)
    model = window.message_model
    assert model.rowCount() == 12

    window.conversations_action.trigger()  # View → Group by Conversation

    assert model.rowCount() == 4
    shown = [model.index(r, Column.SUBJECT).data() for r in range(4)]
    assert shown == [f"Topic {t} part 2 (3)" for t in (3, 2, 1, 0)]  # newest message heads it

    newest_of_topic_3 = model.summary(0).id
    window.select_message_row(0)
    window.mail_actions.delete.trigger()
    qtbot.waitUntil(lambda: model.rowCount() == 3)  # the whole conversation went to Trash
    assert model.row_of(newest_of_topic_3) is None
    trash = next(m.id for m in store.mailboxes() if m.role == "trash")
    assert store.count(trash) == 3
    assert window.notice.label.text() == "3 messages moved to Trash."

    window.select_message_row(2)
    window.mail_actions.mark_unread.trigger()  # marks each message of "Topic 0"
    assert store.mailbox_counts()[inbox_id(store)].unread == 3

    window.conversations_action.trigger()
    assert model.rowCount() == 9
    window.close()
    store.close()

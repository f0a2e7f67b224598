"""Sorting by sender and by subject, from the header and the View menu, a page at a time."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.store.rows import SortOrder
from mailapp.ui.mailbox.message_list_model import DEFAULT_PAGE_SIZE, Column
from mailapp.ui.window.main_window import MainWindow
from tests.ui.conftest import BIG_MAILBOX_SIZE, demo_item


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def _click_header(qtbot: QtBot, window: MainWindow, column: Column) -> None:
    header = window.message_list.horizontalHeader()
    x = header.sectionViewportPosition(column) + 5
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def _subjects(window: MainWindow) -> list[str]:
    model = window.message_model
    return [model.summary(row).subject for row in range(model.rowCount())]


def test_subject_header_sorts_a_to_z_then_z_to_a_lazily(qtbot: QtBot, big_store: MailStore) -> None:
    window = _window(qtbot, big_store)
    model = window.message_model
    header = window.message_list.horizontalHeader()
    everything = sorted((f"Message number {i}" for i in range(BIG_MAILBOX_SIZE)), key=str.lower)

    _click_header(qtbot, window, Column.SUBJECT)
    assert model.order == SortOrder.SUBJECT_ASC
    assert window.sort_actions[SortOrder.SUBJECT_ASC].isChecked()
    assert header.sortIndicatorSection() == Column.SUBJECT
    assert header.sortIndicatorOrder() == Qt.SortOrder.AscendingOrder
    assert model.rowCount() <= 2 * DEFAULT_PAGE_SIZE  # a page (the view may ask for one more)
    fetched = model.rowCount()
    model.fetchMore(QModelIndex())
    assert model.rowCount() == fetched + DEFAULT_PAGE_SIZE
    assert _subjects(window) == everything[: model.rowCount()]

    _click_header(qtbot, window, Column.SUBJECT)
    assert model.order == SortOrder.SUBJECT_DESC
    assert header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert _subjects(window) == everything[::-1][: model.rowCount()]


def test_view_menu_sorts_by_sender_with_ties_by_date(qtbot: QtBot, big_store: MailStore) -> None:
    window = _window(qtbot, big_store)
    model = window.message_model
    window.sort_actions[SortOrder.SENDER_ASC].trigger()
    assert model.order == SortOrder.SENDER_ASC
    assert window.message_list.horizontalHeader().sortIndicatorSection() == Column.SENDER
    # "Sender 0" first, its messages oldest first (message i comes from sender i % 97).
    assert _subjects(window)[:3] == ["Message number 0", "Message number 97", "Message number 194"]
    assert model.index(0, Column.SENDER).data() == "Sender 0"

    window.sort_actions[SortOrder.SENDER_DESC].trigger()
    newest_of_96 = max(i for i in range(BIG_MAILBOX_SIZE) if i % 97 == 96)
    assert model.index(0, Column.SENDER).data() == "Sender 96"  # "96" > "9" > "89" as text
    assert _subjects(window)[0] == f"Message number {newest_of_96}"
    assert model.rowCount() <= 2 * DEFAULT_PAGE_SIZE

    _click_header(qtbot, window, Column.DATE)  # the Date header goes back to newest first
    assert model.order == SortOrder.NEWEST_FIRST
    assert _subjects(window)[0] == f"Message number {BIG_MAILBOX_SIZE - 1}"


def test_new_mail_lands_in_its_place_in_subject_order(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    window.set_sort_order(SortOrder.SUBJECT_ASC)
    assert _subjects(window)[0] == "Message number 0"
    account_id = store.accounts()[0][0]
    inbox = window.message_model.mailbox_id
    store.import_messages(account_id, [demo_item(900, subject="Re: Aardvarks")])
    qtbot.waitUntil(lambda: _subjects(window)[0] == "Re: Aardvarks")
    assert window.message_model.mailbox_id == inbox
    assert _subjects(window)[1] == "Message number 0"

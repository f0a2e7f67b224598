"""The message list keeps a bounded window of rows in memory, however far the user scrolls."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore, open_store
from mailapp.store.rows import SortOrder
from mailapp.ui.common.store_bridge import StoreChanges
from mailapp.ui.mailbox.message_list_model import Column, MessageListModel
from mailapp.ui.mailbox.message_list_view import MessageListView
from tests.ui.conftest import ACCOUNT_EMAIL, BIG_MAILBOX_SIZE, demo_item, inbox_id

RESIDENT = 1024


def _subject(model: MessageListModel, row: int) -> str:
    return str(model.index(row, Column.SUBJECT).data())


def test_scrolling_to_the_end_of_a_huge_mailbox_keeps_a_bounded_number_of_rows(
    qtbot: QtBot, big_store: MailStore
) -> None:
    model = MessageListModel(big_store, page_size=256, resident_rows=RESIDENT)
    model.set_mailbox(inbox_id(big_store))
    view = MessageListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.resize(900, 600)
    view.show()
    # The user reads the third message, then scrolls through the whole inbox.
    selected = model.index(2, 0)
    view.selectionModel().setCurrentIndex(
        selected, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    held = model.resident_count
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        view.scrollToBottom()
        qtbot.wait(0)  # the view paints the rows it shows
        held = max(held, model.resident_count)

    assert model.rowCount() == BIG_MAILBOX_SIZE
    assert held <= RESIDENT + 256 + 1
    assert _subject(model, BIG_MAILBOX_SIZE - 1) == "Message number 0"
    # Far rows are read again when shown, in their places; the selection stayed on its row.
    assert view.selectionModel().currentIndex().row() == 2
    assert model.summary(2).subject == f"Message number {BIG_MAILBOX_SIZE - 3}"
    for row in (0, 5_000, 50_000, 77_777):
        assert _subject(model, row) == f"Message number {BIG_MAILBOX_SIZE - 1 - row}"
        assert model.resident_count <= RESIDENT + 256 + 1
    view.scrollToTop()
    qtbot.wait(0)
    assert _subject(model, 0) == f"Message number {BIG_MAILBOX_SIZE - 1}"
    assert model.resident_count <= RESIDENT + 256 + 1


def test_changes_to_forgotten_rows_show_when_they_are_read_again(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Mail read, arriving or moved away among rows the list no longer holds: reading those
    rows again shows each message once, in order, as it is now."""
    mail = open_store(tmp_path / "mail.sqlite3")
    account_id = mail.create_account(ACCOUNT_EMAIL)
    mail.import_messages(account_id, [demo_item(i) for i in range(0, 400, 2)])
    model = MessageListModel(mail, page_size=10, resident_rows=40)
    mailbox = inbox_id(mail)
    model.set_mailbox(mailbox)
    changes = StoreChanges(mail)
    changes.changed.connect(model.apply_changes)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 200
    assert model.resident_count <= 50
    assert model.row_of(model.summary(199).id) == 199  # the bottom is held, the top is not
    assert model.row_of(mail.page(mailbox, None, 1)[0].id) is None

    by_subject = {s.subject: s.id for s in mail.page(mailbox, None, 200)}
    (account, _), *_ = mail.accounts()
    archive = mail.mailbox_by_role(account, "archive")
    assert archive is not None
    with qtbot.waitSignal(changes.changed, timeout=5_000):
        mail.import_messages(account_id, [demo_item(101), demo_item(103)])  # among the old
    with qtbot.waitSignal(changes.changed, timeout=5_000):
        mail.move([by_subject["Message number 300"]], archive.id)
    with qtbot.waitSignal(changes.changed, timeout=5_000):
        mail.mark_read([by_subject["Message number 396"]])
    qtbot.wait(10)  # the list's change slices

    # The view reads the top again: the page comes back as it is now (one row fewer: the moved
    # message), fitted on the next turn of the event loop.
    expected = sorted([n for n in range(0, 400, 2) if n != 300] + [101, 103], reverse=True)
    for row in range(model.rowCount()):
        model.index(row, Column.SUBJECT).data()
    qtbot.waitUntil(lambda: not model._pending, timeout=5_000)
    subjects = [model.summary(row).subject for row in range(model.rowCount())]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        subjects = [model.summary(row).subject for row in range(model.rowCount())]
    assert subjects == [f"Message number {n}" for n in expected]
    assert model.summary(1).id == by_subject["Message number 396"]
    assert model.index(1, Column.SUBJECT).data(Qt.ItemDataRole.FontRole) is None  # read
    assert model.index(2, Column.SUBJECT).data(Qt.ItemDataRole.FontRole) is not None
    changes.close()
    mail.close()


@pytest.mark.parametrize(
    ("order", "conversations"),
    [
        (SortOrder.OLDEST_FIRST, False),
        (SortOrder.SENDER_ASC, False),
        (SortOrder.SUBJECT_DESC, False),
        (SortOrder.NEWEST_FIRST, True),
    ],
)
def test_every_order_reads_forgotten_rows_back_in_their_places(
    tmp_path: Path, order: SortOrder, conversations: bool
) -> None:
    mail = open_store(tmp_path / "mail.sqlite3")
    account_id = mail.create_account(ACCOUNT_EMAIL)
    mail.import_messages(account_id, [demo_item(i) for i in range(300)])
    lists: list[list[str]] = []
    for resident in (40, 10_000):  # a window of 40 rows; every row held
        model = MessageListModel(mail, page_size=10, resident_rows=resident)
        model.set_mailbox(inbox_id(mail))
        model.set_order(order)
        model.set_conversations(conversations)
        while model.canFetchMore(QModelIndex()):
            model.fetchMore(QModelIndex())
        assert (model.resident_count <= 50) == (resident == 40)
        lists.append([_subject(model, row) for row in range(model.rowCount())])
    assert lists[0] == lists[1]
    assert len(lists[0]) == 300
    mail.close()

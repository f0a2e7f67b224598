"""The message list pages lazily through the store and follows its changes row by row."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore, open_store
from mailapp.ui.common.store_bridge import StoreChanges
from mailapp.ui.mailbox.message_list_model import DEFAULT_PAGE_SIZE, Column, MessageListModel
from mailapp.ui.mailbox.message_list_view import MessageListView
from tests.ui.conftest import ACCOUNT_EMAIL, BIG_MAILBOX_SIZE, CountingStore, demo_item, inbox_id


def _shown_view(qtbot: QtBot, model: MessageListModel) -> MessageListView:
    view = MessageListView()
    qtbot.addWidget(view)
    view.setModel(model)
    view.configure_columns()
    view.resize(900, 600)
    with qtbot.waitSignal(view.firstPagePainted, timeout=10_000):
        view.show()
    return view


def _ids(model: MessageListModel) -> list[str]:
    return [model.summary(row).id for row in range(model.rowCount())]


def test_opening_a_huge_mailbox_reads_only_the_first_page(
    qtbot: QtBot, big_store: MailStore
) -> None:
    counting = CountingStore(big_store)
    model = MessageListModel(counting)  # type: ignore[arg-type]
    mailbox = inbox_id(big_store)
    model.set_mailbox(mailbox)
    view = _shown_view(qtbot, model)

    assert big_store.count(mailbox) == BIG_MAILBOX_SIZE
    assert 0 < model.rowCount() <= DEFAULT_PAGE_SIZE
    assert counting.rows_read <= DEFAULT_PAGE_SIZE
    assert counting.page_calls == 1
    # Newest first: the last imported message heads the list.
    assert model.index(0, Column.SUBJECT).data() == f"Message number {BIG_MAILBOX_SIZE - 1}"

    first_page = _ids(model)
    view.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > len(first_page), timeout=5_000)

    ids = _ids(model)
    assert ids[: len(first_page)] == first_page
    assert len(ids) == len(set(ids)), "a keyset page repeated rows"
    assert model.rowCount() <= 3 * DEFAULT_PAGE_SIZE
    assert counting.rows_read == model.rowCount()
    subjects = [model.index(row, Column.SUBJECT).data() for row in range(model.rowCount())]
    assert subjects == [f"Message number {BIG_MAILBOX_SIZE - 1 - n}" for n in range(len(ids))]


def test_fetching_to_the_end_lists_every_message_once_in_order(store: MailStore) -> None:
    model = MessageListModel(store, page_size=7)
    mailbox = inbox_id(store)
    model.set_mailbox(mailbox)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())

    assert model.rowCount() == store.count(mailbox) == 30
    dates = [model.summary(row).date for row in range(model.rowCount())]
    assert dates == sorted(dates, reverse=True)
    assert len(set(_ids(model))) == 30


def _unread_row(model: MessageListModel) -> int:
    return next(row for row in range(model.rowCount()) if not model.summary(row).is_read)


def test_unread_rows_are_bold_and_reading_unbolds_without_a_reset(
    qtbot: QtBot, store: MailStore
) -> None:
    model = MessageListModel(store)
    model.set_mailbox(inbox_id(store))
    _shown_view(qtbot, model)
    changes = StoreChanges(store)
    changes.changed.connect(model.apply_changes)

    row = _unread_row(model)
    message_id = model.summary(row).id
    read_row = next(r for r in range(model.rowCount()) if model.summary(r).is_read)
    assert model.index(row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(row, Column.SENDER).data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(read_row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole) is None

    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    with qtbot.waitSignal(model.dataChanged, timeout=5_000) as changed:
        store.mark_read([message_id])
    top_left, bottom_right = changed.args[0], changed.args[1]
    assert top_left.row() == bottom_right.row() == row

    assert model.index(row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole) is None
    assert model.summary(row).id == message_id
    assert model.summary(row).is_read
    assert resets == []
    changes.close()


def test_flagging_shows_the_flag_and_moving_away_removes_only_that_row(
    qtbot: QtBot, store: MailStore
) -> None:
    model = MessageListModel(store)
    mailbox = inbox_id(store)
    model.set_mailbox(mailbox)
    changes = StoreChanges(store)
    changes.changed.connect(model.apply_changes)
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))

    target = model.summary(3)
    assert model.index(3, Column.FLAG).data(Qt.ItemDataRole.DecorationRole) is None
    with qtbot.waitSignal(model.dataChanged, timeout=5_000):
        store.set_flagged([target.id])
    assert not model.index(3, Column.FLAG).data(Qt.ItemDataRole.DecorationRole).isNull()

    (account_id, _), *_ = store.accounts()
    archive = store.mailbox_by_role(account_id, "archive")
    assert archive is not None
    before = _ids(model)
    with qtbot.waitSignal(model.rowsRemoved, timeout=5_000):
        store.move([target.id], archive.id)
    assert _ids(model) == [i for i in before if i != target.id]
    assert model.row_of(target.id) is None
    assert resets == []

    # Moving it back puts it where it belongs again.
    with qtbot.waitSignal(model.rowsInserted, timeout=5_000):
        store.move([target.id], mailbox)
    assert _ids(model) == before
    changes.close()


def test_attachment_column_shows_an_icon_only_for_messages_with_attachments(
    store: MailStore,
) -> None:
    model = MessageListModel(store)
    model.set_mailbox(inbox_id(store))
    with_attachment = [row for row in range(model.rowCount()) if model.summary(row).has_attachments]
    assert len(with_attachment) == 1
    for row in range(model.rowCount()):
        icon = model.index(row, Column.ATTACHMENT).data(Qt.ItemDataRole.DecorationRole)
        assert (icon is not None) == (row in with_attachment)
    header = model.headerData(
        Column.ATTACHMENT, Qt.Orientation.Horizontal, Qt.ItemDataRole.AccessibleTextRole
    )
    assert header == "Attachment"


def test_mail_arriving_in_an_open_mailbox_keeps_the_list_to_what_was_fetched(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """A sync pouring thousands of messages into the open (empty) inbox: the newest stay on
    top, the list holds no more rows than the view fetched (each insert used to walk, and
    keep, every row: seconds of UI stalls and all of the mailbox in memory), and scrolling to
    the end still lists every message once, in order."""
    mail = open_store(tmp_path / "mail.sqlite3")
    account_id = mail.create_account(ACCOUNT_EMAIL)
    mail.import_messages(account_id, [demo_item(0)])
    model = MessageListModel(mail, page_size=50)
    mailbox = inbox_id(mail)
    model.set_mailbox(mailbox)
    changes = StoreChanges(mail)
    changes.changed.connect(model.apply_changes)
    # Batches under the targeted-refresh limit, as sync pages of new mail arrive.
    for start in range(1, 1201, 150):
        with qtbot.waitSignal(changes.changed, timeout=5_000):
            mail.import_messages(account_id, [demo_item(i) for i in range(start, start + 150)])

    assert model.rowCount() == 50
    assert model.index(0, Column.SUBJECT).data() == "Message number 1200"
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    subjects = [model.index(row, Column.SUBJECT).data() for row in range(model.rowCount())]
    assert subjects == [f"Message number {n}" for n in range(1200, -1, -1)]
    changes.close()
    mail.close()


def test_a_change_to_hundreds_of_listed_messages_updates_each_row_and_keeps_the_selection(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """ "Mark all read" over 600 fetched rows: every row loses its bold in place, the selected
    message stays selected and current (a reload used to reset the list: selection gone)."""
    mail = open_store(tmp_path / "mail.sqlite3")
    account_id = mail.create_account(ACCOUNT_EMAIL)
    mail.import_messages(account_id, [demo_item(i) for i in range(700)])
    model = MessageListModel(mail, page_size=100)
    model.set_mailbox(inbox_id(mail))
    view = _shown_view(qtbot, model)
    while model.rowCount() < 600:
        model.fetchMore(QModelIndex())
    changes = StoreChanges(mail)
    changes.changed.connect(model.apply_changes)
    view.selectRow(250)
    chosen = model.summary(250).id
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    listed = _ids(model)

    mail.mark_read(listed)

    qtbot.waitUntil(lambda: all(model.summary(r).is_read for r in range(600)), timeout=10_000)
    assert _ids(model) == listed
    assert all(
        model.index(row, Column.SUBJECT).data(Qt.ItemDataRole.FontRole) is None
        for row in range(600)
    )
    assert resets == []
    assert [i.row() for i in view.selectionModel().selectedRows()] == [250]
    assert model.summary(view.currentIndex().row()).id == chosen
    changes.close()
    mail.close()


def test_a_sync_page_of_a_thousand_messages_keeps_the_selection_and_the_newest_on_top(
    qtbot: QtBot, tmp_path: Path
) -> None:
    """Sync pages bigger than a slice: older mail stays out of the list until scrolled to,
    newer mail lands on top without a reset, the selected message stays listed and selected
    (the list keeps no more rows than that), and scrolling to the end lists every message
    once, in order."""
    mail = open_store(tmp_path / "mail.sqlite3")
    account_id = mail.create_account(ACCOUNT_EMAIL)
    mail.import_messages(account_id, [demo_item(i) for i in range(1000, 1100)])
    model = MessageListModel(mail, page_size=50)
    model.set_mailbox(inbox_id(mail))
    view = _shown_view(qtbot, model)
    changes = StoreChanges(mail)
    changes.changed.connect(model.apply_changes)
    view.selectRow(10)
    chosen = model.summary(10).id
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))

    with qtbot.waitSignal(changes.changed, timeout=10_000):  # older than every listed row
        mail.import_messages(account_id, [demo_item(i) for i in range(1000)])
    qtbot.waitUntil(lambda: not model.applying_changes, timeout=10_000)
    assert model.index(0, Column.SUBJECT).data() == "Message number 1099"
    assert model.rowCount() == 50
    with qtbot.waitSignal(changes.changed, timeout=10_000):  # newer than every listed row
        mail.import_messages(account_id, [demo_item(i) for i in range(1100, 2300)])
    qtbot.waitUntil(lambda: not model.applying_changes, timeout=10_000)

    assert model.index(0, Column.SUBJECT).data() == "Message number 2299"
    assert resets == []
    assert [model.summary(i.row()).id for i in view.selectionModel().selectedRows()] == [chosen]
    assert model.row_of(chosen) == 1210
    assert model.rowCount() == 1211
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    subjects = [model.index(row, Column.SUBJECT).data() for row in range(model.rowCount())]
    assert subjects == [f"Message number {n}" for n in range(2299, -1, -1)]
    changes.close()
    mail.close()

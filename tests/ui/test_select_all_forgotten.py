"""Select all, then act, in a list that forgot its far rows while mail arrived among them
(message_list_window: forgotten rows are read back, and fitted when their count changed)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QModelIndex
from pytestqt.qtbot import QtBot

from mailapp.store import open_store
from mailapp.ui.window.main_window import MainWindow
from tests.ui.conftest import ACCOUNT_EMAIL, demo_item, inbox_id


def test_select_all_then_mark_read_reaches_every_message_after_mail_arrived_among_forgotten_rows(
    qtbot: QtBot, tmp_path: Path
) -> None:
    mail = open_store(tmp_path / "mail.sqlite3")
    account_id = mail.create_account(ACCOUNT_EMAIL)
    mail.import_messages(account_id, [demo_item(i) for i in range(0, 3000, 2)])
    window = MainWindow(mail)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    model = window.message_model
    # The user scrolls to the end of the inbox: its top pages are forgotten (1,500 rows).
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    window.message_list.scrollToBottom()
    qtbot.wait(0)
    assert model.rowCount() == 1500
    assert model.resident_count < 1500
    assert window.changes is not None
    # A message arrives among the forgotten rows (moved in from elsewhere, an older date).
    with qtbot.waitSignal(window.changes.changed, timeout=5_000):
        mail.import_messages(account_id, [demo_item(2001)])
    qtbot.wait(10)  # the list's change slices

    window.message_list.selectAll()
    window.mail_actions.mark_read.trigger()

    # Every message the user selected is read; the one that arrived after (its row, once read
    # back, is new and so not selected, as Qt does for any inserted row) is left as it was.
    inbox = inbox_id(mail)

    def selected_mail_read() -> None:
        unread = [s.subject for s in mail.page(inbox, None, 2000) if not s.is_read]
        assert unread == ["Message number 2001"]

    qtbot.waitUntil(selected_mail_read, timeout=5_000)
    selection = window.message_list.selectionModel()
    unselected = [
        model.summary(row).subject
        for row in range(model.rowCount())
        if not selection.isRowSelected(row, QModelIndex())
    ]
    assert unselected == ["Message number 2001"]
    mail.close()

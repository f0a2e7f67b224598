"""New mail is announced (through the tray where there is one); the user's own actions are not."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui.main_window import MainWindow
from mailapp.ui.tray import MailTray
from tests.ui.conftest import demo_item


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def test_arriving_unread_inbox_mail_is_announced(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    (account_id, _), *_ = store.accounts()
    announced: list[tuple[int, str, str]] = []
    window.new_mail.newMail.connect(lambda n, title, body: announced.append((n, title, body)))

    store.import_messages(account_id, [demo_item(500, subject="Lunch on Friday?")])
    qtbot.waitUntil(lambda: len(announced) == 1)
    assert announced[0] == (1, "New mail from Sender 15", "Lunch on Friday?")

    store.import_messages(
        account_id,
        [
            demo_item(501, subject="First"),
            demo_item(502, subject="Second"),
            demo_item(503, subject="Already read", keywords=frozenset({"$seen"})),
            demo_item(504, subject="Spam", role="junk", mailbox="Junk"),
        ],
    )
    qtbot.waitUntil(lambda: len(announced) == 2)
    assert announced[1] == (2, "2 new messages", "Latest from Sender 17: Second")


def test_undoing_a_delete_is_not_new_mail(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    announced: list[int] = []
    window.new_mail.newMail.connect(lambda n, _t, _b: announced.append(n))
    model = window.message_model
    row = next(r for r in range(model.rowCount()) if not model.summary(r).is_read)
    message_id = model.summary(row).id
    window.select_message_row(row)  # reading it marks it read...
    store.mark_read([message_id], False)  # ...so make it unread again, as new mail would be
    window.mail_actions.delete.trigger()
    window.mail_actions.undo_stack.undo()
    qtbot.waitUntil(lambda: model.row_of(message_id) is not None)
    qtbot.wait(50)
    assert announced == []


def test_tray_is_only_created_where_the_desktop_has_one(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    assert (window.tray is not None) == MailTray.available()

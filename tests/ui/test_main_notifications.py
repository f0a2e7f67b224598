"""New mail is announced, in the words the notice would show, grouped when it arrives together;
the user's own actions, mail already read, mail outside the Inbox and "do not disturb" are not.
A click on the notice opens its message. (The first sync of a new account announces nothing:
tests/sync/test_arrivals.py.)"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QCheckBox
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore, views
from mailapp.store.settings import load_settings
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.notifications import GROUP_MS, Notification
from mailapp.ui.window.settings_dialog import SettingsDialog
from mailapp.ui.window.tray import MailTray
from tests.ui.conftest import demo_item

# Offscreen has neither a window manager nor a tray: what Qt says about that is no failure.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support (raise\(\)|propagateSizeHints\(\))",
    r"No such signal QPlatformNativeInterface::systemTrayWindowChanged",
)


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def _account(store: MailStore) -> str:
    (account_id, _), *_ = store.accounts()
    return account_id


@pytest.fixture
def window(qtbot: QtBot, store: MailStore) -> Iterator[MainWindow]:
    yield _window(qtbot, store)


def _announced(window: MainWindow) -> list[Notification]:
    shown: list[Notification] = []
    assert window.new_mail is not None
    window.new_mail.newMail.connect(shown.append)
    return shown


def _quiet_for_a_group(qtbot: QtBot) -> None:
    """Long enough for a notice about anything that arrived to have been made."""
    qtbot.wait(GROUP_MS * 2)


def test_one_arriving_message_names_its_sender_and_subject(
    qtbot: QtBot, store: MailStore, window: MainWindow
) -> None:
    shown = _announced(window)
    store.import_messages(_account(store), [demo_item(500, subject="Lunch on Friday?")])
    qtbot.waitUntil(lambda: len(shown) == 1)
    notice = shown[0]
    assert (notice.count, notice.title, notice.body) == (
        1,
        "New mail from Sender 15",
        "Lunch on Friday?",
    )


def test_mail_arriving_together_is_one_notice_naming_the_newest_senders(
    qtbot: QtBot, store: MailStore, window: MainWindow
) -> None:
    shown = _announced(window)
    account_id = _account(store)
    # Five separate arrivals (as a sync's pages come), with what is never announced among them.
    store.import_messages(account_id, [demo_item(501, subject="First")])
    store.import_messages(account_id, [demo_item(502, subject="Second")])
    store.import_messages(
        account_id,
        [
            demo_item(503, subject="Already read", keywords=frozenset({"$seen"})),
            demo_item(504, subject="Spam", role="junk", mailbox="Junk"),
            demo_item(505, subject="Binned", role="trash", mailbox="Trash"),
            demo_item(506, subject="My own", role="sent", mailbox="Sent"),
        ],
    )
    store.import_messages(account_id, [demo_item(507, subject="")])
    store.import_messages(account_id, [demo_item(508, subject="Fifth")])
    store.import_messages(account_id, [demo_item(509, subject="Sixth")])
    qtbot.waitUntil(lambda: len(shown) == 1)
    _quiet_for_a_group(qtbot)
    assert len(shown) == 1
    notice = shown[0]
    assert (notice.count, notice.title) == (5, "5 new messages")
    assert notice.body.splitlines() == [
        "Sender 24: Sixth",
        "Sender 23: Fifth",
        "Sender 22: (no subject)",
        "and 2 more",
    ]
    newest = views.summary(store, notice.message_id)
    assert newest is not None and newest.subject == "Sixth"  # what a click on it opens


def test_mail_read_elsewhere_before_the_notice_is_not_announced(
    qtbot: QtBot, store: MailStore, window: MainWindow
) -> None:
    shown = _announced(window)
    store.import_messages(_account(store), [demo_item(510, subject="Read on the phone")])
    # Read (on another device, synced) within the moment arrivals are grouped over.
    inbox = store.page(_inbox(store), limit=100)
    (arrived,) = [m for m in inbox if m.subject == "Read on the phone"]
    store.mark_read([arrived.id], True)
    _quiet_for_a_group(qtbot)
    assert shown == []


def test_the_users_own_actions_are_not_new_mail(
    qtbot: QtBot, store: MailStore, window: MainWindow
) -> None:
    shown = _announced(window)
    model = window.message_model
    row = next(r for r in range(model.rowCount()) if not model.summary(r).is_read)
    message_id = model.summary(row).id
    window.select_message_row(row)  # reading it marks it read...
    store.mark_read([message_id], False)  # ...so make it unread again, as new mail would be
    window.mail_actions.delete.trigger()
    window.mail_actions.undo_stack.undo()
    qtbot.waitUntil(lambda: model.row_of(message_id) is not None)
    _quiet_for_a_group(qtbot)
    assert shown == []


def test_do_not_disturb_in_settings_silences_new_mail_until_turned_off(
    qtbot: QtBot, store: MailStore, window: MainWindow
) -> None:
    shown = _announced(window)
    dialog = SettingsDialog(store, window)
    qtbot.addWidget(dialog)
    dialog.saved.connect(window.settingsChanged)  # as Edit → Settings… connects it
    (check,) = [c for c in dialog.findChildren(QCheckBox) if "disturb" in c.text()]
    assert not check.isChecked()
    check.setChecked(True)
    dialog.accept()
    assert load_settings(store).do_not_disturb

    store.import_messages(_account(store), [demo_item(520, subject="While busy")])
    _quiet_for_a_group(qtbot)
    assert shown == []  # and not later either: it arrived while the user asked for quiet

    again = SettingsDialog(store, window)
    qtbot.addWidget(again)
    again.saved.connect(window.settingsChanged)
    assert again.do_not_disturb_check.isChecked()
    again.do_not_disturb_check.setChecked(False)
    again.accept()
    store.import_messages(_account(store), [demo_item(521, subject="After")])
    qtbot.waitUntil(lambda: len(shown) == 1)
    assert (shown[0].title, shown[0].body) == ("New mail from Sender 36", "After")


def test_the_tray_menu_toggles_do_not_disturb_as_settings_does(
    qtbot: QtBot, store: MailStore, window: MainWindow
) -> None:
    shown = _announced(window)
    tray = window.tray or MailTray(window, store)  # offscreen has no tray: made for the test
    assert tray.icon.contextMenu() is tray.menu
    assert tray.do_not_disturb in tray.menu.actions()
    tray.do_not_disturb.trigger()
    assert tray.do_not_disturb.isChecked() and load_settings(store).do_not_disturb
    dialog = SettingsDialog(store, window)
    qtbot.addWidget(dialog)
    assert dialog.do_not_disturb_check.isChecked()  # the same setting
    store.import_messages(_account(store), [demo_item(530, subject="Hush")])
    _quiet_for_a_group(qtbot)
    assert shown == []

    # Turned off in Settings, the tray's menu shows it off too.
    dialog.saved.connect(window.settingsChanged)
    dialog.do_not_disturb_check.setChecked(False)
    dialog.accept()
    assert not tray.do_not_disturb.isChecked()
    store.import_messages(_account(store), [demo_item(531, subject="Speak")])
    qtbot.waitUntil(lambda: len(shown) == 1)


def test_clicking_the_notice_opens_its_message(
    qtbot: QtBot, store: MailStore, window: MainWindow
) -> None:
    shown = _announced(window)
    tray = window.tray or MailTray(window, store)
    window.new_mail.newMail.connect(tray.notify)  # type: ignore[union-attr]
    window.select_mailbox(store.mailbox_by_role(_account(store), "sent").id)  # type: ignore[union-attr]
    store.import_messages(_account(store), [demo_item(540, subject="Open me")])
    qtbot.waitUntil(lambda: len(shown) == 1)
    tray.last_notified = shown[0].message_id  # notify() skips the active window; offscreen is
    tray.icon.messageClicked.emit()
    assert window.message_model.mailbox_id == _inbox(store)
    assert window.reading_pane.message_id == shown[0].message_id


def test_tray_is_only_created_where_the_desktop_has_one(window: MainWindow) -> None:
    assert (window.tray is not None) == MailTray.available()


def _inbox(store: MailStore) -> str:
    inbox = store.mailbox_by_role(_account(store), "inbox")
    assert inbox is not None
    return inbox.id

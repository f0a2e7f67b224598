"""A profile without accounts opens on a welcome page, not on empty panes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore, open_store
from mailapp.ui.account.account_setup import AccountSetupDialog
from mailapp.ui.account.welcome import demo_command
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.window_sync import setup_window_sync


@pytest.fixture
def empty_store(tmp_path: Path) -> Iterator[MailStore]:
    store = open_store(tmp_path / "profile" / "mail.sqlite3")
    yield store
    store.close()


def test_an_empty_profile_shows_the_welcome_page(qtbot: QtBot, empty_store: MailStore) -> None:
    window = MainWindow(empty_store)
    qtbot.addWidget(window)
    window.show()
    assert window.welcome.shown
    page = window.welcome.page
    assert page is not None and page.isVisible()
    assert not window.message_list.isVisible()  # no blank panes behind it
    assert page.add_account_button.text().replace("&", "") == "Add Account…"
    assert page.demo_button.text().replace("&", "") == "Try the Demo"


def test_add_account_opens_the_sign_in_and_an_account_replaces_the_page(
    qtbot: QtBot, empty_store: MailStore
) -> None:
    window = MainWindow(empty_store)
    qtbot.addWidget(window)
    window.show()
    with ExitStack() as cleanup:
        setup_window_sync(window, empty_store, cleanup)  # what start-up does after the paint
        page = window.welcome.page
        assert page is not None
        page.add_account_button.click()
        dialog = window.findChild(AccountSetupDialog)
        assert dialog is not None and dialog.isVisible()
        dialog.reject()
        # As a sign-in does: the account and its mailboxes arrive in the store.
        empty_store.create_account("me@example.org")
        qtbot.waitUntil(lambda: not window.welcome.shown, timeout=5000)
        assert window.message_list.isVisible()
        assert window.mailbox_model.first_mailbox_with_role("inbox") is not None


def test_a_profile_with_an_account_never_shows_it(qtbot: QtBot, store: MailStore) -> None:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    assert window.welcome.page is None and window.message_list.isVisible()


def test_try_the_demo_is_the_live_demo_command() -> None:
    # test_demo_live.test_the_demo_command_starts_syncs_and_cleans_up_after_itself runs it.
    assert demo_command() == (sys.executable, ["-m", "mailapp", "--demo"])


def test_the_demo_button_starts_the_demo_program(
    qtbot: QtBot, empty_store: MailStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The command itself is proven above; here a stand-in shows the button starts it, detached.
    marker = tmp_path / "started"
    stand_in = (sys.executable, ["-c", f"open({str(marker)!r}, 'w').write('demo')"])
    monkeypatch.setattr("mailapp.ui.account.welcome.demo_command", lambda: stand_in)
    window = MainWindow(empty_store)
    qtbot.addWidget(window)
    window.show()
    page = window.welcome.page
    assert page is not None
    with qtbot.waitSignal(window.welcome.demoStarted, timeout=5000):
        page.demo_button.click()
    qtbot.waitUntil(marker.exists, timeout=10_000)

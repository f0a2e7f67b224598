"""Edit → Account Settings… shows whether the server fronts an IMAP mailbox for each account,
and how that link is doing, in a user's words; the real server linked to the Dovecot fixture."""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import pytest
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from mailapp.server.config import Settings
from mailapp.server.upstream import secrets
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.links import link
from mailapp.store import open_store
from mailapp.sync.account import add_account
from mailapp.ui.account.account_settings import AccountSettingsDialog
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.window_sync import setup_window_sync
from tests.imap import conftest as imap_fixtures
from tests.imap.conftest import MailUser
from tests.server.conftest import RunningServer, User, run_server

pytestmark = pytest.mark.slow
WAIT_MS = 20_000
# The Dovecot fixture and a user of it, as the IMAP tests have them.
dovecot = imap_fixtures.dovecot
mail_user = imap_fixtures.mail_user


def _wait_for_link_state(server: RunningServer, user: User, state: str) -> None:
    deadline = time.monotonic() + 30
    while user.client.get("/v1/upstream").json()["state"] != state:
        assert time.monotonic() < deadline, "the server never tried the link"
        time.sleep(0.1)


def test_account_settings_show_the_imap_link_and_its_problem(
    qtbot: QtBot, tmp_path: Path, mail_user: MailUser
) -> None:
    data = tmp_path / "data"
    secrets.create_key(data / secrets.KEY_FILE_NAME)
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as server:
        alice, bob = server.new_user("alice"), server.new_user("bob")
        key = secrets.load_key(data / secrets.KEY_FILE_NAME)
        endpoint = Endpoint(mail_user.host, mail_user.port, "none", mail_user.name)
        link(server.engine, key, alice.name, endpoint, "not-the-password")
        _wait_for_link_state(server, alice, "auth_failed")

        store = open_store(tmp_path / "profile" / "mail.sqlite3")
        add_account(store, server.url, alice.name, alice.password)
        add_account(store, server.url, bob.name, bob.password)
        window = MainWindow(store)
        qtbot.addWidget(window)
        window.show()
        with ExitStack() as cleanup:
            cleanup.callback(store.close)
            setup_window_sync(window, store, cleanup)
            action = window.findChild(QAction, "accountSettingsAction")
            assert isinstance(action, QAction)
            action.trigger()
            dialog = window.findChild(AccountSettingsDialog)
            assert dialog is not None and dialog.isVisible()

            # Alice's server fronts her IMAP mailbox, which refuses the stored password.
            assert dialog.email_label.text().startswith("alice-")
            qtbot.waitUntil(
                lambda: "refused the password" in dialog.upstream_state_label.text(),
                timeout=WAIT_MS,
            )
            assert dialog.upstream_label.text() == (
                f"The server keeps this account in sync with {mail_user.name} at 127.0.0.1 (IMAP)."
            )
            assert dialog.upstream_state_label.text().startswith("127.0.0.1 refused the password")
            assert "refused the username or password" in dialog.upstream_error_label.text()
            assert "not-the-password" not in dialog.upstream_error_label.text()
            qtbot.waitUntil(lambda: dialog.sync_label.text() == "Online", timeout=WAIT_MS)

            # Bob's mail lives on the mailapp server only.
            dialog.account_list.setCurrentRow(1)
            assert dialog.email_label.text().startswith("bob-")
            qtbot.waitUntil(
                lambda: dialog.upstream_label.text().startswith("None: this account's mail"),
                timeout=WAIT_MS,
            )
            assert not dialog.upstream_state_label.isVisible()
            dialog.close()
            window.close()

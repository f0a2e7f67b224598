"""Two accounts in one window, on two real servers: each syncs on its own thread, shows its own
state in the status bar and keeps its own sign-in (issue 12: only the first one ever synced)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mailapp.server.auth import revoke_all_tokens
from mailapp.server.config import Settings
from mailapp.server.db import session_scope
from mailapp.store import MailStore, open_store
from mailapp.sync.account import add_account
from mailapp.ui.account.account_setup import AccountSetupDialog
from mailapp.ui.syncing.account_syncs import AccountSyncs
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.window_sync import setup_window_sync
from tests.server.conftest import RunningServer, User, run_server

pytestmark = pytest.mark.slow
WAIT_MS = 20_000


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[RunningServer, RunningServer]]:
    with ExitStack() as stack:
        running = []
        for name in ("work", "home"):
            data = tmp_path / name
            url = f"sqlite:///{data / 'server.sqlite3'}"
            running.append(
                stack.enter_context(run_server(Settings(data_dir=data, database_url=url)))
            )
        yield running[0], running[1]


@dataclass
class Account:
    server: RunningServer
    user: User
    account_id: str
    email: str


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MailStore]:
    mail = open_store(tmp_path / "profile" / "mail.sqlite3")
    yield mail
    mail.close()


def _sign_in(store: MailStore, server: RunningServer, prefix: str) -> Account:
    user = server.new_user(prefix)
    signed = add_account(store, server.url, user.name, user.password)
    return Account(server, user, signed.account_id, signed.email)


def _subjects(window: MainWindow) -> list[str]:
    model = window.message_model
    return [model.summary(row).subject for row in range(model.rowCount())]


def test_mail_for_the_second_account_arrives_in_the_window(
    qtbot: QtBot, servers: tuple[RunningServer, RunningServer], store: MailStore
) -> None:
    work, home = servers
    alice = _sign_in(store, work, "alice")
    bob = _sign_in(store, home, "bob")
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    with ExitStack() as cleanup:
        setup_window_sync(window, store, cleanup)
        syncs = window.findChild(AccountSyncs)
        assert syncs is not None
        qtbot.waitUntil(lambda: syncs.state == "online", timeout=WAIT_MS)
        # One sync thread per account.
        threads = {c._thread for c in syncs.controllers}
        assert len(threads) == 2 and all(t.isRunning() for t in threads)

        home.deliver(bob.user.account_id, subject="For Bob, at home")
        work.deliver(alice.user.account_id, subject="For Alice, at work")
        bob_inbox = store.mailbox_by_role(bob.account_id, "inbox")
        assert bob_inbox is not None
        window.select_mailbox(bob_inbox.id)
        qtbot.waitUntil(lambda: _subjects(window) == ["For Bob, at home"], timeout=WAIT_MS)
        alice_inbox = store.mailbox_by_role(alice.account_id, "inbox")
        assert alice_inbox is not None
        window.select_mailbox(alice_inbox.id)
        qtbot.waitUntil(lambda: _subjects(window) == ["For Alice, at work"], timeout=WAIT_MS)

        # The status bar names each account's state.
        label = window.sync_status.state_label
        qtbot.waitUntil(
            lambda: label.text() == f"{alice.email}: Online · {bob.email}: Online",
            timeout=WAIT_MS,
        )

        # Bob's server revokes his sign-in: only Bob is asked to sign in again, Alice syncs on.
        with session_scope(home.engine) as session:
            revoke_all_tokens(session, bob.user.account_id)
        syncs.controller(bob.account_id).sync_now()  # type: ignore[union-attr]
        qtbot.waitUntil(
            lambda: label.text() == f"{alice.email}: Online · {bob.email}: Sign-in needed",
            timeout=WAIT_MS,
        )
        assert window.sync_status.sign_in_button.isVisible()
        prompts = [w for w in window.findChildren(AccountSetupDialog) if w.isVisible()]
        assert [p.username_edit.text() for p in prompts] == [bob.user.name]
        prompts[0].reject()
        work.deliver(alice.user.account_id, subject="Still arriving")
        qtbot.waitUntil(lambda: "Still arriving" in _subjects(window), timeout=WAIT_MS)
    # Leaving the block stopped both threads, as quitting the app does.
    assert not any(t.isRunning() for t in threads)
    window.close()

"""The whole desktop app against the real server through the fault proxy: what a user does.

Each "desktop" is a main window on its own profile, signed in through the Add Account dialog,
with sync running (SyncController) exactly as the app wires it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mailapp.server.config import Settings
from mailapp.store import MailStore, OutboxState, open_store
from mailapp.store.outbox_admin import outbox_entries
from mailapp.store.replica import sync_account
from mailapp.sync import account
from mailapp.sync.client import ApiClient
from mailapp.sync.credentials import account_key, load_token
from mailapp.ui.account.account_setup import AccountSetupDialog, SignedIn
from mailapp.ui.composer.composer import Composer, open_composer
from mailapp.ui.mailbox.mailbox_tree_model import OUTBOX_ID
from mailapp.ui.mailbox.message_list_model import Column
from mailapp.ui.syncing.sync_worker import SyncController
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.notifications import GROUP_MS, Notification
from mailapp.ui.window.window_sync import start_sync
from tests.server.conftest import RunningServer, User, run_server
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.keyring_backend import FileKeyring

pytestmark = pytest.mark.slow
WAIT_MS = 25_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("e2e-server")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as running:
        yield running


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy(int(server.url.rsplit(":", 1)[1])) as running:
        yield running


def impatient_requests(monkeypatch: pytest.MonkeyPatch, seconds: float = 2.0) -> None:
    """Desktops made after this give up on a request after `seconds` (the real ones wait
    minutes), so a slow answer can time out within a test."""
    # Where the sync thread's default_client looks it up, at each call.
    real_client_for = account.client_for

    def impatient(store: MailStore, account_id: str, **kwargs: Any) -> ApiClient:
        client = real_client_for(store, account_id, **kwargs)
        client.total_timeout = client.transfer_timeout = seconds
        return client

    monkeypatch.setattr(account, "client_for", impatient)


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path) -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring(tmp_path / "keyring.json"))
    yield
    keyring.set_keyring(previous)


@dataclass
class Desktop:
    window: MainWindow
    store: MailStore
    account_id: str
    email: str
    controller: SyncController

    def mailbox(self, role: str) -> str:
        row = self.store.mailbox_by_role(self.account_id, role)
        assert row is not None
        return row.id

    def subjects(self, role: str) -> list[str]:
        return [m.subject for m in self.store.page(self.mailbox(role), limit=10_000)]

    def controller_url(self) -> str:
        return sync_account(self.store, self.account_id).server_url

    def wait_for_inbox(self, qtbot: QtBot, subjects: list[str]) -> None:
        qtbot.waitUntil(lambda: self.subjects("inbox") == subjects, timeout=WAIT_MS)

    def wait_online(self, qtbot: QtBot) -> None:
        qtbot.waitUntil(lambda: self.controller.state == "online", timeout=WAIT_MS)

    def wait_synced(self, qtbot: QtBot) -> None:
        """Nothing left to send, and a cycle finished after this call."""
        synced: list[object] = []
        self.controller.lastSyncChanged.connect(synced.append)
        self.controller.sync_now()
        qtbot.waitUntil(
            lambda: (
                bool(synced)
                and not [m for m in self.store.pending_mutations() if m.state != "applied"]
            ),
            timeout=WAIT_MS,
        )


DesktopFactory = Callable[[User], Desktop]


@pytest.fixture
def desktop(qtbot: QtBot, tmp_path: Path, proxy: FaultProxy) -> Iterator[DesktopFactory]:
    made: list[Desktop] = []

    def make(user: User) -> Desktop:
        store = open_store(tmp_path / f"profile{len(made)}" / "mail.sqlite3")
        window = MainWindow(store)
        qtbot.addWidget(window)
        window.show()
        dialog = AccountSetupDialog(store, window)
        dialog.server_edit.setText(proxy.url)
        dialog.username_edit.setText(user.name)
        dialog.password_edit.setText(user.password)
        with qtbot.waitSignal(dialog.signedIn, timeout=WAIT_MS) as signal:
            dialog.sign_in_button.click()
        signed_in: SignedIn = signal.args[0]
        controller = start_sync(window, store, signed_in.account_id)
        made.append(Desktop(window, store, signed_in.account_id, signed_in.email, controller))
        made[-1].wait_online(qtbot)
        return made[-1]

    yield make
    for item in made:
        assert item.controller.shutdown(timeout_s=3.0)
        item.window.close()
        item.store.close()


def _compose(desktop: Desktop, to: str, subject: str, *, undo_seconds: float) -> Composer:
    composer = open_composer(
        desktop.store, desktop.account_id, parent=desktop.window, undo_seconds=undo_seconds
    )
    composer.to_field.setText(to)
    composer.subject_field.setText(subject)
    composer.body.setPlainText("Written on the train.")
    return composer


def test_mail_written_offline_is_delivered_exactly_once_after_reconnecting(
    qtbot: QtBot, server: RunningServer, proxy: FaultProxy, desktop: DesktopFactory
) -> None:
    me, friend = desktop(server.new_user("sender")), desktop(server.new_user("friend"))
    proxy.set_fault(Fault.REFUSE)
    qtbot.waitUntil(lambda: me.controller.state in ("offline", "retrying"), timeout=WAIT_MS)

    assert _compose(me, friend.email, "Offline hello", undo_seconds=0).send() is not None
    me.window.select_mailbox(OUTBOX_ID)
    assert me.window.outbox_view is not None and me.window.outbox_view.isVisible()
    outbox = me.window.outbox_view.model  # type: ignore[attr-defined]

    def waiting_sends() -> list[str]:
        return [
            e.description
            for e in outbox.entries
            if e.description.startswith("Send") and e.state != OutboxState.APPLIED
        ]

    qtbot.waitUntil(lambda: len(waiting_sends()) == 1, timeout=WAIT_MS)
    assert "“Offline hello”" in waiting_sends()[0]
    qtbot.wait(1500)  # a few refused attempts; nothing may be lost or doubled by them
    assert friend.subjects("inbox") == []

    proxy.clear()
    qtbot.waitUntil(lambda: "Offline hello" in friend.subjects("inbox"), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: "Offline hello" in me.subjects("sent"), timeout=WAIT_MS)
    me.wait_synced(qtbot)
    friend.wait_synced(qtbot)
    assert friend.subjects("inbox").count("Offline hello") == 1
    assert me.subjects("sent").count("Offline hello") == 1
    qtbot.waitUntil(lambda: waiting_sends() == [], timeout=WAIT_MS)


# Reopening the message raises its composer; the offscreen platform cannot, and says so.
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_undo_within_the_delay_means_nothing_is_delivered(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    me, friend = desktop(server.new_user("sender")), desktop(server.new_user("friend"))
    undo_seconds = 2.0
    composer = _compose(me, friend.email, "Oops, not yet", undo_seconds=undo_seconds)
    sent_at = time.monotonic()
    assert composer.send() is not None
    notice = composer.undo_notice
    assert notice is not None and notice.isVisible()
    qtbot.wait(1200)  # long enough for the held submission to reach the server
    notice.undo_button.click()
    assert time.monotonic() - sent_at < undo_seconds

    # The message is back in Drafts, in a composer, for the user to finish.
    assert isinstance(notice.reopened, Composer)
    assert notice.reopened.subject_field.text() == "Oops, not yet"
    notice.reopened.close()
    # Past the moment it would have gone out (delay + the composer's 5 s margin), and synced.
    qtbot.wait(int((undo_seconds + 6 - (time.monotonic() - sent_at)) * 1000))
    me.wait_synced(qtbot)
    friend.wait_synced(qtbot)
    assert "Oops, not yet" not in friend.subjects("inbox")
    assert "Oops, not yet" not in me.subjects("sent")
    assert "Oops, not yet" in [d.subject for d in me.store.drafts(me.account_id)]
    assert [e for e in outbox_entries(me.store) if e.state != OutboxState.APPLIED] == []


def test_mail_read_offline_stays_read_when_the_server_changes_it_meanwhile(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    user = server.new_user("reader")
    server.deliver(user.account_id, subject="Read me offline")
    laptop, phone = desktop(user), desktop(user)
    for device in (laptop, phone):
        device.wait_for_inbox(qtbot, ["Read me offline"])
    read_states: list[bool] = []

    def watch(_changes: object) -> None:
        (summary,) = laptop.store.page(laptop.mailbox("inbox"))
        read_states.append(summary.is_read)

    laptop.window.work_offline_action.trigger()  # File → Work Offline
    qtbot.waitUntil(lambda: laptop.controller.state == "working_offline", timeout=WAIT_MS)
    laptop.window.select_mailbox(laptop.mailbox("inbox"))
    laptop.window.select_message_row(0)
    laptop.window.mail_actions.mark_read.trigger()
    laptop.controller.changesApplied.connect(watch)

    # Meanwhile the other device flags it: the server's record moves on, still unread.
    (on_phone,) = phone.store.page(phone.mailbox("inbox"))
    phone.store.set_flagged([on_phone.id])
    phone.wait_synced(qtbot)

    laptop.window.work_offline_action.trigger()  # back online: push, then pull the server
    laptop.wait_online(qtbot)
    laptop.wait_synced(qtbot)
    (summary,) = laptop.store.page(laptop.mailbox("inbox"))
    assert summary.is_read and summary.is_flagged  # the server's flag, and still read
    assert read_states and all(read_states)  # never shown unread on the way
    # What the window shows: the row is not bold.
    model = laptop.window.message_model
    qtbot.waitUntil(lambda: model.summary(0).is_read, timeout=WAIT_MS)
    assert model.data(model.index(0, Column.SUBJECT), Qt.ItemDataRole.FontRole) is None
    qtbot.waitUntil(lambda: phone.store.page(phone.mailbox("inbox"))[0].is_read, timeout=WAIT_MS)


def test_a_revoked_sign_in_asks_for_the_password_and_then_syncs_again(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    user = server.new_user("revoked")
    me = desktop(user)
    token = load_token(account_key(me.controller_url(), user.name))
    assert token
    assert server.client(token).delete("/v1/session").status_code == 204  # signed out elsewhere

    me.controller.sync_now()

    def asking() -> list[AccountSetupDialog]:
        return [d for d in me.window.findChildren(AccountSetupDialog) if d.isVisible()]

    qtbot.waitUntil(lambda: len(asking()) == 1, timeout=WAIT_MS)
    (dialog,) = asking()
    assert dialog.windowTitle() == "Sign In Again"
    assert dialog.username_edit.text() == user.name and dialog.username_edit.isReadOnly()
    assert dialog.server_edit.isReadOnly()
    dialog.password_edit.setText(user.password)
    dialog.sign_in_button.click()

    server.deliver(user.account_id, subject="After signing in again")
    qtbot.waitUntil(lambda: me.controller.state == "online", timeout=WAIT_MS)
    me.controller.sync_now()
    me.wait_for_inbox(qtbot, ["After signing in again"])
    assert len(me.store.accounts()) == 1  # the same account, not a second one
    new_token = load_token(account_key(me.controller_url(), user.name))
    assert new_token and new_token != token


def test_new_mail_is_announced_but_not_the_first_sync_of_a_new_account(
    qtbot: QtBot, tmp_path: Path, server: RunningServer, proxy: FaultProxy
) -> None:
    user = server.new_user("reader")
    for n in range(3):
        server.deliver(user.account_id, subject=f"Before {n}")
    store = open_store(tmp_path / "reader" / "mail.sqlite3")
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    shown: list[Notification] = []
    assert window.new_mail is not None
    window.new_mail.newMail.connect(shown.append)  # before the account's first sync
    dialog = AccountSetupDialog(store, window)
    dialog.server_edit.setText(proxy.url)
    dialog.username_edit.setText(user.name)
    dialog.password_edit.setText(user.password)
    with qtbot.waitSignal(dialog.signedIn, timeout=WAIT_MS) as signal:
        dialog.sign_in_button.click()
    signed_in: SignedIn = signal.args[0]
    me = Desktop(
        window,
        store,
        signed_in.account_id,
        signed_in.email,
        start_sync(window, store, signed_in.account_id),
    )
    try:
        me.wait_for_inbox(qtbot, ["Before 2", "Before 1", "Before 0"])
        me.wait_synced(qtbot)
        qtbot.wait(GROUP_MS * 2)
        assert shown == []  # a whole mailbox arriving is not news

        server.deliver(user.account_id, subject="Fresh news")
        qtbot.waitUntil(lambda: len(shown) == 1, timeout=WAIT_MS)
        assert (shown[0].title, shown[0].body) == ("New mail from Sender", "Fresh news")
    finally:
        assert me.controller.shutdown(timeout_s=3.0)
        window.close()
        store.close()

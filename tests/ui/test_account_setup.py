"""The Add Account dialog against the real server on loopback: success and each failure."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from mailapp.server.config import Settings
from mailapp.store import MailStore, open_store
from mailapp.store.replica import synced_accounts
from mailapp.store.settings import AppSettings, save_settings
from mailapp.sync import credentials
from mailapp.ui.account.account_setup import AccountSetupDialog, SignedIn
from mailapp.ui.common.menus import menu_titled
from mailapp.ui.syncing.sync_worker import SyncController
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.window_sync import setup_window_sync
from tests.server.conftest import RunningServer, User, run_server
from tests.sync.keyring_backend import FileKeyring

SIGN_IN_TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("account-setup-server")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as running:
        yield running


@pytest.fixture
def user(server: RunningServer) -> User:
    return server.new_user("setup")


@pytest.fixture
def profile_store(tmp_path: Path) -> Iterator[MailStore]:
    store = open_store(tmp_path / "profile" / "mail.sqlite3")
    yield store
    store.close()


def _use_keyring(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def file_keyring(tmp_path: Path) -> Iterator[KeyringBackend]:
    yield from _use_keyring(FileKeyring(tmp_path / "keyring.json"))


@pytest.fixture
def no_keyring() -> Iterator[KeyringBackend]:
    yield from _use_keyring(fail.Keyring())


def _dialog(
    qtbot: QtBot, store: MailStore, server: str, name: str, password: str
) -> AccountSetupDialog:
    dialog = AccountSetupDialog(store)
    qtbot.addWidget(dialog)
    dialog.server_edit.setText(server)
    dialog.username_edit.setText(name)
    dialog.password_edit.setText(password)
    dialog.show()
    return dialog


def _sign_in_and_wait(qtbot: QtBot, dialog: AccountSetupDialog) -> None:
    dialog.sign_in_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=SIGN_IN_TIMEOUT_MS)


def test_sign_in_creates_the_account_and_keeps_the_token_in_the_keyring(
    qtbot: QtBot,
    server: RunningServer,
    user: User,
    profile_store: MailStore,
    file_keyring: FileKeyring,
) -> None:
    save_settings(profile_store, AppSettings(prefetch_days=7))
    dialog = _dialog(qtbot, profile_store, server.url, user.name, user.password)
    with qtbot.waitSignal(dialog.signedIn, timeout=SIGN_IN_TIMEOUT_MS) as signal:
        dialog.sign_in_button.click()
    signed_in: SignedIn = signal.args[0]
    qtbot.waitUntil(lambda: not dialog.busy)

    assert dialog.result() == AccountSetupDialog.DialogCode.Accepted
    assert signed_in.token_saved
    (account,) = synced_accounts(profile_store)
    assert account.account_id == signed_in.account_id
    assert account.username == user.name
    assert account.prefetch_days == 7  # the profile's setting, not the engine's default
    roles = {m.role for m in profile_store.mailboxes(account.account_id)}
    assert {"inbox", "sent", "drafts", "trash"} <= roles
    key = credentials.account_key(server.url, user.name)
    assert file_keyring.get_password(credentials.SERVICE, key) == signed_in.token
    assert dialog.password_edit.text() == ""


def test_a_wrong_password_says_so_and_creates_nothing(
    qtbot: QtBot, server: RunningServer, user: User, profile_store: MailStore
) -> None:
    dialog = _dialog(qtbot, profile_store, server.url, user.name, "not-the-password")
    _sign_in_and_wait(qtbot, dialog)

    assert dialog.message == "The user name or password is wrong."
    assert dialog.message_label.property("error") is True
    assert not dialog.continue_button.isVisible()
    assert dialog.isVisible()
    assert synced_accounts(profile_store) == []
    assert dialog.sign_in_button.isEnabled()  # the user can correct it and try again


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_says_so(qtbot: QtBot, profile_store: MailStore) -> None:
    port = _closed_port()
    dialog = _dialog(qtbot, profile_store, f"http://127.0.0.1:{port}", "alice", "secret")
    _sign_in_and_wait(qtbot, dialog)

    assert dialog.message.startswith(f"Cannot reach the server at 127.0.0.1:{port}.")
    assert synced_accounts(profile_store) == []


class _Quiet(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_error(404)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def untrusted_https(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on loopback whose self-signed certificate nobody trusts."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_an_unverifiable_certificate_says_so(
    qtbot: QtBot, untrusted_https: str, profile_store: MailStore
) -> None:
    dialog = _dialog(qtbot, profile_store, untrusted_https, "alice", "secret")
    _sign_in_and_wait(qtbot, dialog)

    assert "certificate" in dialog.message
    assert "could not be verified" in dialog.message
    assert synced_accounts(profile_store) == []


def test_plain_http_to_another_machine_is_refused_before_connecting(
    qtbot: QtBot, profile_store: MailStore
) -> None:
    # 192.0.2.0/24 is reserved for documentation: a connection attempt would hang, not fail.
    dialog = _dialog(qtbot, profile_store, "http://192.0.2.10:8080", "alice", "secret")
    started = time.monotonic()
    dialog.sign_in_button.click()

    assert not dialog.busy  # no sign-in thread, so no connection was even attempted
    assert time.monotonic() - started < 1.0
    assert "plain http" in dialog.message
    assert "https://" in dialog.message
    assert synced_accounts(profile_store) == []


def test_a_bare_host_name_means_https(qtbot: QtBot, profile_store: MailStore) -> None:
    port = _closed_port()
    dialog = _dialog(qtbot, profile_store, f"localhost:{port}", "alice", "secret")
    _sign_in_and_wait(qtbot, dialog)

    assert dialog.message.startswith(f"Cannot reach the server at localhost:{port}.")


def test_without_a_keyring_it_warns_and_keeps_the_sign_in_for_this_session(
    qtbot: QtBot,
    server: RunningServer,
    user: User,
    profile_store: MailStore,
    no_keyring: KeyringBackend,
) -> None:
    dialog = _dialog(qtbot, profile_store, server.url, user.name, user.password)
    _sign_in_and_wait(qtbot, dialog)

    assert dialog.result_account is not None
    assert not dialog.result_account.token_saved
    assert "No system keyring" in dialog.message
    assert dialog.continue_button.isVisible()
    assert dialog.isVisible()  # the user reads the warning before going on
    key = credentials.account_key(server.url, user.name)
    assert credentials.load_token(key) == dialog.result_account.token
    dialog.continue_button.click()
    assert dialog.result() == AccountSetupDialog.DialogCode.Accepted
    credentials.forget_token(key)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and reads requests but never answers (a hung server)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in held:
            connection.close()
        listener.close()


def test_cancel_stops_a_hanging_sign_in_and_the_dialog_stays_responsive(
    qtbot: QtBot, silent_server: str, profile_store: MailStore
) -> None:
    dialog = _dialog(qtbot, profile_store, silent_server, "alice", "secret")
    ticks: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(20)
    heartbeat.timeout.connect(lambda: ticks.append(time.monotonic()))
    heartbeat.start()
    dialog.sign_in_button.click()
    assert dialog.busy
    assert dialog.busy_bar.isVisible()
    assert not dialog.password_edit.isEnabled()
    qtbot.wait(500)
    assert dialog.busy  # the server never answers
    assert len(ticks) >= 10  # the event loop ran all along

    started = time.monotonic()
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not dialog.busy, timeout=3000)
    heartbeat.stop()

    assert time.monotonic() - started < 2.0  # not the 20 s read timeout
    assert dialog.message == "Sign-in cancelled."
    assert dialog.isVisible()
    assert dialog.sign_in_button.isEnabled()
    assert synced_accounts(profile_store) == []
    dialog.cancel_button.click()  # idle now: Cancel closes the dialog
    assert dialog.result() == AccountSetupDialog.DialogCode.Rejected


def test_a_changed_prefetch_window_reaches_signed_in_accounts(
    qtbot: QtBot,
    server: RunningServer,
    user: User,
    profile_store: MailStore,
    file_keyring: FileKeyring,
) -> None:
    dialog = _dialog(qtbot, profile_store, server.url, user.name, user.password)
    _sign_in_and_wait(qtbot, dialog)
    assert synced_accounts(profile_store)[0].prefetch_days == 30

    save_settings(profile_store, AppSettings(prefetch_days=3))

    assert [a.prefetch_days for a in synced_accounts(profile_store)] == [3]


def test_file_menu_add_account_signs_in_and_starts_sync_in_the_window(
    qtbot: QtBot,
    server: RunningServer,
    user: User,
    profile_store: MailStore,
    file_keyring: FileKeyring,
) -> None:
    window = MainWindow(profile_store)
    qtbot.addWidget(window)
    with ExitStack() as cleanup:
        setup_window_sync(window, profile_store, cleanup)
        assert window.findChild(SyncController) is None  # nothing signed in yet
        assert not window.sync_now_action.isEnabled()
        action = window.findChild(QAction, "addAccountAction")
        assert isinstance(action, QAction)
        file_menu = menu_titled(window, "File")
        assert file_menu is not None and action in file_menu.actions()
        action.trigger()
        dialog = window.findChild(AccountSetupDialog)
        assert dialog is not None and dialog.isVisible()
        dialog.server_edit.setText(server.url)
        dialog.username_edit.setText(user.name)
        dialog.password_edit.setText(user.password)
        dialog.sign_in_button.click()
        qtbot.waitUntil(lambda: window.findChild(SyncController) is not None, timeout=20_000)
        controller = window.findChild(SyncController)
        assert controller is not None
        qtbot.waitUntil(lambda: controller.state == "online", timeout=20_000)
        assert window.sync_now_action.isEnabled()
        # The sign-in created the mailboxes the window now lists.
        assert window.mailbox_model.first_mailbox_with_role("inbox") is not None
    # Leaving the block ran the controller's shutdown, as quitting the app does.
    assert not controller._thread.isRunning()
    window.close()


def test_a_signed_in_profile_starts_syncing_once_the_window_has_painted(
    qtbot: QtBot,
    server: RunningServer,
    user: User,
    profile_store: MailStore,
    file_keyring: FileKeyring,
) -> None:
    from mailapp.cli import GuiOptions
    from mailapp.ui.app import _open_windows

    dialog = _dialog(qtbot, profile_store, server.url, user.name, user.password)
    _sign_in_and_wait(qtbot, dialog)
    server.deliver(user.account_id, subject="Waiting for you")
    options = GuiOptions(profile_store.path.parent, False, None, False, False)
    with ExitStack() as cleanup:
        (window,) = _open_windows(options, profile_store, cleanup)
        qtbot.addWidget(window)
        assert window.findChild(SyncController) is None  # nothing before the first paint
        window.show()
        qtbot.waitUntil(lambda: window.findChild(SyncController) is not None, timeout=10_000)
        qtbot.waitUntil(lambda: window.message_model.rowCount() == 1, timeout=20_000)
        assert window.message_model.summary(0).subject == "Waiting for you"
        window.close()

"""Signing this profile in to a sync server: the dialog (sync behind a window: window_sync).

The login runs on a QThread (the UI thread never touches the network); the dialog shows a busy
bar and stays responsive, and Cancel cuts the connection at once (AbortableSession). The password
lives only in the line edit and the request; the token goes to the keyring, or, when there is
none, to memory for this session (with a warning).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailapp.store import MailStore
from mailapp.store.replica import create_synced_account
from mailapp.store.settings import apply_prefetch_window, load_settings
from mailapp.sync.credentials import account_key, store_token
from mailapp.sync.errors import (
    AuthError,
    OfflineError,
    ProtocolError,
    SyncError,
    TlsError,
    TransientError,
)
from mailapp.sync.urls import check_url
from mailapp.ui.common import theme

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 20.0


@dataclass(frozen=True)
class SignedIn:
    account_id: str
    email: str
    token: str
    token_saved: bool  # False: no usable keyring; the sign-in lasts until mailapp quits


def normalise_server(text: str) -> str:
    """What the user typed, as a URL: a bare host name means https."""
    text = text.strip()
    if text and "://" not in text:
        text = f"https://{text}"
    return text


class _Cancelled(Exception):
    pass


class SignInWorker(QObject):
    """Runs on the sign-in thread: login, the server's mailboxes, the local account, the token."""

    succeeded = Signal(object)  # SignedIn
    failed = Signal(str)  # user-facing text
    done = Signal()

    def __init__(
        self,
        store: MailStore,
        server_url: str,
        username: str,
        password: str,
        *,
        account_id: str | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._account_id = account_id  # signing an existing account in again
        self._server_url = server_url
        self._username = username
        self._password = password
        # Created here so the UI thread can abort() it; used only on the worker thread.
        # requests is imported here, not with the module: the window imports this dialog at
        # start (File → Add Account), and without an account it needs no HTTP stack (~5 MB).
        from mailapp.sync.abortable import AbortableSession

        self.session = AbortableSession()

    def cancel(self) -> None:
        self.session.abort()

    @Slot()
    def run(self) -> None:
        try:
            self.succeeded.emit(self._sign_in())
        except _Cancelled:
            pass
        except SyncError as exc:
            if not self.session.aborted:
                self.failed.emit(describe_error(exc, self._server_url))
        except ValueError as exc:  # the account is already in this profile
            self.failed.emit(str(exc))
        except Exception as exc:  # a bug: keep the traceback in the log, a sentence on screen
            log.exception("sign-in failed")
            self.failed.emit(f"Sign-in failed unexpectedly ({type(exc).__name__}).")
        finally:
            self._password = ""
            self.session.close()
            self.done.emit()

    def _sign_in(self) -> SignedIn:
        from mailapp.sync.client import ApiClient  # see __init__

        with ApiClient(
            self._server_url,
            connect_timeout=CONNECT_TIMEOUT,
            read_timeout=READ_TIMEOUT,
            session=self.session,
        ) as client:
            login = client.login(self._username, self._password)
            if self._account_id is not None:
                saved = store_token(account_key(client.base_url, self._username), login.token)
                return SignedIn(self._account_id, login.email, login.token, saved)
            mailbox_list = client.mailboxes()
            if self.session.aborted:
                raise _Cancelled
            account_id = create_synced_account(
                self._store,
                session=login,
                server_url=client.base_url,
                username=self._username,
                mailbox_records=mailbox_list.items,
            )
        apply_prefetch_window(self._store, load_settings(self._store))
        saved = store_token(account_key(client.base_url, self._username), login.token)
        return SignedIn(account_id, login.email, login.token, saved)


def describe_error(error: SyncError, server_url: str) -> str:
    host = urlsplit(server_url).netloc or server_url
    if isinstance(error, AuthError):
        return "The user name or password is wrong."
    if isinstance(error, TlsError):
        return (
            f"The certificate of {host} could not be verified, so mailapp did not send your "
            "password. Check the address, or ask the server's administrator."
        )
    if isinstance(error, OfflineError):
        return (
            f"Cannot reach the server at {host}. Check the address and your network "
            "connection, then try again."
        )
    if isinstance(error, TransientError):
        return f"The server at {host} is busy or failing right now; try again in a moment."
    if isinstance(error, ProtocolError):
        return f"{host} does not answer like a mailapp sync server. Check the address."
    return error.user_message


class AccountSetupDialog(QDialog):
    """Server, user name, password → a signed-in account; `signedIn` carries the result."""

    signedIn = Signal(object)  # SignedIn

    def __init__(
        self,
        store: MailStore,
        parent: QWidget | None = None,
        *,
        server: str = "",
        username: str = "",
        account_id: str | None = None,
    ) -> None:
        """With `account_id`: sign that account in again (its server and name are fixed)."""
        super().__init__(parent)
        self._account_id = account_id
        self.setWindowTitle(self.tr("Sign In Again") if account_id else self.tr("Add Account"))
        self.setMinimumWidth(440)
        self._store = store
        self._thread: QThread | None = None
        self._worker: SignInWorker | None = None
        self.result_account: SignedIn | None = None

        intro = QLabel(
            self.tr("The server asks you to sign in again; your mail here is kept.")
            if account_id
            else self.tr("Sign in to your mail server to keep this computer in sync.")
        )
        intro.setWordWrap(True)
        self.server_edit = QLineEdit(server)
        self.server_edit.setPlaceholderText("https://mail.example.org")
        self.server_edit.setAccessibleName(self.tr("Server address"))
        self.username_edit = QLineEdit(username)
        self.username_edit.setAccessibleName(self.tr("User name"))
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Password"))
        form = QFormLayout()
        form.addRow(self.tr("&Server:"), self.server_edit)
        form.addRow(self.tr("&User name:"), self.username_edit)
        form.addRow(self.tr("&Password:"), self.password_edit)

        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)  # indeterminate: a login has no measurable progress
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setAccessibleName(self.tr("Signing in"))
        self.busy_bar.hide()
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("Sign-in status"))
        self.message_label.hide()

        self.buttons = QDialogButtonBox()
        self.sign_in_button = QPushButton(self.tr("Sign In"))
        self.sign_in_button.setDefault(True)
        self.continue_button = QPushButton(self.tr("Continue"))
        self.cancel_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.buttons.addButton(self.continue_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.continue_button.hide()  # after addButton(), which shows it; only after sign-in
        self.sign_in_button.clicked.connect(self.sign_in)
        self.continue_button.clicked.connect(self.accept)
        self.cancel_button.clicked.connect(self._cancel_clicked)
        for edit in (self.server_edit, self.username_edit, self.password_edit):
            edit.textChanged.connect(self._update_buttons)
            edit.returnPressed.connect(self.sign_in)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.busy_bar)
        layout.addWidget(self.message_label)
        layout.addWidget(self.buttons)
        self._update_buttons()

    # -- state --------------------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self._thread is not None

    @property
    def message(self) -> str:
        return self.message_label.text() if self.message_label.isVisible() else ""

    def _update_buttons(self) -> None:
        complete = all(
            edit.text().strip() for edit in (self.server_edit, self.username_edit)
        ) and bool(self.password_edit.text())
        self.sign_in_button.setEnabled(complete and not self.busy)
        for edit in (self.server_edit, self.username_edit, self.password_edit):
            edit.setEnabled(not self.busy and self.result_account is None)
        for edit in (self.server_edit, self.username_edit):
            edit.setReadOnly(self._account_id is not None)

    def _show_message(self, text: str, *, error: bool) -> None:
        self.message_label.setText(text)
        self.message_label.setProperty("error", error)
        # The composer's error look, from the current palette (readable in light and dark).
        self.message_label.setStyleSheet(theme.notice_style("QLabel", theme.ERROR) if error else "")
        self.message_label.show()

    # -- actions ------------------------------------------------------------------------------

    @Slot()
    def sign_in(self) -> None:
        if self.busy or not self.sign_in_button.isEnabled():
            return
        server = normalise_server(self.server_edit.text())
        try:
            # Before any connection: plain http to another machine would expose the password.
            server = check_url(server)
        except SyncError as exc:
            self._show_message(describe_error(exc, server), error=True)
            return
        self._show_message(self.tr("Signing in…"), error=False)
        self.busy_bar.show()
        worker = SignInWorker(
            self._store,
            server,
            self.username_edit.text().strip(),
            self.password_edit.text(),
            account_id=self._account_id,
        )
        thread = QThread(self)
        thread.setObjectName("mailapp-sign-in")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.succeeded.connect(self._succeeded)
        worker.failed.connect(self._failed)
        # Direct: quit() is thread-safe, and wait_idle() blocks the UI thread's event loop.
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._thread_finished)
        self._worker, self._thread = worker, thread
        self._update_buttons()
        thread.start()

    @Slot()
    def _cancel_clicked(self) -> None:
        if self.busy:
            self.cancel_sign_in()
            self._show_message(self.tr("Sign-in cancelled."), error=False)
        else:
            self.reject()

    def cancel_sign_in(self) -> None:
        """Cut the sign-in in progress; its late result, if any, is ignored."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker.succeeded.disconnect(self._succeeded)
            self._worker.failed.disconnect(self._failed)
        self.busy_bar.hide()

    @Slot(object)
    def _succeeded(self, signed_in: SignedIn) -> None:
        self.result_account = signed_in
        self.password_edit.clear()
        self.busy_bar.hide()
        self.signedIn.emit(signed_in)
        if signed_in.token_saved:
            self.accept()
            return
        self._show_message(
            self.tr(
                "Signed in as {email}. No system keyring is available, so mailapp keeps the "
                "sign-in only until you quit; you will be asked for the password next time."
            ).format(email=signed_in.email),
            error=False,
        )
        self.sign_in_button.hide()
        self.cancel_button.hide()
        self.continue_button.show()
        self.continue_button.setDefault(True)

    @Slot(str)
    def _failed(self, text: str) -> None:
        self.busy_bar.hide()
        self._show_message(text, error=True)
        self.password_edit.setFocus()

    @Slot()
    def _thread_finished(self) -> None:
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self._update_buttons()

    def wait_idle(self, timeout_ms: int = 10_000) -> bool:
        """Join the sign-in thread (closing the dialog, tests); True when none is left."""
        thread = self._thread
        if thread is None:
            return True
        ended = thread.wait(timeout_ms)
        QApplication.processEvents()
        return bool(ended)

    def done(self, result: int) -> None:  # accept(), reject() and closing the window
        if self.busy:
            self.cancel_sign_in()
            self.wait_idle(int((CONNECT_TIMEOUT + 1) * 1000))
        super().done(result)

"""Edit → Account Settings…: each signed-in account, its sync, and the mailbox its server fronts.

A mailapp server can front a mailbox the user already had (IMAP, `mailapp-server link-imap`):
this dialog says whether it does for each account, how that link is doing, when it last
synced and what went wrong last, in words a user can act on. It never asks the network itself:
the account's sync thread reads `GET /v1/upstream` (after a good cycle, and at once when this
dialog opens) and reports it through AccountSyncs.upstreamChanged.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QDateTime, QLocale, Qt, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QVBoxLayout,
    QWidget,
)

from mailapp.store import MailStore
from mailapp.store.replica import synced_accounts
from mailapp.ui.account.identity_settings import IdentityEditor
from mailapp.ui.common.menus import menu_titled

if TYPE_CHECKING:
    from mailapp.ui.syncing.account_syncs import AccountSyncs
    from mailapp.wire import UpstreamLink

ACCOUNT_ID_ROLE = Qt.ItemDataRole.UserRole


def when_text(moment: datetime) -> str:
    """A moment in the user's time zone and locale."""
    local = QDateTime(moment.astimezone())
    return QLocale().toString(local, QLocale.FormatType.ShortFormat)


class AccountSettingsDialog(QDialog):
    def __init__(
        self, store: MailStore, syncs: AccountSyncs | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Account Settings"))
        self.setMinimumSize(640, 320)
        self._syncs = syncs
        self._accounts = {a.account_id: a for a in synced_accounts(store)}

        self.account_list = QListWidget()
        self.account_list.setAccessibleName(self.tr("Accounts"))
        self.account_list.setMaximumWidth(240)
        for account in self._accounts.values():
            item = QListWidgetItem(account.email)
            item.setData(ACCOUNT_ID_ROLE, account.account_id)
            self.account_list.addItem(item)

        self.email_label = QLabel()
        self.server_label = QLabel()
        self.username_label = QLabel()
        self.sync_label = QLabel()
        self.upstream_label = QLabel()  # whether the server fronts an IMAP mailbox, and where
        self.upstream_state_label = QLabel()  # how that link is doing, in the user's words
        self.upstream_synced_label = QLabel()
        self.upstream_error_label = QLabel()
        for label in (
            self.email_label,
            self.server_label,
            self.username_label,
            self.sync_label,
            self.upstream_label,
            self.upstream_state_label,
            self.upstream_synced_label,
            self.upstream_error_label,
        ):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.form = QFormLayout()
        self.form.addRow(self.tr("Address:"), self.email_label)
        self.form.addRow(self.tr("Server:"), self.server_label)
        self.form.addRow(self.tr("User name:"), self.username_label)
        self.form.addRow(self.tr("Sync:"), self.sync_label)
        self.form.addRow(self.tr("Existing mailbox:"), self.upstream_label)
        self.form.addRow(self.tr("Its state:"), self.upstream_state_label)
        self.form.addRow(self.tr("Last synced:"), self.upstream_synced_label)
        self.form.addRow(self.tr("Last problem:"), self.upstream_error_label)
        self.identities = IdentityEditor(store)
        self.form.addRow(self.identities)
        details = QWidget()
        details.setLayout(self.form)
        if not self._accounts:
            self.email_label.setText(self.tr("No account is signed in yet: File → Add Account…"))
        self.identities.setVisible(bool(self._accounts))

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        columns = QHBoxLayout()
        columns.addWidget(self.account_list)
        columns.addWidget(details, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(columns)
        layout.addWidget(buttons)

        self.account_list.currentItemChanged.connect(self._show_current)
        if syncs is not None:
            syncs.upstreamChanged.connect(self._upstream_changed)
            syncs.accountsChanged.connect(self._show_current)
            syncs.refresh_upstream()  # the sync threads ask the server now
        if self.account_list.count():
            self.account_list.setCurrentRow(0)

    @property
    def account_id(self) -> str | None:
        item = self.account_list.currentItem()
        return None if item is None else str(item.data(ACCOUNT_ID_ROLE))

    @Slot(str, object)
    def _upstream_changed(self, account_id: str, _link: object) -> None:
        if account_id == self.account_id:
            self._show_current()

    def _show_current(self, *_args: object) -> None:
        account = self._accounts.get(self.account_id or "")
        if account is None:
            return
        self.email_label.setText(account.email)
        self.server_label.setText(account.server_url)
        self.username_label.setText(account.username)
        self.sync_label.setText(self._sync_text(account.account_id))
        self.identities.set_account(account.account_id)
        known, link = (
            (False, None) if self._syncs is None else self._syncs.upstream(account.account_id)
        )
        self._show_upstream(known, link)  # type: ignore[arg-type]

    def _sync_text(self, account_id: str) -> str:
        if self._syncs is None:
            return self.tr("Not syncing")
        for entry in self._syncs.account_states():
            if entry.account_id == account_id:
                return self._syncs_state_text(entry.state)
        return self.tr("Not syncing")

    def _syncs_state_text(self, state: str | None) -> str:
        texts = {
            None: self.tr("Starting…"),
            "online": self.tr("Online"),
            "offline": self.tr("Offline: the server cannot be reached"),
            "working_offline": self.tr("Working offline"),
            "syncing": self.tr("Syncing…"),
            "retrying": self.tr("Retrying soon"),
            "auth_required": self.tr("Sign-in needed"),
            "error": self.tr("Sync failed"),
        }
        return texts.get(state, state or "")

    def _show_upstream(self, known: bool, link: UpstreamLink | None) -> None:
        details = (
            self.upstream_state_label,
            self.upstream_synced_label,
            self.upstream_error_label,
        )
        linked = known and link is not None and link.linked
        for label in details:
            self.form.setRowVisible(label, linked)
        if not known:
            self.upstream_label.setText(
                self.tr("Not known yet: mailapp asks the server the next time it is reachable.")
            )
            return
        if link is None or not link.linked:
            self.upstream_label.setText(
                self.tr("None: this account's mail is kept by the mailapp server itself.")
            )
            return
        host = link.host or ""
        self.upstream_label.setText(
            self.tr("The server keeps this account in sync with %1 at %2 (IMAP).")
            .replace("%1", link.username or "")
            .replace("%2", host)
        )
        self.upstream_state_label.setText(self._link_state_text(link.state, host))
        self.upstream_synced_label.setText(
            when_text(link.last_sync_at) if link.last_sync_at is not None else self.tr("Never")
        )
        self.upstream_error_label.setText(link.last_error or self.tr("None"))

    def _link_state_text(self, state: str | None, host: str) -> str:
        texts = {
            "pending": self.tr("Linked; the first sync has not started yet."),
            "importing": self.tr("Importing your mail from %1…"),
            "ok": self.tr("Up to date with %1."),
            "auth_failed": self.tr(
                "%1 refused the password. Ask whoever runs your mailapp server to link the "
                "account again with the right password; nothing is lost meanwhile."
            ),
            "unreachable": self.tr(
                "The mailapp server cannot reach %1 at the moment; it keeps trying."
            ),
            "tls_error": self.tr(
                "The certificate of %1 could not be verified, so the mailapp server does not "
                "connect to it. Ask whoever runs your mailapp server."
            ),
            "error": self.tr("Syncing with %1 failed; the mailapp server keeps trying."),
        }
        return texts.get(state or "", state or "").replace("%1", host)


def add_account_settings_action(
    window: QMainWindow, store: MailStore, syncs: AccountSyncs
) -> QAction:
    """Edit → Account Settings…, beside Settings…."""
    action = QAction(QCoreApplication.translate("MainWindow", "A&ccount Settings…"), window)
    action.setObjectName("accountSettingsAction")

    def open_dialog() -> None:
        dialog = AccountSettingsDialog(store, syncs, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    action.triggered.connect(open_dialog)
    menu = menu_titled(window, "Edit") or window.menuBar().addMenu(
        QCoreApplication.translate("MainWindow", "&Edit")
    )
    menu.addAction(action)
    return action

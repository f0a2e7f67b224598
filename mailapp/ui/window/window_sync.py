"""Sync behind a window: every signed-in account's sync thread, its sign-in, File → Add Account.

`setup_window_sync` is what the app runs after the first paint: the menus, and one sync thread
per signed-in account (mailapp.ui.syncing.account_syncs), each with its own sign-in state. When an
account's token is refused, its password is asked for again (AccountSetupDialog); the others
keep syncing meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QWidget

from mailapp.store import ChangeSet, MailStore
from mailapp.store.settings import load_settings
from mailapp.ui.account.account_setup import AccountSetupDialog, SignedIn
from mailapp.ui.common.store_bridge import StoreChanges

if TYPE_CHECKING:
    from mailapp.ui.syncing.account_syncs import AccountSyncs
    from mailapp.ui.syncing.sync_worker import SyncController
    from mailapp.ui.window.main_window import MainWindow


def forward_changes(window: QWidget, changes: ChangeSet) -> None:
    """Hand the sync worker's change set to every store bridge in the window.

    The worker writes through its own MailStore, which the window's MailStore does not hear
    about. The window, the outbox view and the conflict dialog each listen through a
    StoreChanges bridge; emitting there (not on the store itself, which the controller also
    watches for local edits) refreshes exactly those rows without triggering another sync.
    """
    for bridge in window.findChildren(StoreChanges):
        bridge.changed.emit(changes)


def window_syncs(window: MainWindow, store: MailStore) -> AccountSyncs:
    """The window's AccountSyncs (every account's sync thread), made on first use; start_sync()
    attaches it to the window with the first account.

    The caller calls `shutdown()` on it before closing `store` (setup_window_sync does).
    """
    from mailapp.sync.scheduler import SchedulerSettings
    from mailapp.ui.syncing.account_syncs import AccountSyncs
    from mailapp.ui.syncing.sync_worker import SyncController

    existing = window.findChild(AccountSyncs)
    if existing is not None:
        return existing

    def make_controller(account_id: str) -> SyncController:
        settings = load_settings(store)
        return SyncController(
            store.path,
            account_id,
            ui_store=store,
            settings=SchedulerSettings(interval=settings.sync_interval_minutes * 60.0),
            parent=syncs,
        )

    syncs = AccountSyncs(store, make_controller, window)
    syncs.changesApplied.connect(lambda changes: forward_changes(window, changes))
    return syncs


def start_sync(window: MainWindow, store: MailStore, account_id: str) -> SyncController:
    """Run sync for `account_id` behind `window`, beside its other accounts: status bar, menus,
    views refreshed on changes, and its own sign-in.

    The caller calls `shutdown()` on the result (or on `window_syncs()`) before closing `store`.
    """
    syncs = window_syncs(window, store)
    if not syncs.controllers:  # the first account: from now on the window has sync
        window.attach_sync(syncs)
    known = syncs.controller(account_id)
    controller = syncs.add(account_id)
    if known is None:
        _ask_again_when_refused(window, store, account_id, controller)
    return controller


def _ask_again_when_refused(
    window: MainWindow, store: MailStore, account_id: str, controller: SyncController
) -> None:
    """State "auth_required" (a revoked or expired token): ask for the password, once; after a
    Cancel the status bar's "Sign in…" button asks again."""
    from mailapp.store.replica import sync_account

    asking: list[AccountSetupDialog] = []

    refused = [False]  # this account's token was refused and no new one has been taken yet

    def state_changed(state: str, _retry_in: int) -> None:
        refused[0] = state == "auth_required"
        if refused[0] and not asking:
            ask()

    def ask_if_refused() -> None:  # the status bar's button: for the accounts that need it
        if refused[0]:
            ask()

    def ask() -> None:
        if asking:
            asking[0].activateWindow()  # already open (maybe behind): bring it forward
            return
        account = sync_account(store, account_id)
        dialog = AccountSetupDialog(
            store,
            window,
            server=account.server_url,
            username=account.username,
            account_id=account_id,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.signedIn.connect(lambda result: controller.set_token(result.token))
        dialog.finished.connect(lambda _code: asking.clear())
        asking.append(dialog)
        dialog.open()

    controller.stateChanged.connect(state_changed)
    window.sync_status.signInRequested.connect(ask_if_refused)


def add_account_action(
    window: MainWindow, store: MailStore, started: Callable[[SyncController], None]
) -> QAction:
    """File → Add Account…: sign in, then start sync for the new account in this window.

    `started` receives each controller started here (the app shuts it down on exit).
    """
    action = QAction(QCoreApplication.translate("AccountSetup", "&Add Account…"), window)
    action.setObjectName("addAccountAction")

    def open_dialog() -> None:
        dialog = AccountSetupDialog(store, window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def signed_in(result: SignedIn) -> None:
            # Beside the accounts already syncing: each account has its own sync thread.
            started(start_sync(window, store, result.account_id))

        dialog.signedIn.connect(signed_in)
        dialog.open()

    action.triggered.connect(open_dialog)
    from mailapp.ui.common.menus import menu_titled

    menu = menu_titled(window, "File") or window.menuBar().addMenu(
        QCoreApplication.translate("MainWindow", "&File")
    )
    actions = menu.actions()
    if len(actions) > 1:
        menu.insertAction(actions[1], action)  # right after New Message
    else:
        menu.addAction(action)
    return action


def setup_window_sync(window: MainWindow, store: MailStore, cleanup: ExitStack) -> None:
    """Menus for accounts and settings; sync for every signed-in account of the profile."""
    from mailapp.store.replica import synced_accounts
    from mailapp.ui.account.account_settings import add_account_settings_action
    from mailapp.ui.window.settings_dialog import add_settings_action

    syncs = window_syncs(window, store)
    # Registered after the store's close: every account's sync stops (last flush) first.
    cleanup.callback(syncs.shutdown)

    def started(_controller: SyncController) -> None:
        pass  # stopped with the others by syncs.shutdown()

    add_settings_action(window, store)
    add_account_settings_action(window, store, syncs)
    add_account_action(window, store, started)
    for account in synced_accounts(store):
        start_sync(window, store, account.account_id)

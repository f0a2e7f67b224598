"""Every signed-in account syncs: one SyncController, and so one sync thread, per account.

`AccountSyncs` is what the window attaches (`MainWindow.attach_sync`): to the window, the status
bar and the menus it looks like one controller (mailapp.ui.window.status_bar.SyncControllerLike)
whose state sums up the accounts', while `account_states()` tells each account's own, which the
status bar lists when there are several. User intents go to every account ("Get Mail", "Work
Offline") or to the one that owns what was asked for (a body, an attachment). Each account
keeps its own sign-in: a refused token stops that account only (mailapp.ui.account.account_setup
asks for its password).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from PySide6.QtCore import QObject, Signal, Slot

from mailapp.store import MailStore
from mailapp.store import views as store_views
from mailapp.ui.syncing.sync_worker import SyncController

# Which account's state the summary shows when they differ: what needs the user's attention
# (or explains a wait) first.
SUMMARY_ORDER = (
    "auth_required",  # first: the status bar's "Sign in…" button follows the summary
    "syncing",
    "error",
    "retrying",
    "offline",
    "online",
    "working_offline",
)
# Re-emitted as they are: each carries an id that only its own account knows.
FORWARDED = (
    "progress",
    "changesApplied",
    "pendingChanged",
    "attachmentReady",
    "attachmentOffline",
    "attachmentRetrying",
    "attachmentFailed",
    "bodyOffline",
    "bodyRetrying",
    "bodyFailed",
)


@dataclass
class AccountState:
    account_id: str
    email: str
    state: str | None = None  # None until its sync thread first reports
    retry_in: int = 0
    reported_at: float = 0.0
    conflicts: int = 0

    def retry_left(self) -> int:
        """Seconds left of the reported wait, counted down since it was reported."""
        return max(0, round(self.retry_in - (time.monotonic() - self.reported_at)))


ControllerFactory = Callable[[str], SyncController]


class AccountSyncs(QObject):
    stateChanged = Signal(str, int)  # the summary of every account's state
    accountsChanged = Signal()  # an account's own state changed, or an account was added
    progress = Signal(int, int)
    changesApplied = Signal(object)
    conflictsChanged = Signal(int)  # over every account
    pendingChanged = Signal(int)
    lastSyncChanged = Signal(object)  # the latest of any account
    errorRaised = Signal(str)
    attachmentReady = Signal(str)
    attachmentOffline = Signal(str)
    attachmentRetrying = Signal(str, str)
    attachmentFailed = Signal(str, str)
    bodyOffline = Signal(str)
    bodyRetrying = Signal(str, str)
    bodyFailed = Signal(str, str)
    upstreamChanged = Signal(str, object)  # account id, wire.UpstreamLink | None
    settled = Signal()  # every account's first sync is over (see SyncController.settled)

    def __init__(
        self,
        store: MailStore,
        make_controller: ControllerFactory,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._make_controller = make_controller
        self._controllers: dict[str, SyncController] = {}
        self._states: dict[str, AccountState] = {}
        self._last_sync: datetime | None = None
        self._summary: tuple[str, int] | None = None
        self.work_offline = False

    # -- accounts ------------------------------------------------------------------------------

    def add(self, account_id: str) -> SyncController:
        """Start syncing `account_id` (once: an account already syncing keeps its thread)."""
        existing = self._controllers.get(account_id)
        if existing is not None:
            return existing
        controller = self._make_controller(account_id)
        emails = dict(self._store.accounts())
        self._controllers[account_id] = controller
        self._states[account_id] = AccountState(account_id, emails.get(account_id, account_id))
        for name in FORWARDED:
            getattr(controller, name).connect(getattr(self, name))
        controller.stateChanged.connect(
            lambda state, retry, a=account_id: self._account_state(a, state, retry)
        )
        controller.conflictsChanged.connect(lambda count, a=account_id: self._conflicts(a, count))
        controller.lastSyncChanged.connect(self._last_synced)
        controller.errorRaised.connect(lambda text, a=account_id: self._error(a, text))
        controller.upstreamChanged.connect(
            lambda link, a=account_id: self.upstreamChanged.emit(a, link)
        )
        controller.settled.connect(self._maybe_settled)
        if self.work_offline:
            controller.set_work_offline(True)
        controller.start()
        self.accountsChanged.emit()
        return controller

    def controller(self, account_id: str) -> SyncController | None:
        return self._controllers.get(account_id)

    @property
    def controllers(self) -> list[SyncController]:
        return list(self._controllers.values())

    def account_states(self) -> list[AccountState]:
        """Each account's own state, in the order they were added."""
        return list(self._states.values())

    @property
    def state(self) -> str:
        return self._summary[0] if self._summary is not None else "offline"

    @property
    def has_settled(self) -> bool:
        return all(c.has_settled for c in self._controllers.values())

    # -- what the window asks ------------------------------------------------------------------

    @Slot()
    def sync_now(self) -> None:
        for controller in self._controllers.values():
            controller.sync_now()

    @Slot(bool)
    def set_work_offline(self, on: bool) -> None:
        self.work_offline = on
        for controller in self._controllers.values():
            controller.set_work_offline(on)

    @Slot(str)
    def fetch_body(self, message_id: str) -> None:
        controller = self._owner(store_views.account_of_message(self._store, message_id))
        if controller is None:
            self.bodyFailed.emit(message_id, self.tr("This message's account is not signed in."))
        else:
            controller.fetch_body(message_id)

    @Slot(str)
    def fetch_attachment(self, attachment_id: str) -> None:
        controller = self._owner(store_views.account_of_attachment(self._store, attachment_id))
        if controller is None:
            self.attachmentFailed.emit(
                attachment_id, self.tr("This message's account is not signed in.")
            )
        else:
            controller.fetch_attachment(attachment_id)

    def refresh_upstream(self) -> None:
        for controller in self._controllers.values():
            controller.refresh_upstream()

    def upstream(self, account_id: str) -> tuple[bool, object | None]:
        """(whether the server has said, its wire.UpstreamLink or None) for the account."""
        controller = self._controllers.get(account_id)
        if controller is None:
            return False, None
        return controller.upstream_known, controller.upstream

    def shutdown(self, timeout_s: float = 3.0) -> bool:
        """Every account's last flush side by side, then join them; True when all ended."""
        for controller in self._controllers.values():
            controller.request_stop(timeout_s)
        return all([controller.join(timeout_s) for controller in self._controllers.values()])

    # -- what the accounts report --------------------------------------------------------------

    def _owner(self, account_id: str | None) -> SyncController | None:
        return None if account_id is None else self._controllers.get(account_id)

    def _account_state(self, account_id: str, state: str, retry_in: int) -> None:
        entry = self._states[account_id]
        entry.state, entry.retry_in, entry.reported_at = state, retry_in, time.monotonic()
        known = [s for s in self._states.values() if s.state is not None]
        order = {name: rank for rank, name in enumerate(SUMMARY_ORDER)}
        top = min(known, key=lambda s: order.get(s.state or "", len(order)))
        assert top.state is not None
        waits = [s.retry_left() for s in known if s.state == top.state]
        summary = (top.state, min(waits))
        self.accountsChanged.emit()
        if summary != self._summary:
            self._summary = summary
            self.stateChanged.emit(*summary)

    def _conflicts(self, account_id: str, count: int) -> None:
        self._states[account_id].conflicts = count
        self.conflictsChanged.emit(sum(s.conflicts for s in self._states.values()))

    @Slot(object)
    def _last_synced(self, when: datetime) -> None:
        if self._last_sync is None or when > self._last_sync:
            self._last_sync = when
            self.lastSyncChanged.emit(when)

    def _error(self, account_id: str, text: str) -> None:
        if len(self._states) > 1:  # say whose: the other accounts may be fine
            text = f"{self._states[account_id].email}: {text}"
        self.errorRaised.emit(text)

    @Slot()
    def _maybe_settled(self) -> None:
        if self.has_settled:
            self.settled.emit()

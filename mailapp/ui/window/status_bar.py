"""The sync part of the status bar: connection state, progress, pending changes, last sync."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QDateTime, QLocale, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget


class SyncControllerLike(Protocol):
    """What mailapp.ui.syncing.sync_worker.SyncController offers (signals are Qt signals)."""

    stateChanged: Any  # (str state, int retry_in_seconds)
    progress: Any  # (int done, int total)
    conflictsChanged: Any  # (int)
    pendingChanged: Any  # (int)
    lastSyncChanged: Any  # (datetime)
    errorRaised: Any  # (str)

    def sync_now(self) -> None: ...

    def set_work_offline(self, offline: bool) -> None: ...


LOCAL_ONLY = "local_only"
RETRY_STATES = frozenset({"retrying", "offline", "error"})


class SyncStatus(QWidget):
    """Shows what the sync controller reports; with no controller, a local-only profile."""

    conflictsClicked = Signal()
    signInRequested = Signal()  # "Sign in…" clicked while the server wants the password again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._controller: SyncControllerLike | None = None
        self._state = LOCAL_ONLY
        self._retry_left = 0
        self._done = 0
        self._total = 0
        self._error = ""
        self._pending_source: Callable[[], int] | None = None

        self.state_label = QLabel()
        self.state_label.setAccessibleName(self.tr("Connection"))
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(140)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setAccessibleName(self.tr("Sync progress"))
        self.try_now_button = QPushButton(self.tr("Try now"))
        self.try_now_button.setFlat(True)
        self.try_now_button.clicked.connect(self._try_now)
        # Stays while sign-in is needed, so a cancelled password prompt can always be reopened.
        self.sign_in_button = QPushButton(self.tr("Sign in…"))
        self.sign_in_button.setFlat(True)
        self.sign_in_button.clicked.connect(self.signInRequested)
        self.pending_label = QLabel()
        self.conflicts_button = QPushButton()
        self.conflicts_button.setFlat(True)
        self.conflicts_button.clicked.connect(self.conflictsClicked)
        self.last_sync_label = QLabel()
        self.work_offline_button = QPushButton(self.tr("Work offline"))
        self.work_offline_button.setCheckable(True)
        self.work_offline_button.setFlat(True)
        self.work_offline_button.toggled.connect(self._work_offline_toggled)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(10)
        for widget in (
            self.pending_label,
            self.conflicts_button,
            self.last_sync_label,
            self.progress_bar,
            self.state_label,
            self.try_now_button,
            self.sign_in_button,
            self.work_offline_button,
        ):
            layout.addWidget(widget)

        self._countdown = QTimer(self)
        self._countdown.setInterval(1000)
        self._countdown.timeout.connect(self._tick)
        self.set_pending(0)
        self.set_conflicts(0)
        self.set_last_sync(None)
        self._render()

    # -- what the window calls ----------------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    def attach(self, controller: SyncControllerLike) -> None:
        self._controller = controller
        controller.stateChanged.connect(self.set_state)
        controller.progress.connect(self.set_progress)
        controller.pendingChanged.connect(self._pending_changed)
        controller.conflictsChanged.connect(self.set_conflicts)
        controller.lastSyncChanged.connect(self.set_last_sync)
        controller.errorRaised.connect(self._set_error)
        accounts_changed = getattr(controller, "accountsChanged", None)
        if accounts_changed is not None:  # several accounts: each one's state is listed
            accounts_changed.connect(self._render)
        self.set_state("online", 0)

    @Slot(str, int)
    def set_state(self, state: str, retry_in_seconds: int = 0) -> None:
        self._state = state
        self._retry_left = max(0, retry_in_seconds)
        if state == "retrying" and self._retry_left:
            self._countdown.start()
        else:
            self._countdown.stop()
        if state != "syncing":
            self._done = self._total = 0
        if state != "error":
            self._error = ""
        blocked = self.work_offline_button.blockSignals(True)
        self.work_offline_button.setChecked(state == "working_offline")
        self.work_offline_button.blockSignals(blocked)
        self._render()

    @Slot(int, int)
    def set_progress(self, done: int, total: int) -> None:
        self._done, self._total = done, total
        self._render()

    def set_pending_source(self, source: Callable[[], int] | None) -> None:
        """Counts unsent changes with ``source`` (the store's count, which the Outbox badge
        shows too) whenever the controller reports a change, instead of the controller's own;
        None (the store is closing) goes back to the controller's figure."""
        self._pending_source = source
        if source is not None:
            self.set_pending(source())

    @Slot(int)
    def set_pending(self, count: int) -> None:
        self.pending_label.setVisible(count > 0)
        self.pending_label.setText(self.tr("%n changes not yet sent", "", count) if count else "")

    @Slot(int)
    def set_conflicts(self, count: int) -> None:
        self.conflicts_button.setVisible(count > 0)
        self.conflicts_button.setText(self.tr("%n conflicts", "", count) if count else "")

    @Slot(object)
    def set_last_sync(self, when: datetime | None) -> None:
        self.last_sync_label.setVisible(when is not None)
        if when is None:
            self.last_sync_label.setText("")
            return
        moment = QDateTime(when.astimezone())
        # A sync from today is told by its time alone, as mail clients do; older ones get a date.
        if moment.date() == QDateTime.currentDateTime().date():
            text = QLocale().toString(moment.time(), QLocale.FormatType.ShortFormat)
        else:
            text = QLocale().toString(moment, QLocale.FormatType.ShortFormat)
        self.last_sync_label.setText(self.tr("Last synced %1").replace("%1", text))

    # -- internals -----------------------------------------------------------------------------
    @Slot(str)
    def _set_error(self, message: str) -> None:
        self._error = message
        self._render()

    @Slot(int)
    def _pending_changed(self, count: int) -> None:
        self.set_pending(count if self._pending_source is None else self._pending_source())

    @Slot()
    def _tick(self) -> None:
        self._retry_left = max(0, self._retry_left - 1)
        if not self._retry_left:
            self._countdown.stop()
        self._render()

    @Slot()
    def _try_now(self) -> None:
        if self._controller is not None:
            self._controller.sync_now()

    @Slot(bool)
    def _work_offline_toggled(self, offline: bool) -> None:
        if self._controller is not None:
            self._controller.set_work_offline(offline)

    def _state_text(self, state: str, retry_left: int) -> str:
        texts = {
            LOCAL_ONLY: self.tr("Local only"),
            "online": self.tr("Online"),
            "offline": self.tr("Offline"),
            "working_offline": self.tr("Working offline"),
            "auth_required": self.tr("Sign-in needed"),
            "error": self.tr("Sync failed"),
        }
        if state == "syncing":
            return (
                self.tr("Syncing %1 of %2")
                .replace("%1", QLocale().toString(self._done))
                .replace("%2", QLocale().toString(self._total))
                if self._total
                else self.tr("Syncing…")
            )
        if state == "retrying":
            return (
                self.tr("Retrying in %n s", "", retry_left) if retry_left else self.tr("Retrying…")
            )
        return texts.get(state, state)

    def account_lines(self) -> list[str]:
        """With several accounts, each one's state ("bob@example.org: Offline"), else []."""
        states = getattr(self._controller, "account_states", None)
        accounts = states() if states is not None else []
        if len(accounts) < 2:
            return []
        return [
            self.tr("%1: %2")
            .replace("%1", account.email)
            .replace("%2", self._state_text(account.state or "online", account.retry_left()))
            for account in accounts
        ]

    def _render(self) -> None:
        state = self._state
        # Several accounts: each one's state, as one server may be away while another answers.
        lines = self.account_lines()
        text = " · ".join(lines) if lines else self._state_text(state, self._retry_left)
        self.state_label.setText(text)
        self.state_label.setToolTip(self._error)
        syncing_with_total = state == "syncing" and self._total > 0
        self.progress_bar.setVisible(syncing_with_total)
        if syncing_with_total:
            self.progress_bar.setRange(0, self._total)
            self.progress_bar.setValue(min(self._done, self._total))
        has_controller = self._controller is not None
        self.try_now_button.setVisible(has_controller and state in RETRY_STATES)
        self.sign_in_button.setVisible(has_controller and state == "auth_required")
        self.work_offline_button.setVisible(has_controller)

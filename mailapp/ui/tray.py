"""New-mail notifications through the system tray, where the desktop has one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QSystemTrayIcon, QWidget

from mailapp.store import views
from mailapp.store.rows import ChangeSet

if TYPE_CHECKING:
    from mailapp.store import MailStore
from mailapp.ui import icons

NOTIFY_MS = 8000


class NewMailWatcher(QObject):
    """Emits `newMail(count, title, body)` when unread mail arrives in an Inbox.

    Arrival means a change that queued nothing for the server (an import or a sync), so the
    user's own actions, such as undoing a delete, never announce mail as new.
    """

    newMail = Signal(int, str, str)

    def __init__(self, store: MailStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._announced: set[str] = set()

    @Slot(object)
    def store_changed(self, changes: ChangeSet) -> None:
        if changes.outbox or not changes.messages:
            return
        inboxes = {m.id for m in self._store.mailboxes() if m.role == "inbox"}
        if not inboxes & changes.mailboxes:
            return
        fresh = views.unread_among(self._store, inboxes, changes.messages - self._announced)
        if not fresh:
            return
        self._announced.update(message_id for _date, message_id in fresh)
        newest = views.summary(self._store, max(fresh)[1])
        if newest is None:  # gone since the line above
            return
        sender = newest.sender_name or newest.sender_email or self.tr("(unknown sender)")
        if len(fresh) == 1:
            title = self.tr("New mail from %1").replace("%1", sender)
            body = newest.subject or self.tr("(no subject)")
        else:
            title = self.tr("%n new messages", "", len(fresh))
            body = (
                self.tr("Latest from %1: %2")
                .replace("%1", sender)
                .replace("%2", newest.subject or self.tr("(no subject)"))
            )
        self.newMail.emit(len(fresh), title, body)


class MailTray(QObject):
    """The tray icon; created only when `QSystemTrayIcon.isSystemTrayAvailable()`."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self.icon = QSystemTrayIcon(icons.icon(icons.APP_ICON), self)
        self.icon.setToolTip(self.tr("Mail"))
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self._raise_window)
        self.icon.show()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    @Slot(int, str, str)
    def notify(self, _count: int, title: str, body: str) -> None:
        if not self._window.isActiveWindow():
            self.icon.showMessage(title, body, QSystemTrayIcon.MessageIcon.Information, NOTIFY_MS)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._raise_window()

    @Slot()
    def _raise_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()

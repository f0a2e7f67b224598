"""The system tray icon, where the desktop has one: new-mail notices, "Do Not Disturb", and
bringing the window forward. Which mail is announced, and in what words, is decided in
mailapp.ui.window.notifications."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from mailapp.store.settings import AppSettings, load_settings, save_settings
from mailapp.ui.common import icons
from mailapp.ui.window.notifications import NewMailWatcher, Notification, show_message

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.ui.window.main_window import MainWindow

NOTIFY_MS = 8000


class MailTray(QObject):
    """The tray icon; made only when `QSystemTrayIcon.isSystemTrayAvailable()`."""

    def __init__(self, window: MainWindow, store: MailStore) -> None:
        super().__init__(window)
        self._window = window
        self._store = store
        self.last_notified: str | None = None  # the message a click on the last notice opens
        self.icon = QSystemTrayIcon(icons.icon(icons.APP_ICON), self)
        self.icon.setToolTip(self.tr("Mail"))
        self.icon.activated.connect(self._activated)
        # Only some platforms report the click (not every Linux notification server does).
        self.icon.messageClicked.connect(self._notice_clicked)

        self.menu = QMenu(window)  # setContextMenu() does not take it over
        self.show_action = self.menu.addAction(self.tr("&Show Mail"))
        self.show_action.triggered.connect(self._raise_window)
        self.menu.addSeparator()
        self.do_not_disturb = QAction(self.tr("&Do Not Disturb"), self)
        self.do_not_disturb.setCheckable(True)
        self.do_not_disturb.setChecked(load_settings(store).do_not_disturb)
        self.do_not_disturb.toggled.connect(self._do_not_disturb_toggled)
        self.menu.addAction(self.do_not_disturb)
        self.icon.setContextMenu(self.menu)
        window.settingsChanged.connect(self.apply_settings)
        self.icon.show()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    @Slot(object)
    def notify(self, notice: Notification) -> None:
        if self._window.isActiveWindow():
            return  # the user is looking at the mail already
        self.last_notified = notice.message_id
        self.icon.showMessage(
            notice.title, notice.body, QSystemTrayIcon.MessageIcon.Information, NOTIFY_MS
        )

    @Slot(object)
    def apply_settings(self, settings: AppSettings) -> None:
        if self.do_not_disturb.isChecked() != settings.do_not_disturb:
            self.do_not_disturb.setChecked(settings.do_not_disturb)

    @Slot(bool)
    def _do_not_disturb_toggled(self, on: bool) -> None:
        current = load_settings(self._store)
        if current.do_not_disturb == on:
            return  # set from Settings: already saved
        settings = current.model_copy(update={"do_not_disturb": on})
        save_settings(self._store, settings)
        self._window.settingsChanged.emit(settings)

    @Slot(QSystemTrayIcon.ActivationReason)
    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._raise_window()

    @Slot()
    def _notice_clicked(self) -> None:
        if self.last_notified is None:
            self._raise_window()
        else:
            show_message(self._window, self.last_notified)

    @Slot()
    def _raise_window(self) -> None:
        self._window.showNormal()
        self._window.raise_()
        self._window.activateWindow()


def attach_notifications(
    window: MainWindow, store: MailStore
) -> tuple[NewMailWatcher, MailTray | None]:
    """The window's new-mail watcher, and its tray icon where the desktop has a tray."""
    assert window.changes is not None
    watcher = NewMailWatcher(store, window)
    window.changes.changed.connect(watcher.store_changed)
    window.settingsChanged.connect(watcher.apply_settings)
    tray = None
    if MailTray.available():
        tray = MailTray(window, store)
        watcher.newMail.connect(tray.notify)
    return watcher, tray

"""The keyboard of mail clients: Ctrl+Q, single keys to move through the list, F1 for help.

Single keys (as in Thunderbird, Gmail and Geary): j / k the next / previous message, n / p the
next / previous unread one. They are on unless Settings turns them off, and never take a key
from a text field: a line edit or editor accepts the key as typing before any shortcut sees it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar

from mailapp.ui.window.about import AboutDialog

if TYPE_CHECKING:
    from mailapp.store.settings import AppSettings
    from mailapp.ui.window.main_window import MainWindow


class Shortcuts(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window
        self.about_dialog: AboutDialog | None = None
        # StandardKey.Quit is empty on Windows; every desktop's mail client quits on Ctrl+Q.
        window.quit_action.setShortcuts(
            _unique([*QKeySequence.keyBindings(QKeySequence.StandardKey.Quit), "Ctrl+Q"])
        )
        # Thunderbird forwards on Ctrl+L; Outlook, Geary and most others on Ctrl+Shift+F.
        forward = window.mail_actions.forward
        forward.setShortcuts(_unique([*forward.shortcuts(), "Ctrl+Shift+F"]))

        self.next_message = self._action(self.tr("&Next Message"), "J", lambda: self.move(1))
        self.previous_message = self._action(
            self.tr("&Previous Message"), "K", lambda: self.move(-1)
        )
        self.next_unread = self._action(
            self.tr("Next &Unread Message"), "N", lambda: self.move(1, unread=True)
        )
        self.previous_unread = self._action(
            self.tr("P&revious Unread Message"), "P", lambda: self.move(-1, unread=True)
        )
        self.single_key_actions = [
            self.next_message,
            self.previous_message,
            self.next_unread,
            self.previous_unread,
        ]
        self.help_action = QAction(self.tr("&About Mail"), window)
        self.help_action.setObjectName("aboutAction")
        self.help_action.setMenuRole(QAction.MenuRole.AboutRole)
        self.help_action.setShortcut(QKeySequence(QKeySequence.StandardKey.HelpContents))
        if self.help_action.shortcut().isEmpty():
            self.help_action.setShortcut(QKeySequence("F1"))
        self.help_action.triggered.connect(self.show_about)
        window.addAction(self.help_action)
        window.settingsChanged.connect(self.apply_settings)
        window.storeAttached.connect(self._store_attached)

    def add_menus(self, menu_bar: QMenuBar, go_menu_after: QAction | None = None) -> None:
        go_menu = menu_bar.addMenu(self.tr("&Go"))
        for action in self.single_key_actions:
            go_menu.addAction(action)
        if go_menu_after is not None:  # Go sits before Message, as in Thunderbird
            menu_bar.insertMenu(go_menu_after, go_menu)
        help_menu = menu_bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.help_action)

    def set_single_key(self, enabled: bool) -> None:
        for action in self.single_key_actions:
            action.setEnabled(enabled)

    @Slot(object)
    def apply_settings(self, settings: AppSettings) -> None:
        self.set_single_key(settings.single_key_shortcuts)

    @Slot()
    def show_about(self) -> None:
        if self.about_dialog is None:
            self.about_dialog = AboutDialog(parent=self._window)
        self.about_dialog.show()
        self.about_dialog.activateWindow()

    def move(self, step: int, *, unread: bool = False) -> None:
        """Selects the message `step` rows away (the next unread one that way, with `unread`)."""
        window = self._window
        model = window.message_model
        rows = window.message_list.selectionModel().selectedRows()
        if rows:  # from the last selected row down, or the first one up
            current = rows[-1].row() if step > 0 else rows[0].row()
        else:
            current = -1 if step > 0 else model.rowCount()
        row = current + step
        while 0 <= row < model.rowCount():
            if not unread or not model.summary(row).is_read:
                window.select_message_row(row)
                window.message_list.scrollTo(model.index(row, 0))
                return
            row += step
        if unread and step > 0 and model.canFetchMore(model.index(-1, -1)):
            model.fetchMore(model.index(-1, -1))  # the next unread may be on the next page
            QTimer.singleShot(0, lambda: self.move(step, unread=unread))

    @Slot()
    def _store_attached(self) -> None:
        from mailapp.store.settings import load_settings

        if window_store := self._window.store:
            self.apply_settings(load_settings(window_store))

    def _action(self, text: str, key: str, slot: object) -> QAction:
        action = QAction(text, self._window)
        action.setShortcut(QKeySequence(key))
        action.triggered.connect(slot)
        self._window.addAction(action)  # works wherever focus is in the window
        return action


def _unique(keys: list[QKeySequence | str]) -> list[QKeySequence]:
    found: list[QKeySequence] = []
    for key in keys:
        sequence = QKeySequence(key)
        if not sequence.isEmpty() and sequence not in found:
            found.append(sequence)
    return found

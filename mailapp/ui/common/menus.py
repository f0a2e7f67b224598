"""Finding a window's menu by its English title, whether or not the menus are translated.

The parts that add their actions to the main window after its first paint (Settings, Account
Settings, Add Account) look its menus up here rather than in the window, which imports them.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMainWindow, QMenu


def menu_titled(window: QMainWindow, title: str) -> QMenu | None:
    """The window's menu with this English title (e.g. "Edit"), shown in English or translated."""
    # The main window's "&Edit", as its translation (if any) shows it; through an alias, as the
    # text is not a literal for pyside6-lupdate to extract.
    lookup = QCoreApplication.translate
    translated = lookup("MainWindow", f"&{title}").replace("&", "")
    for action in window.menuBar().actions():
        menu = action.menu()
        if isinstance(menu, QMenu) and action.text().replace("&", "") in (title, translated):
            return menu
    return None

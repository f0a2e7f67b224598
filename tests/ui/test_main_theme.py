"""The window follows a dark or light scheme, and its icons stay readable in both."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui.common import theme
from mailapp.ui.window.main_window import MainWindow


def _ink_lightness(window: MainWindow) -> int:
    """How light the drawn strokes of the Archive toolbar icon are (0 black .. 255 white)."""
    image = window.mail_actions.archive.icon().pixmap(24, 24).toImage()
    inked = [
        image.pixelColor(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() > 200
    ]
    assert inked
    return max(color.lightness() for color in inked)


def test_switching_to_dark_gives_a_dark_palette_and_light_icons(
    qtbot: QtBot, store: MailStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(theme.SCHEME_ENV, "light")
    window = MainWindow(store)
    qtbot.addWidget(window)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert _ink_lightness(window) < 128  # dark strokes on a light window
    try:
        monkeypatch.setenv(theme.SCHEME_ENV, "dark")
        window.color_scheme_changed()  # what the system's scheme change triggers
        assert app.palette().color(QPalette.ColorRole.Window).lightness() < 100
        assert _ink_lightness(window) > 180
        assert window.mailbox_model.rowCount() > 0  # the tree was rebuilt, not emptied
    finally:
        monkeypatch.setenv(theme.SCHEME_ENV, "light")
        window.color_scheme_changed()
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 128
    assert _ink_lightness(window) < 128

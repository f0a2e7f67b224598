"""Following the system's light or dark scheme (QStyleHints.colorScheme)."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

# "dark" or "light" overrides the system, e.g. for `mailapp --screenshot` of both schemes.
SCHEME_ENV = "MAILAPP_COLOR_SCHEME"
_SCHEMES = {"dark": Qt.ColorScheme.Dark, "light": Qt.ColorScheme.Light}
_forced_dark = False


def requested_scheme() -> Qt.ColorScheme | None:
    return _SCHEMES.get(os.environ.get(SCHEME_ENV, "").strip().lower())


def is_dark() -> bool:
    requested = requested_scheme()
    if requested is not None:
        return requested == Qt.ColorScheme.Dark
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    scheme = app.styleHints().colorScheme()
    if scheme != Qt.ColorScheme.Unknown:
        return scheme == Qt.ColorScheme.Dark
    # No answer from the platform: judge by the palette it gave us.
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def _dark_palette() -> QPalette:
    palette = QPalette()
    colors = {
        QPalette.ColorRole.Window: "#25262b",
        QPalette.ColorRole.WindowText: "#e9ecef",
        QPalette.ColorRole.Base: "#1a1b1e",
        QPalette.ColorRole.AlternateBase: "#222327",
        QPalette.ColorRole.ToolTipBase: "#2c2e33",
        QPalette.ColorRole.ToolTipText: "#e9ecef",
        QPalette.ColorRole.PlaceholderText: "#909296",
        QPalette.ColorRole.Text: "#e9ecef",
        QPalette.ColorRole.Button: "#2c2e33",
        QPalette.ColorRole.ButtonText: "#e9ecef",
        QPalette.ColorRole.BrightText: "#ff6b6b",
        QPalette.ColorRole.Highlight: "#1c7ed6",
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.Link: "#74c0fc",
        QPalette.ColorRole.LinkVisited: "#b197fc",
        QPalette.ColorRole.Mid: "#373a40",
        QPalette.ColorRole.Dark: "#141517",
        QPalette.ColorRole.Light: "#373a40",
    }
    for role, color in colors.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText,
                 QPalette.ColorRole.WindowText):  # fmt: skip
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#5c5f66"))
    return palette


def apply(app: QApplication) -> None:
    """Gives a dark palette when the system asks for dark but the style would stay light.

    Platforms with a native dark theme already deliver one; this covers styles and platforms
    (plain X11, offscreen) that report a dark scheme but keep a light palette.
    """
    requested = requested_scheme()
    if requested is not None and app.styleHints().colorScheme() != requested:
        app.styleHints().setColorScheme(requested)
    global _forced_dark
    if is_dark() and app.palette().color(QPalette.ColorRole.Window).lightness() >= 128:
        fusion = QStyleFactory.create("Fusion")
        if fusion is not None:
            app.setStyle(fusion)
        app.setPalette(_dark_palette())
        _forced_dark = True
    elif not is_dark() and _forced_dark:  # back to light: undo only what was done here
        app.setPalette(app.style().standardPalette())
        _forced_dark = False

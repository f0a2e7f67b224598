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
    _readable_selection(app)


def _readable_selection(app: QApplication) -> None:
    """Darkens the selection colour where white text on it is below AA: Fusion's light blue
    (#308cc6) gives 3.7:1, the dark palette's 4.2:1. Only the Highlight role is set, so the
    system's other colours keep following the system."""
    palette = app.palette()
    changed = False
    for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
        highlight = palette.color(group, QPalette.ColorRole.Highlight)
        text = palette.color(group, QPalette.ColorRole.HighlightedText)
        better = readable(highlight, text, SELECTION_TEXT)
        if better != highlight:
            palette.setColor(group, QPalette.ColorRole.Highlight, better)
            changed = True
    if changed:
        app.setPalette(palette)


# -- colours derived from the palette -----------------------------------------------------------
# Fixed colours read well in one scheme only (pale yellow under the dark scheme's light text), so
# every tinted surface and coloured text is computed from the current palette's roles, and every
# text colour is checked against its background for WCAG AA (4.5:1).
AA_TEXT = 4.5
# Fusion paints a selection as a gradient and blends the text on it a little: more margin.
SELECTION_TEXT = 5.5
_MARGIN = 0.2  # antialiasing and rounding never take a derived colour below AA_TEXT
ERROR, WARNING, INFO = "error", "warning", "info"
_HUES = {ERROR: QColor("#e03131"), WARNING: QColor("#f59f00"), INFO: QColor("#1c7ed6")}


def _linear(channel: float) -> float:
    return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4


def luminance(color: QColor) -> float:
    """WCAG relative luminance (0 black .. 1 white)."""
    return (
        0.2126 * _linear(color.redF())
        + 0.7152 * _linear(color.greenF())
        + 0.0722 * _linear(color.blueF())
    )


def contrast_ratio(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two opaque colours, 1 .. 21."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def mix(a: QColor, b: QColor, amount: float) -> QColor:
    """`a` moved `amount` (0 .. 1) of the way to `b`."""
    return QColor.fromRgbF(
        a.redF() + (b.redF() - a.redF()) * amount,
        a.greenF() + (b.greenF() - a.greenF()) * amount,
        a.blueF() + (b.blueF() - a.blueF()) * amount,
    )


def readable(color: QColor, background: QColor, ratio: float = AA_TEXT) -> QColor:
    """`color`, darkened or lightened just enough to be read on `background`."""
    wanted = ratio + _MARGIN
    if contrast_ratio(color, background) >= wanted:
        return color
    black, white = QColor("#000000"), QColor("#ffffff")
    target = (
        black if contrast_ratio(black, background) > contrast_ratio(white, background) else white
    )
    for step in range(1, 21):
        candidate = mix(color, target, step / 20)
        if contrast_ratio(candidate, background) >= wanted:
            return candidate
    return target


def secondary_text(palette: QPalette, role: QPalette.ColorRole = QPalette.ColorRole.Base) -> QColor:
    """Text that matters less (help, labels): softer than Text, still readable on `role`."""
    background = palette.color(role)
    text_role = (
        QPalette.ColorRole.Text
        if role == QPalette.ColorRole.Base
        else QPalette.ColorRole.WindowText
    )
    return readable(mix(palette.color(text_role), background, 0.4), background)


def tinted(
    palette: QPalette, tone: str, role: QPalette.ColorRole = QPalette.ColorRole.Base
) -> QColor:
    """A surface for an error, warning or information, close to `role` in lightness."""
    background = palette.color(role)
    return mix(background, _HUES[tone], 0.28 if background.lightness() < 128 else 0.16)


def tone_text(palette: QPalette, tone: str, background: QColor | None = None) -> QColor:
    """Coloured text for `tone` (an error's state, say) readable on `background` (Base)."""
    behind = background if background is not None else palette.color(QPalette.ColorRole.Base)
    return readable(_HUES[tone], behind)


def notice_style(selector: str, tone: str, palette: QPalette | None = None) -> str:
    """A style sheet for a framed notice (`selector` is e.g. "QLabel#composerError")."""
    if palette is None:
        palette = QGuiApplication.palette()
    background = tinted(palette, tone, QPalette.ColorRole.Window)
    text = readable(palette.color(QPalette.ColorRole.WindowText), background)
    border = mix(background, _HUES[tone], 0.5)
    return (
        f"{selector} {{ color: {text.name()}; background: {background.name()};"
        f" border: 1px solid {border.name()}; border-radius: 4px; padding: 6px; }}"
    )

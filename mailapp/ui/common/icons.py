"""The bundled SVG icons, loaded once each per colour scheme."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from mailapp.paths import resource
from mailapp.ui.common import theme

APP_ICON = "mailapp"
FLAG = "flag"
ATTACHMENT = "attachment"
FOLDER = "folder"
ACCOUNT = "account"
# QAction property naming the icon, so actions can be redrawn when the colour scheme changes.
ICON_PROPERTY = "mailappIcon"

# The outline colour every monochrome icon is drawn in; swapped for a light one on dark themes.
NEUTRAL = b"#4a5568"
NEUTRAL_ON_DARK = b"#ced4da"
_SIZES = (16, 20, 24, 32, 48, 64)

_ROLE_ICONS = {
    "inbox": "inbox",
    "drafts": "drafts",
    "sent": "sent",
    "archive": "archive",
    "junk": "junk",
    "trash": "trash",
    "outbox": "outbox",
}


@cache
def _icon(name: str, dark: bool) -> QIcon:
    path = resource("icons", f"{name}.svg")
    if not path.is_file():
        # A missing file would make Qt warn on every paint; an empty icon just draws nothing.
        return QIcon()
    svg = path.read_bytes()
    if not dark or NEUTRAL not in svg:
        return QIcon(str(path))
    return _recoloured(svg.replace(NEUTRAL, NEUTRAL_ON_DARK))


def _recoloured(svg: bytes) -> QIcon:
    # Imported here: a light theme hands the files to Qt's own SVG icon engine, so QtSvg and
    # QPainter stay off the way to the first paint (a few ms of start-up).
    from PySide6.QtCore import QByteArray, Qt
    from PySide6.QtGui import QPainter, QPixmap
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(QByteArray(svg))
    result = QIcon()
    for size in _SIZES:
        for mode, opacity in ((QIcon.Mode.Normal, 1.0), (QIcon.Mode.Disabled, 0.35)):
            # Styles derive disabled pixmaps by greying, which barely shows on a dark theme.
            pixmap = QPixmap(size, size)
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setOpacity(opacity)
            renderer.render(painter)
            painter.end()
            result.addPixmap(pixmap, mode)
    return result


def icon(name: str) -> QIcon:
    return _icon(name, theme.is_dark())


def mailbox_icon(role: str | None) -> QIcon:
    return icon(_ROLE_ICONS.get(role or "", FOLDER))

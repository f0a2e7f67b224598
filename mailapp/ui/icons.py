"""The bundled SVG icons, loaded once each."""

from __future__ import annotations

from functools import cache

from PySide6.QtGui import QIcon

from mailapp.paths import resource

APP_ICON = "mailapp"
FLAG = "flag"
ATTACHMENT = "attachment"
FOLDER = "folder"
ACCOUNT = "account"

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
def icon(name: str) -> QIcon:
    path = resource("icons", f"{name}.svg")
    # A missing file would make Qt warn on every paint; an empty icon just draws nothing.
    return QIcon(str(path)) if path.is_file() else QIcon()


def mailbox_icon(role: str | None) -> QIcon:
    return icon(_ROLE_ICONS.get(role or "", FOLDER))

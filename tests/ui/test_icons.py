"""Every icon the window uses ships with the app and draws something."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer
from pytestqt.qtbot import QtBot

from mailapp.paths import resource
from mailapp.ui.common import icons

REQUIRED = [
    "mailapp", "flag", "attachment", "folder", "inbox", "sent", "trash", "archive", "drafts",
    "outbox", "junk", "account",
]  # fmt: skip


@pytest.mark.parametrize("name", REQUIRED)
def test_icon_is_bundled_and_renders(qtbot: QtBot, name: str) -> None:
    path = resource("icons", f"{name}.svg")
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid(), path
    image = QImage(32, 32, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    renderer.render(painter)
    painter.end()
    drawn = sum(image.pixelColor(x, y).alpha() > 0 for y in range(32) for x in range(32))
    assert drawn > 20
    assert not icons.icon(name).isNull()


def test_every_mailbox_role_has_its_own_icon(qtbot: QtBot) -> None:
    roles = ["inbox", "drafts", "sent", "archive", "junk", "trash"]
    keys = {icons.mailbox_icon(role).cacheKey() for role in roles}
    assert len(keys) == len(roles)
    assert icons.mailbox_icon(None).cacheKey() == icons.icon(icons.FOLDER).cacheKey()

"""Where a link in a mail really leads: shown on hover, and asked about when its text lies."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QPoint, Qt, QUrl
from PySide6.QtWidgets import QMessageBox, QTextBrowser, QWidget

_MAX_SHOWN = 300
# Spelled out at each call, as translate("Context", "text"), for pyside6-lupdate to find.
translate = QCoreApplication.translate


def display_url(url: QUrl) -> str:
    """The target as plain ASCII: a look-alike Unicode host shows as its xn-- form, and
    percent-encoding keeps invisible or right-to-left characters from hiding anything."""
    text = bytes(url.toEncoded().data()).decode("ascii", "replace")
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 1] + "…"


def anchor_text_at(browser: QTextBrowser, position: QPoint) -> str:
    """The visible text of the link under a viewport position ("" when there is none)."""
    href = browser.anchorAt(position)
    if not href:
        return ""
    cursor = browser.cursorForPosition(position)
    where = cursor.position()
    runs: list[tuple[int, int, str, str]] = []  # start, end, href, text of same-link fragments
    fragment = cursor.block().begin()
    while not fragment.atEnd():
        part = fragment.fragment()
        if part.isValid():
            part_href = part.charFormat().anchorHref() if part.charFormat().isAnchor() else ""
            start, end = part.position(), part.position() + part.length()
            if runs and runs[-1][2] == part_href and runs[-1][1] == start:
                first, _end, _href, text = runs[-1]
                runs[-1] = (first, end, part_href, text + part.text())
            else:
                runs.append((start, end, part_href, part.text()))
        fragment += 1
    for start, end, run_href, text in runs:
        if run_href == href and start <= where <= end:
            return text
    return ""


def confirm_dialog(parent: QWidget, shown: str, url: QUrl) -> QMessageBox:
    """Asks before opening a link whose text names another site; "Cancel" is the default."""
    box = QMessageBox(parent)
    box.setObjectName("misleadingLink")
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(translate("LinkGuard", "Open Link?"))
    box.setTextFormat(Qt.TextFormat.PlainText)  # both texts come from the sender
    box.setText(
        translate("LinkGuard", "This link shows %1 but leads somewhere else:").replace(
            "%1", shown if len(shown) <= _MAX_SHOWN else shown[:_MAX_SHOWN] + "…"
        )
        + "\n\n"
        + display_url(url)
    )
    box.setInformativeText(
        translate(
            "LinkGuard",
            "Links that hide their real target are a common way to steal passwords.",
        )
    )
    box.addButton(translate("LinkGuard", "Open Link"), QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    return box


def ask_before_opening(parent: QWidget, shown: str, url: QUrl) -> bool:
    box = confirm_dialog(parent, shown, url)
    box.exec()
    clicked = box.clickedButton()
    box.deleteLater()
    return clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole

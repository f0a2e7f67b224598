"""A link's real target is shown before it is followed, and a lying link text is asked about.

The reading pane is real and offscreen; the mouse moves and clicks through Qt's event system; the
dialog is answered by clicking its buttons; QDesktopServices' http/https handlers are taken over
so that nothing is opened on this machine and every URL the app hands the system is recorded.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QHelpEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QToolTip
from pytestqt.qtbot import QtBot

from mailapp.core.links import misleading_text
from mailapp.store import MailStore, open_store
from mailapp.ui.reading.reading_pane import ReadingPane
from mailapp.ui.window.main_window import MainWindow
from tests.ui.conftest import ACCOUNT_EMAIL, demo_item

EVIL = "https://bank.example.evil.test/login"
HONEST = "https://example.org/news/more"
BODY = (
    f'<p>Your account: <a href="{EVIL}" title="https://bank.example">https://bank.example</a></p>'
    f'<p>Our news: <a href="{HONEST}">Read more</a></p>'
    f'<p>Site: <a href="https://www.example.org/">example.org</a></p>'
)


class _Browser(QObject):
    """Stands in for the system's web browser: records what the app asked it to open."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


@pytest.fixture
def browser() -> Iterator[_Browser]:
    catcher = _Browser()
    for scheme in ("http", "https"):
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    yield catcher
    for scheme in ("http", "https"):
        QDesktopServices.unsetUrlHandler(scheme)


@pytest.fixture
def mail(tmp_path: Path) -> Iterator[MailStore]:
    store = open_store(tmp_path / "mail.sqlite3")
    account_id = store.create_account(ACCOUNT_EMAIL)
    store.import_messages(
        account_id, [demo_item(1, subject="Urgent", html_body=BODY, text_body=None)]
    )
    yield store
    store.close()


def _show(qtbot: QtBot, store: MailStore) -> ReadingPane:
    pane = ReadingPane(store)
    qtbot.addWidget(pane)
    pane.resize(800, 500)
    pane.show()
    (account_id, _), *_ = store.accounts()
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    detail = store.message(store.page(inbox.id)[0].id)
    assert detail is not None
    pane.show_message(detail)
    return pane


def _point_on(pane: ReadingPane, text: str, after: str = "") -> QPoint:
    """A viewport point inside ``text`` (first found after ``after``), where a user would click."""
    found = pane.document().find(after + text)
    assert not found.isNull(), text
    cursor = pane.textCursor()
    cursor.setPosition(found.selectionStart() + len(after) + len(text) // 2)
    rect = pane.cursorRect(cursor)
    return QPoint(rect.center().x() + 1, rect.center().y())


class _User(QObject):
    """Answers each modal dialog that opens with the chosen button, recording its text."""

    def __init__(self) -> None:
        super().__init__()
        self.button = "Cancel"
        self.seen: list[str] = []
        self.timer = QTimer(self)
        self.timer.setInterval(10)
        self.timer.timeout.connect(self._answer)
        self.timer.start()

    @Slot()
    def _answer(self) -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            self.seen.append(box.text())
            next(b for b in box.buttons() if b.text() == self.button).click()


@pytest.fixture
def user() -> Iterator[_User]:
    answering = _User()
    yield answering
    answering.timer.stop()


# Showing a tooltip raises its window, which the offscreen platform cannot do (and says so).
@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_a_link_shows_its_real_target_on_hover_in_tooltip_and_status_bar(
    qtbot: QtBot, mail: MailStore
) -> None:
    pane = _show(qtbot, mail)
    hovered: list[str] = []
    pane.linkHovered.connect(hovered.append)
    point = _point_on(pane, "https://bank.example")

    qtbot.mouseMove(pane.viewport(), point)
    qtbot.waitUntil(lambda: EVIL in hovered, timeout=2_000)

    help_event = QHelpEvent(QEvent.Type.ToolTip, point, pane.viewport().mapToGlobal(point))
    QApplication.sendEvent(pane.viewport(), help_event)
    assert QToolTip.text() == EVIL  # the target, not the sender's title="https://bank.example"

    qtbot.mouseMove(pane.viewport(), _point_on(pane, "Our news"))
    qtbot.waitUntil(lambda: hovered[-1] == "", timeout=2_000)  # leaving the link clears it


def test_the_main_window_status_bar_shows_the_hovered_target(qtbot: QtBot, mail: MailStore) -> None:
    window = MainWindow(mail)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    window.select_message_row(0)
    window.reading_pane.linkHovered.emit(EVIL)  # the signal the pane sends on hover, tested above
    assert window.statusBar().currentMessage() == EVIL


def test_a_link_whose_text_names_another_site_is_asked_about(
    qtbot: QtBot, mail: MailStore, browser: _Browser, user: _User
) -> None:
    pane = _show(qtbot, mail)
    point = _point_on(pane, "https://bank.example")

    qtbot.mouseClick(pane.viewport(), Qt.MouseButton.LeftButton, pos=point)

    assert user.seen == [
        f"This link shows https://bank.example but leads somewhere else:\n\n{EVIL}"
    ]
    assert browser.opened == []  # the user said no

    user.button = "Open Link"
    qtbot.mouseClick(pane.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert len(user.seen) == 2 and browser.opened == [QUrl(EVIL)]  # the user's choice holds


def test_honest_links_open_without_a_question(
    qtbot: QtBot, mail: MailStore, browser: _Browser, user: _User
) -> None:
    pane = _show(qtbot, mail)

    qtbot.mouseClick(pane.viewport(), Qt.MouseButton.LeftButton, pos=_point_on(pane, "Read more"))
    qtbot.mouseClick(
        pane.viewport(), Qt.MouseButton.LeftButton, pos=_point_on(pane, "example.org", "Site: ")
    )

    assert user.seen == []
    assert browser.opened == [QUrl(HONEST), QUrl("https://www.example.org/")]


@pytest.mark.parametrize(
    ("text", "href", "shown"),
    [
        ("https://bank.example", EVIL, "bank.example"),
        ("paypal.com", "https://evil.test/", "paypal.com"),
        ("www.paypal.com", "https://www.paypal.com/signin", None),
        ("example.org", "https://mail.example.org/inbox", None),  # a subdomain: the same owner
        ("<https://a.test/>", "https://b.test/", "a.test"),
        ("support@paypal.com", "mailto:help@evil.test", "paypal.com"),
        ("https://\u0430pple.com", "https://apple.com/", "xn--pple-43d.com"),  # Cyrillic "а"
        ("Read more", EVIL, None),
        ("report.pdf", "https://files.example/report.pdf", None),
        ("invoice.zip", "https://evil.test/", "invoice.zip"),  # .zip is a real top-level domain
        ("HTTPS://BANK.EXAMPLE/", "https://bank.example/", None),
    ],
)
def test_which_link_texts_mislead(text: str, href: str, shown: str | None) -> None:
    assert misleading_text(text, href) == shown

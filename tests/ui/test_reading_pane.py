"""The reading pane shows a message and loads nothing but the message's own inline parts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QUrl, Slot
from PySide6.QtGui import QColor, QDesktopServices, QImage, QTextDocument
from pytestqt.qtbot import QtBot

from mailapp.mime.parse import Attachment
from mailapp.store import MailStore, open_store
from mailapp.ui.reading.reading_pane import ReadingPane
from tests.ui.conftest import ACCOUNT_EMAIL, demo_item

LOGO_CID = "logo.1@example.net"
REMOTE = "https://tracker.example.com/pixel.png"


def _png(color: str, size: int = 12) -> bytes:
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def _html_message_store(path: Path) -> tuple[MailStore, str]:
    store = open_store(path)
    account_id = store.create_account(ACCOUNT_EMAIL)
    html = (
        f'<p>Hello <b>there</b></p><img src="cid:{LOGO_CID}" alt="logo">'
        f'<img src="{REMOTE}"><a href="https://example.org/more">more</a>'
    )
    logo = _png("#2f9e44")
    store.import_messages(
        account_id,
        [
            demo_item(
                1,
                subject="Quarterly report",
                html_body=html,
                text_body=None,
                notes=["The message had two Date headers; the first was used."],
                attachments=[
                    Attachment("logo.png", "image/png", len(logo), LOGO_CID, True, logo),
                    Attachment("report.pdf", "application/pdf", 4, None, False, b"%PDF"),
                ],
            )
        ],
    )
    (summary,) = store.page(store.mailbox_by_role(account_id, "inbox").id)  # type: ignore[union-attr]
    return store, summary.id


def test_html_mail_is_shown_with_headers_notes_and_inline_image(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store, message_id = _html_message_store(tmp_path / "mail.sqlite3")
    pane = ReadingPane(store)
    qtbot.addWidget(pane)
    detail = store.message(message_id)
    assert detail is not None
    pane.show_message(detail)

    text = pane.toPlainText()
    assert "Quarterly report" in text
    assert "sender1@example.net" in text
    assert "Hello there" in text
    assert "two Date headers" in text
    assert "report.pdf" in text
    assert "blocked" in text  # the tracking pixel was removed and the user is told

    # What QTextDocument itself gets when it lays out <img src="cid:…">.
    image = pane.document().resource(
        QTextDocument.ResourceType.ImageResource, QUrl(f"cid:{LOGO_CID}")
    )
    assert isinstance(image, QImage)
    assert image.width() == 12
    assert image.pixelColor(5, 5) == QColor("#2f9e44")
    store.close()


def _is_blank(resource: object) -> bool:
    if isinstance(resource, QByteArray):
        return resource.isEmpty()
    assert isinstance(resource, QImage)
    return resource.isNull() or (
        resource.size().width() <= 1 and resource.pixelColor(0, 0).alpha() == 0
    )


def test_remote_and_local_urls_are_refused(qtbot: QtBot, tmp_path: Path) -> None:
    store, message_id = _html_message_store(tmp_path / "mail.sqlite3")
    pane = ReadingPane(store)
    qtbot.addWidget(pane)
    detail = store.message(message_id)
    assert detail is not None
    pane.show_message(detail)
    secret = tmp_path / "secret.png"
    secret.write_bytes(_png("#e03131", 40))
    refused = [
        QUrl(REMOTE),
        QUrl.fromLocalFile(str(secret)),
        QUrl("cid:unknown@example.net"),
        QUrl("data:image/png;base64,iVBORw0KGgo="),
    ]

    for url in refused:
        for kind in (
            QTextDocument.ResourceType.ImageResource,
            QTextDocument.ResourceType.StyleSheetResource,
        ):
            assert _is_blank(pane.loadResource(kind, url)), url
        assert _is_blank(pane.document().resource(QTextDocument.ResourceType.ImageResource, url))
    assert QUrl(REMOTE) in pane.refused_urls

    # Even markup that skipped the sanitizer cannot make the pane show a local file.
    pane.resize(300, 200)
    pane.setHtml(f'<img src="{secret}"><img src="{QUrl.fromLocalFile(str(secret)).toString()}">')
    pane.show()
    qtbot.waitExposed(pane)
    picture = pane.viewport().grab().toImage()
    reds = [
        (x, y)
        for y in range(0, picture.height(), 2)
        for x in range(0, picture.width(), 2)
        if picture.pixelColor(x, y) == QColor("#e03131")
    ]
    assert reds == []
    store.close()


class _LinkCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.opened: list[QUrl] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url)


def test_only_web_links_are_opened_and_only_outside_the_pane(
    qtbot: QtBot, store: MailStore
) -> None:
    pane = ReadingPane(store)
    qtbot.addWidget(pane)
    catcher = _LinkCatcher()
    for scheme in ("http", "https", "file", "javascript"):
        QDesktopServices.setUrlHandler(scheme, catcher, "open")
    try:
        before = pane.toPlainText()
        pane.anchorClicked.emit(QUrl("https://example.org/more"))
        pane.anchorClicked.emit(QUrl("file:///etc/passwd"))
        pane.anchorClicked.emit(QUrl("javascript:alert(1)"))
    finally:
        for scheme in ("http", "https", "file", "javascript"):
            QDesktopServices.unsetUrlHandler(scheme)
    assert catcher.opened == [QUrl("https://example.org/more")]
    assert pane.toPlainText() == before  # the pane itself never navigated


def test_plain_text_is_escaped_not_interpreted(qtbot: QtBot, store: MailStore) -> None:
    (account_id, _), *_ = store.accounts()
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    store.import_messages(
        account_id,
        [demo_item(999, subject="Markup", text_body="<b>not bold</b> & <img src='x'>")],
    )
    (summary,) = [s for s in store.page(inbox.id, None, 500) if s.subject == "Markup"]
    detail = store.message(summary.id)
    assert detail is not None
    pane = ReadingPane(store)
    qtbot.addWidget(pane)
    pane.show_message(detail)
    assert "<b>not bold</b> & <img src='x'>" in pane.toPlainText()
    assert pane.refused_urls == []

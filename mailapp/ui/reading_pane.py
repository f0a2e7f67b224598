"""The reading pane: one message, sanitized, with nothing loaded from outside the local store."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import QByteArray, QDateTime, QLocale, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QImage, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from mailapp.core.addresses import Address
from mailapp.core.html import sanitize_html
from mailapp.store import MailStore
from mailapp.store.rows import AttachmentInfo, MessageDetail

EXTERNAL_SCHEMES = frozenset({"http", "https"})


def _addresses(addresses: list[Address]) -> str:
    return ", ".join(escape(str(a)) for a in addresses)


def _blank_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(0)
    return image


def _size(size: int) -> str:
    return QLocale().formattedDataSize(size, 1)


class ReadingPane(QTextBrowser):
    """Shows a MessageDetail. Resources come only from the message's own `cid:` parts.

    `loadResource` is the single door through which QTextDocument fetches images and style
    sheets, so refusing every other scheme here is what keeps remote content (tracking pixels)
    and local files out, whatever the sanitizer let through.
    """

    def __init__(self, store: MailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._store = store
        self._detail: MessageDetail | None = None
        self._cid_parts: dict[str, AttachmentInfo] = {}
        self.refused_urls: list[QUrl] = []  # for the status bar and tests: what was not loaded
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)  # otherwise a click would navigate this browser to the link
        self.anchorClicked.connect(self._open_link)
        self.setAccessibleName(self.tr("Message"))
        self.show_placeholder()

    @property
    def message_id(self) -> str | None:
        return self._detail.summary.id if self._detail else None

    def show_placeholder(self, text: str | None = None) -> None:
        self._detail = None
        self._cid_parts = {}
        self.refused_urls = []
        message = text if text is not None else self.tr("No message selected.")
        self.setHtml(f'<p style="color: #868e96; margin: 24px;">{escape(message)}</p>')

    def show_message(self, detail: MessageDetail) -> None:
        self._detail = detail
        self._cid_parts = {a.content_id: a for a in detail.attachments if a.content_id}
        self.refused_urls = []
        notes = list(detail.notes)
        if not detail.body_available:
            body = f"<p><i>{escape(self.tr('This message is not available offline.'))}</i></p>"
        elif detail.html_body:
            sanitized = sanitize_html(detail.html_body)
            body = sanitized.html
            if sanitized.blocked_remote:
                blocked = sanitized.blocked_remote
                notes.append(
                    self.tr("%n remote resource was blocked to protect your privacy.", "", blocked)
                    if blocked == 1
                    else self.tr(
                        "%n remote resources were blocked to protect your privacy.", "", blocked
                    )
                )
        elif detail.text_body:
            body = f'<div style="white-space: pre-wrap;">{escape(detail.text_body)}</div>'
        else:
            body = f"<p><i>{escape(self.tr('This message has no text.'))}</i></p>"
        self.setHtml(
            self._header_html(detail)
            + self._notes_html(notes)
            + body
            + self._attachments_html(detail)
        )
        self.verticalScrollBar().setValue(0)

    def loadResource(self, type: int, name: QUrl | str) -> Any:
        name = QUrl(name)
        is_image = type == QTextDocument.ResourceType.ImageResource
        if name.scheme().lower() == "cid":
            data = self._cid_data(name)
            if data is not None:
                image = QImage.fromData(data) if is_image else None
                if image is None:
                    return QByteArray(data)
                if not image.isNull():
                    return image
        self.refused_urls.append(name)
        # Qt's image handler reads the src as a local file path when it gets no usable image
        # (and draws a broken-image icon); a blank pixel stops both.
        return _blank_image() if is_image else QByteArray()

    def _cid_data(self, url: QUrl) -> bytes | None:
        content_id = url.path() or url.toString(QUrl.ComponentFormattingOption.FullyDecoded)[4:]
        part = self._cid_parts.get(content_id.strip("<>"))
        if part is None:
            return None
        return self._store.attachment_data(part.id)

    @Slot(QUrl)
    def _open_link(self, url: QUrl) -> None:
        if url.scheme().lower() in EXTERNAL_SCHEMES:
            QDesktopServices.openUrl(url)

    def _header_html(self, detail: MessageDetail) -> str:
        summary = detail.summary
        sender = (
            str(Address(summary.sender_name, summary.sender_email))
            if summary.sender_email
            else summary.sender_name or self.tr("(unknown sender)")
        )
        when = QLocale().toString(
            QDateTime(summary.date.astimezone()), QLocale.FormatType.LongFormat
        )
        rows = [(self.tr("From"), escape(sender))]
        if detail.to:
            rows.append((self.tr("To"), _addresses(detail.to)))
        if detail.cc:
            rows.append((self.tr("Cc"), _addresses(detail.cc)))
        rows.append((self.tr("Date"), escape(when)))
        cells = "".join(
            f'<tr><td style="color: #868e96; padding-right: 8px;">{escape(label)}</td>'
            f"<td>{value}</td></tr>"
            for label, value in rows
        )
        subject = escape(summary.subject or self.tr("(no subject)"))
        return (
            f'<h3 style="margin-bottom: 4px;">{subject}</h3>'
            f'<table cellspacing="0" cellpadding="1">{cells}</table><hr/>'
        )

    def _notes_html(self, notes: list[str]) -> str:
        if not notes:
            return ""
        items = "".join(f"<li>{escape(note)}</li>" for note in notes)
        return (
            '<table width="100%" cellpadding="6" style="background-color: #fff3bf;">'
            f'<tr><td><ul style="margin: 0;">{items}</ul></td></tr></table>'
        )

    def _attachments_html(self, detail: MessageDetail) -> str:
        listed = [a for a in detail.attachments if not a.inline]
        if not listed:
            return ""
        items = "".join(f"<li>{escape(a.filename)} ({escape(_size(a.size))})</li>" for a in listed)
        title = escape(self.tr("Attachments"))
        return f"<hr/><p><b>{title}</b></p><ul>{items}</ul>"

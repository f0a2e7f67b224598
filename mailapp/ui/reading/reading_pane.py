"""The reading pane: one message, sanitized, with nothing loaded from outside the local store."""

from __future__ import annotations

import time
from html import escape
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QDateTime, QEvent, QLocale, QUrl, Signal, Slot
from PySide6.QtGui import (
    QDesktopServices,
    QHelpEvent,
    QImage,
    QMouseEvent,
    QPalette,
    QTextDocument,
)
from PySide6.QtWidgets import QTextBrowser, QToolTip, QWidget

from mailapp.ui.common import theme
from mailapp.ui.reading.link_guard import anchor_text_at, ask_before_opening, display_url
from mailapp.ui.reading.reading_html import (
    blocked_images_as_text,
    plain_text_html,
    remote_images_as_links,
)

if TYPE_CHECKING:
    from mailapp.core.addresses import Address
    from mailapp.store import MailStore
    from mailapp.store.rows import AttachmentInfo, MessageDetail  # created on first use

EXTERNAL_SCHEMES = frozenset({"http", "https"})
# The layout budget. Qt cannot interrupt a layout, and PySide holds the GIL while Qt lays out, so a
# trial layout on a worker thread would freeze this thread just the same (measured). The budget
# is kept in two steps instead: the sanitizer's layout-cost estimate refuses a body before any
# layout starts, and the measured time of the real layout catches what the estimate misses.
# Either way the message is shown as plain text, with a note, now and whenever it is selected
# again. Measured with tests/bench/bench_reading_layout.py on a shared 2-core machine (load
# average 8-9): bodies of 13 hostile shapes at the limit took 0.25 to 1.3 s to parse and lay out;
# a 58 KB newsletter of 600 cells in tables nested 3 deep costs 106,000 and takes 0.4 s.
LAYOUT_COST_LIMIT = 150_000
LAYOUT_BUDGET_S = 0.5
# Bodies beyond these sizes are not formatted at all: sanitizing 5.8 MB of HTML took 10 s here.
# (Gmail clips HTML mail at 102 KB.) Longer text is cut, with a note, as laying it out is linear.
MAX_HTML_CHARS = 512 * 1024
MAX_TEXT_CHARS = 1024 * 1024


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

    `remoteBlocked(n)` tells after each message how many remote resources were held back (0 once
    the user allowed them for that message with `allow_remote_images()`).

    A link's real target shows in its tooltip and through `linkHovered(target)` (for the status
    bar; "" when the pointer leaves it), and a link whose text names another site is asked about
    before it is opened.
    """

    remoteBlocked = Signal(int)
    linkHovered = Signal(str)

    def __init__(
        self, store: MailStore | None, parent: QWidget | None = None, *, in_bars: bool = False
    ) -> None:
        super().__init__(parent)
        # None while the window shows its first screen (see MainWindow): no message is shown yet.
        self._store = store
        # Inside a MessageView, attachments and blocked content are shown in bars of their own.
        self._list_attachments = not in_bars
        self._note_blocked = not in_bars
        self._remote_allowed: set[str] = set()
        self._detail: MessageDetail | None = None
        self._too_complex: set[str] = set()  # messages shown as plain text: over the budget
        self.layout_budget_s = LAYOUT_BUDGET_S
        self._cid_parts: dict[str, AttachmentInfo] = {}
        self.refused_urls: list[QUrl] = []  # for the status bar and tests: what was not loaded
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)  # otherwise a click would navigate this browser to the link
        self.anchorClicked.connect(self._open_link)
        self.highlighted.connect(self._link_hovered)
        self._clicked_text: str | None = None  # the text of the link being clicked
        self.setAccessibleName(self.tr("Message"))
        self.show_placeholder()

    @property
    def message_id(self) -> str | None:
        return self._detail.summary.id if self._detail else None

    def attach_store(self, store: MailStore) -> None:
        self._store = store

    def _sender_trusted(self, detail: MessageDetail) -> bool:
        """Whether the user's remote content setting lets this sender's images show unasked."""
        if self._store is None:
            return False
        from mailapp.store.settings import RemoteContent, load_settings, remote_content_allowed

        settings = load_settings(self._store)
        if settings.remote_content is RemoteContent.ASK:
            return False  # the default: no query about the sender on every message shown
        mailbox = detail.summary.mailbox_id
        account = next((m.account_id for m in self._store.mailboxes() if m.id == mailbox), None)
        return account is not None and remote_content_allowed(
            self._store, settings, account, detail.summary.sender_email
        )

    def show_placeholder(self, text: str | None = None) -> None:
        self._detail = None
        self._cid_parts = {}
        self.refused_urls = []
        message = text if text is not None else self.tr("No message selected.")
        grey = theme.secondary_text(self.palette()).name()
        self.setHtml(f'<p style="color: {grey}; margin: 24px;">{escape(message)}</p>')
        self.remoteBlocked.emit(0)

    def allow_remote_images(self) -> None:
        """Shows the current message's remote images (as links); other messages stay blocked."""
        if self._detail is not None:
            self._remote_allowed.add(self._detail.summary.id)
            self.show_message(self._detail)

    @property
    def detail(self) -> MessageDetail | None:
        return self._detail

    def show_message(self, detail: MessageDetail, missing_note: str | None = None) -> None:
        """``missing_note`` says what is going on when the body is not stored."""
        self._detail = detail
        self._cid_parts = {a.content_id: a for a in detail.attachments if a.content_id}
        self.refused_urls = []
        notes = list(detail.notes)
        blocked = 0
        message_id = detail.summary.id
        if not detail.body_available:
            note = missing_note or self.tr("This message is not available offline.")
            body = f"<p><i>{escape(note)}</i></p>"
        elif detail.html_body:
            # nh3 is loaded with the first HTML message, not for the window's first paint.
            from mailapp.core.html import sanitize_html

            if len(detail.html_body) > MAX_HTML_CHARS or message_id in self._too_complex:
                self._show_as_text(detail, notes)
                return
            allowed = message_id in self._remote_allowed or self._sender_trusted(detail)
            sanitized = sanitize_html(detail.html_body, allow_remote=allowed)
            if sanitized.layout_cost > LAYOUT_COST_LIMIT:
                self._show_as_text(detail, notes)
                return
            body = sanitized.html
            if allowed:
                body = remote_images_as_links(body, self.tr("image"))
            elif sanitized.blocked_remote:
                body = blocked_images_as_text(body, theme.secondary_text(self.palette()).name())
                blocked = sanitized.blocked_remote
            if blocked and self._note_blocked:
                notes.append(
                    self.tr(
                        "%n remote resources were blocked to protect your privacy.", "", blocked
                    )
                )
            started = time.perf_counter()
            self._set_body(detail, notes, body)
            self.document().size()  # lays the whole document out now, to time it
            if time.perf_counter() - started > self.layout_budget_s:
                self._show_as_text(detail, list(detail.notes))
                return
            self.remoteBlocked.emit(blocked)
            return
        elif detail.text_body:
            body = self._plain_text_body(detail.text_body, notes)
        else:
            body = f"<p><i>{escape(self.tr('This message has no text.'))}</i></p>"
        self._set_body(detail, notes, body)
        self.remoteBlocked.emit(blocked)

    def _show_as_text(self, detail: MessageDetail, notes: list[str]) -> None:
        """The budget's fallback: the sender's own text part if there is one, else the HTML's."""
        from mailapp.mime.text import html_to_text

        self._too_complex.add(detail.summary.id)  # never formatted again while the pane lives
        notes.append(
            self.tr("This message's formatting is too complex to show quickly; it is shown as "
                    "plain text.")
        )  # fmt: skip
        text = detail.text_body or html_to_text((detail.html_body or "")[:MAX_HTML_CHARS])
        self._set_body(detail, notes, self._plain_text_body(text, notes))
        self.remoteBlocked.emit(0)  # nothing remote is shown or loadable in plain text

    def _plain_text_body(self, text: str, notes: list[str]) -> str:
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS]
            notes.append(
                self.tr("This message is too long to show in full; only its beginning is shown.")
            )
        return plain_text_html(text)

    def _set_body(self, detail: MessageDetail, notes: list[str], body: str) -> None:
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
        if part is None or self._store is None:
            return None
        return self._store.attachment_data(part.id)

    @Slot(QUrl)
    def _open_link(self, url: QUrl) -> None:
        if url.scheme().lower() not in EXTERNAL_SCHEMES:
            return
        from mailapp.core.links import misleading_text

        # A click tells which link's text was seen; Enter on a link selects that text.
        text = self._clicked_text
        if text is None:
            text = self.textCursor().selectedText()
        target = bytes(url.toEncoded().data()).decode("ascii", "replace")
        if misleading_text(text, target) is not None and not ask_before_opening(
            self, text.strip(), url
        ):
            return
        QDesktopServices.openUrl(url)

    @Slot(QUrl)
    def _link_hovered(self, url: QUrl) -> None:
        self.linkHovered.emit("" if url.isEmpty() else display_url(url))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        # The base class emits anchorClicked from here, with the link's URL only.
        self._clicked_text = anchor_text_at(self, event.position().toPoint())
        try:
            super().mouseReleaseEvent(event)
        finally:
            self._clicked_text = None

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            href = self.anchorAt(event.pos())
            if href:  # the real target, never the link's own title, which the sender wrote
                QToolTip.showText(event.globalPos(), display_url(QUrl(href)), self.viewport())
                return True
        return super().viewportEvent(event)

    def _header_html(self, detail: MessageDetail) -> str:
        from mailapp.core.addresses import Address  # email.utils: not for the first paint

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
        grey = theme.secondary_text(self.palette()).name()
        cells = "".join(
            f'<tr><td style="color: {grey}; padding-right: 8px;">{escape(label)}</td>'
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
        palette = self.palette()
        background = theme.tinted(palette, theme.WARNING)
        text = theme.readable(palette.color(QPalette.ColorRole.Text), background)
        return (
            '<table width="100%" cellpadding="6" '
            f'style="background-color: {background.name()}; color: {text.name()};">'
            f'<tr><td><ul style="margin: 0;">{items}</ul></td></tr></table>'
        )

    def _attachments_html(self, detail: MessageDetail) -> str:
        listed = [a for a in detail.attachments if not a.inline]
        if not listed or not self._list_attachments:
            return ""
        items = "".join(f"<li>{escape(a.filename)} ({escape(_size(a.size))})</li>" for a in listed)
        title = escape(self.tr("Attachments"))
        return f"<hr/><p><b>{title}</b></p><ul>{items}</ul>"

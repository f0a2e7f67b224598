"""The composer's text: a QTextEdit with a small format bar (bold, italic, lists, links, quote
levels), and the two parts a message is sent as.

Both parts are written from one walk over the document, not from QTextEdit.toHtml(), whose
output is Qt's own dialect (``-qt-`` styles, a full page with a style sheet): the HTML part has
only ``p``, ``b``, ``i``, ``a``, ``ul``/``ol``/``li`` and ``blockquote type="cite"`` and then
goes through the same sanitiser as mail being read; the plain-text part quotes with "> ", writes
list items as "* " and "1. ", and links as "text <url>", as Thunderbird's plain-text part does.

Quote levels are a block property; on loading HTML back (a draft reopened), Qt turns each
``blockquote`` into a left margin, from which the level is read again.

As Thunderbird's "auto-detect" sending, a message without any formatting goes out as plain text
alone; with formatting, as multipart/alternative.
"""

from __future__ import annotations

import html as html_lib

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import (
    QAction,
    QFont,
    QKeySequence,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextListFormat,
)
from PySide6.QtWidgets import QInputDialog, QTextEdit, QToolBar, QVBoxLayout, QWidget

from mailapp.core.html import sanitize_html

# QTextFormat.UserProperty + 1: how many quote levels a paragraph is inside.
QUOTE_LEVEL = 0x100000 + 1
# Qt's HTML reader gives a blockquote this left margin per level (and the document writes it).
_QUOTE_MARGIN = 40.0


def quote_level(block: QTextBlock) -> int:
    fmt = block.blockFormat()
    level = fmt.property(QUOTE_LEVEL)
    if isinstance(level, int):
        return level
    return round(fmt.leftMargin() / _QUOTE_MARGIN) if block.textList() is None else 0


def _fragments(block: QTextBlock) -> list[tuple[str, bool, bool, str]]:
    """(text, bold, italic, link) runs of one paragraph."""
    runs = []
    it = block.begin()
    while not it.atEnd():
        fragment = it.fragment()
        if fragment.isValid():
            fmt = fragment.charFormat()
            bold = fmt.fontWeight() >= QFont.Weight.Bold.value
            link = fmt.anchorHref() if fmt.isAnchor() else ""
            runs.append((fragment.text(), bold, fmt.fontItalic(), link))
        it += 1
    return runs


def _has_formatting(edit: QTextEdit) -> bool:
    block = edit.document().begin()
    while block.isValid():
        if block.textList() is not None or quote_level(block) > 0:
            return True
        if any(bold or italic or link for _t, bold, italic, link in _fragments(block)):
            return True
        block = block.next()
    return False


def document_parts(edit: QTextEdit, *, html: bool = False) -> tuple[str, str | None]:
    """(plain text, HTML or None): None when nothing in the text is formatted, unless
    ``html`` (a text that came as HTML stays HTML)."""
    lines: list[str] = []
    out: list[str] = []
    open_quotes = 0
    open_list: tuple[object, str] | None = None
    block = edit.document().begin()
    while block.isValid():
        level = quote_level(block)
        text_list = block.textList()
        # An empty item read back from HTML holds the "<br>" it was written with: nothing.
        runs = _fragments(block) if block.text() != "\u2028" else []
        # -- plain text
        plain = "".join(
            text if not link or link == text else f"{text} <{link}>" for text, _b, _i, link in runs
        ).replace("\u2028", "\n")
        if text_list is not None:
            number = text_list.itemNumber(block) + 1
            ordered = text_list.format().style() in (
                QTextListFormat.Style.ListDecimal,
                QTextListFormat.Style.ListLowerAlpha,
                QTextListFormat.Style.ListUpperAlpha,
            )
            plain = (f"{number}. " if ordered else "* ") + plain
        # Nested quotes as mail clients write them: ">> text"; a quoted empty line is ">".
        lines.append((">" * level + " " + plain).rstrip() if level else plain)
        # -- HTML
        if open_list is not None and open_list[0] is not text_list:
            out.append(f"</{open_list[1]}>")
            open_list = None
        while open_quotes > level:
            out.append("</blockquote>")
            open_quotes -= 1
        while open_quotes < level:
            out.append('<blockquote type="cite">')
            open_quotes += 1
        body = "".join(_html_run(*run) for run in runs) or "<br>"
        if text_list is not None:
            if open_list is None:
                tag = "ol" if plain[:1].isdigit() else "ul"
                out.append(f"<{tag}>")
                open_list = (text_list, tag)
            out.append(f"<li>{body}</li>")
        else:
            out.append(f"<p>{body}</p>")
        block = block.next()
    if open_list is not None:
        out.append(f"</{open_list[1]}>")
    out.extend("</blockquote>" for _ in range(open_quotes))
    plain_text = "\n".join(lines)
    if not html and not _has_formatting(edit):
        return plain_text, None
    page = "<html><body>" + "".join(out) + "</body></html>"
    return plain_text, sanitize_html(page).html


def _html_run(text: str, bold: bool, italic: bool, link: str) -> str:
    value = html_lib.escape(text).replace("\u2028", "<br>")
    if italic:
        value = f"<i>{value}</i>"
    if bold:
        value = f"<b>{value}</b>"
    if link:
        value = f'<a href="{html_lib.escape(link, quote=True)}">{value}</a>'
    return value


class RichTextEdit(QWidget):
    """The message text with its format bar; ``rich`` False hides the bar (plain-text mode)."""

    textChanged = Signal()

    def __init__(self, *, rich: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rich = rich
        self.loaded_html = False  # a text loaded as HTML is saved as HTML again
        self.edit = QTextEdit()
        self.edit.setAcceptRichText(rich)
        self.edit.setTabChangesFocus(True)
        self.edit.textChanged.connect(self.textChanged)
        self.toolbar = QToolBar(self.tr("Format"))
        self.toolbar.setObjectName("formatBar")
        self.bold = self._action(self.tr("Bold"), "Ctrl+B", self._toggle_bold, checkable=True)
        self.italic = self._action(self.tr("Italic"), "Ctrl+I", self._toggle_italic, checkable=True)
        self.bullets = self._action(
            self.tr("Bullet List"),
            "Ctrl+Shift+8",
            lambda: self._list(QTextListFormat.Style.ListDisc),
        )
        self.numbers = self._action(
            self.tr("Numbered List"),
            "Ctrl+Shift+7",
            lambda: self._list(QTextListFormat.Style.ListDecimal),
        )
        self.link = self._action(self.tr("Link…"), "Ctrl+K", self._ask_link)
        self.quote_more = self._action(self.tr("Quote"), "Ctrl+Shift+.", lambda: self.quote(1))
        self.quote_less = self._action(self.tr("Unquote"), "Ctrl+Shift+,", lambda: self.quote(-1))
        for action in (self.bold, self.italic):
            font = action.font()
            font.setBold(action is self.bold)
            font.setItalic(action is self.italic)
            action.setFont(font)
        self.edit.currentCharFormatChanged.connect(self._show_format)
        self.toolbar.setVisible(rich)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.edit, 1)

    def _action(self, text: str, keys: str, slot: object, *, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(keys))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.setCheckable(checkable)
        action.setEnabled(self.rich)
        action.triggered.connect(slot)
        self.toolbar.addAction(action)
        self.addAction(action)  # the shortcut works while the text has the focus
        return action

    # -- contents --------------------------------------------------------------------------

    def set_content(self, text: str, html: str | None) -> None:
        """Show a stored text: its HTML (sanitised, as any mail) in rich mode, else the plain
        text, whose "> " lines become quote levels in rich mode."""
        self.loaded_html = bool(self.rich and html)
        if self.rich and html:
            self.edit.setHtml(sanitize_html(html).html)
            return
        self.edit.setPlainText(text)
        if not self.rich:
            return
        cursor = QTextCursor(self.edit.document())
        block = self.edit.document().begin()
        cursor.beginEditBlock()
        while block.isValid():
            line = block.text()
            marks = len(line) - len(line.lstrip(">"))
            if marks:
                cursor.setPosition(block.position())
                cursor.setPosition(
                    block.position() + marks + (line[marks : marks + 1] == " "),
                    QTextCursor.MoveMode.KeepAnchor,
                )
                cursor.removeSelectedText()
                self._set_level(block, marks)
            block = block.next()
        cursor.endEditBlock()

    def parts(self) -> tuple[str, str | None]:
        if not self.rich:
            return self.edit.toPlainText(), None
        return document_parts(self.edit, html=self.loaded_html)

    def plain_text(self) -> str:
        return self.parts()[0]

    # -- formatting ------------------------------------------------------------------------

    def _merge(self, fmt: QTextCharFormat) -> None:
        # The selection, or else what is typed from here on (not the word the cursor touches:
        # Bold at the end of a word starts bold text after it).
        self.edit.mergeCurrentCharFormat(fmt)

    @Slot()
    def _toggle_bold(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontWeight(QFont.Weight.Bold if self.bold.isChecked() else QFont.Weight.Normal)
        self._merge(fmt)

    @Slot()
    def _toggle_italic(self) -> None:
        fmt = QTextCharFormat()
        fmt.setFontItalic(self.italic.isChecked())
        self._merge(fmt)

    def _list(self, style: QTextListFormat.Style) -> None:
        cursor = self.edit.textCursor()
        current = cursor.currentList()
        if current is not None and current.format().style() == style:
            # The same button again takes this paragraph out of the list, as word processors do.
            current.remove(cursor.block())
            fmt = QTextBlockFormat()
            fmt.setIndent(0)
            cursor.mergeBlockFormat(fmt)
            return
        list_format = QTextListFormat()
        list_format.setStyle(style)
        cursor.createList(list_format)

    @Slot()
    def _ask_link(self) -> None:
        url, ok = QInputDialog.getText(self, self.tr("Insert Link"), self.tr("Address (URL):"))
        if ok and url.strip():
            self.insert_link(url.strip())

    def insert_link(self, url: str) -> None:
        cursor = self.edit.textCursor()
        fmt = QTextCharFormat()
        fmt.setAnchor(True)
        fmt.setAnchorHref(url)
        fmt.setFontUnderline(True)
        if cursor.hasSelection():
            cursor.mergeCharFormat(fmt)
        else:
            cursor.insertText(url, fmt)
        # What is typed next is no longer part of the link.
        cursor.setPosition(cursor.selectionEnd())
        self.edit.setTextCursor(cursor)
        self.edit.setCurrentCharFormat(QTextCharFormat())

    def quote(self, step: int) -> None:
        """One quote level more (or less) for the paragraphs under the cursor."""
        cursor = self.edit.textCursor()
        document = self.edit.document()
        first = document.findBlock(cursor.selectionStart())
        last = document.findBlock(cursor.selectionEnd())
        block = first
        while block.isValid():
            self._set_level(block, max(0, quote_level(block) + step))
            if block == last:
                break
            block = block.next()

    def _set_level(self, block: QTextBlock, level: int) -> None:
        fmt = QTextBlockFormat()
        fmt.setProperty(QUOTE_LEVEL, level)
        fmt.setLeftMargin(_QUOTE_MARGIN * level)
        QTextCursor(block).mergeBlockFormat(fmt)

    @Slot(QTextCharFormat)
    def _show_format(self, fmt: QTextCharFormat) -> None:
        self.bold.setChecked(fmt.fontWeight() >= QFont.Weight.Bold.value)
        self.italic.setChecked(fmt.fontItalic())

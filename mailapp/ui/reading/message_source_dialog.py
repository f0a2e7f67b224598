"""The message source window: a message as received, headers and all (View → Message Source)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QVBoxLayout, QWidget

SOURCE_SIZE = (820, 640)


def source_text(raw: bytes) -> str:
    """The bytes as text: UTF-8 where they are (8-bit bodies), Latin-1 byte for byte otherwise,
    so that nothing is hidden or dropped."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class SourceDialog(QDialog):
    """The message as received, headers and all, in a fixed-width font; read-only."""

    def __init__(self, subject: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("messageSource")
        self.setWindowTitle(self.tr("Source of “{subject}”").format(subject=subject))
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setAccessibleName(self.tr("Message source"))
        self.text.setPlainText(self.tr("Loading the message source…"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.resize(*SOURCE_SIZE)

    def show_source(self, raw: bytes) -> None:
        self.text.setPlainText(source_text(raw))

    def show_failure(self, why: str) -> None:
        self.text.setPlainText(self.tr("The source could not be loaded: {why}.").format(why=why))

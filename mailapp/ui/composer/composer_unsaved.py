"""What a composer shows and offers while the store cannot take its text (a full disk, say).

The window stays open (it refuses to close while its text is stored nowhere), a bar says why
and that Mail keeps trying, and "Save as File…" writes the message as an ``.eml`` file wherever
the user picks, built with the same MIME composer that sends mail.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QStandardPaths, Qt, Signal, Slot
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from mailapp.core.addresses import Address
from mailapp.mime.compose import compose_message
from mailapp.mime.filenames import safe_filename
from mailapp.mime.parse import Attachment
from mailapp.store import DraftInput
from mailapp.ui.common import theme


def draft_as_eml(sender: Address, draft: DraftInput) -> bytes:
    """The draft as an RFC 5322 message, ready to open in any mail program; From is the
    draft's identity when it has one, else ``sender``."""
    return compose_message(
        draft.from_address or sender,
        draft.to,
        draft.cc,
        draft.bcc,
        subject=draft.subject,
        text_body=draft.body,
        html_body=draft.html_body,
        attachments=[
            Attachment(name, content_type, len(data), None, False, data)
            for name, content_type, data in draft.attachments
        ],
        in_reply_to=draft.in_reply_to,
        references=draft.references,
    )


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a full disk must not leave half a file
    under the name the user chose)."""
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        partial.replace(path)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


class UnsavedBar(QFrame):
    """The bar "This message is not saved: <why>", with a "Save as File…" button."""

    saveAsFileRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("composerUnsaved")
        self.setStyleSheet(theme.notice_style("QFrame#composerUnsaved", theme.ERROR))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Not saved"))
        self.save_as_file_button = QPushButton(self.tr("Save as File…"))
        self.save_as_file_button.clicked.connect(self.saveAsFileRequested)
        layout = QHBoxLayout(self)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.save_as_file_button)
        self.reason = ""
        self.hide()

    def show_reason(self, reason: str, *, closing: bool) -> None:
        self.reason = reason
        if closing:
            first = self.tr(
                "This window stays open: its latest text is not saved anywhere yet ({reason})."
            ).format(reason=reason)
        else:
            first = self.tr("The latest changes are not saved: {reason}.").format(reason=reason)
        then = self.tr("Mail tries again every few seconds. To keep a copy now, save it as a file.")
        text = f"{first} {then}"
        self.message.setText(text)
        self.show()


def eml_file_dialog(parent: QWidget, subject: str) -> QFileDialog:
    """A save dialog for the message as an .eml file, opened window-modal (the app keeps
    running, so the retries go on meanwhile)."""
    dialog = QFileDialog(parent, QCoreApplication.translate("UnsavedBar", "Save Message as File"))
    dialog.setObjectName("saveAsFileDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(QCoreApplication.translate("UnsavedBar", "Email messages (*.eml)"))
    dialog.setDefaultSuffix("eml")
    folder = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())
    dialog.setDirectory(folder)
    name = safe_filename(
        subject.strip() or QCoreApplication.translate("UnsavedBar", "Message"), "message/rfc822"
    )
    dialog.selectFile(name if name.lower().endswith(".eml") else f"{name}.eml")
    return dialog


class FileCopy(QObject):
    """Save as File…: the message written as an .eml wherever the user picks; remembers what
    it wrote, so the window may close while that copy still holds all of its text."""

    def __init__(
        self, composer: QWidget, sender: Address, contents: Callable[[], DraftInput]
    ) -> None:
        super().__init__(composer)
        self._composer = composer
        self._sender = sender
        self._contents = contents
        self.written: DraftInput | None = None

    def holds(self, contents: DraftInput) -> bool:
        return self.written is not None and self.written == contents

    @Slot()
    def choose_file(self) -> None:
        dialog = eml_file_dialog(self._composer, self._contents().subject)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda name: self.save(Path(name)))
        dialog.open()

    def save(self, path: Path) -> bool:
        """Write the file; the composer says what happened (show_error / show_info)."""
        contents = self._contents()
        composer = self._composer
        try:
            write_file(path, draft_as_eml(self._sender, contents))
        except OSError as error:
            composer.show_error(  # type: ignore[attr-defined]
                self.tr(
                    "Could not write {file}: {reason}. Choose another place, such as another "
                    "disk or a USB stick."
                ).format(file=path, reason=error.strerror or error)
            )
            return False
        self.written = contents
        composer.clear_error()  # type: ignore[attr-defined]
        composer.show_info(  # type: ignore[attr-defined]
            self.tr("A copy of this message was saved as {file}.").format(file=path)
        )
        return True

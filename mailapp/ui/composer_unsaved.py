"""What a composer shows and offers while the store cannot take its text (a full disk, say).

The window stays open (it refuses to close while its text is stored nowhere), a bar says why
and that Mail keeps trying, and "Save as File…" writes the message as an ``.eml`` file wherever
the user picks, built with the same MIME composer that sends mail.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from mailapp.core.addresses import Address
from mailapp.core.filenames import safe_filename
from mailapp.core.mime import Attachment, compose_message
from mailapp.store import DraftInput


def draft_as_eml(sender: Address, draft: DraftInput) -> bytes:
    """The draft as an RFC 5322 message, ready to open in any mail program."""
    return compose_message(
        sender,
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
        self.setStyleSheet(
            "QFrame#composerUnsaved { background: #fdecea; border: 1px solid #e6b3ad;"
            " border-radius: 4px; } QLabel { color: #8a1f11; }"
        )
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
        text = self.tr(
            "This message is not saved: {reason}. Mail tries again every few seconds and keeps "
            "this window open until it is saved. To keep a copy elsewhere now, save it as a file."
        ).format(reason=reason)
        if closing:
            text = self.tr("The window stays open: its text is stored nowhere else.") + " " + text
        self.message.setText(text)
        self.show()


def eml_file_dialog(parent: QWidget, subject: str) -> QFileDialog:
    """A save dialog for the message as an .eml file, opened window-modal (the app keeps
    running, so the retries go on meanwhile)."""
    dialog = QFileDialog(parent, parent.tr("Save Message as File"))
    dialog.setObjectName("saveAsFileDialog")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setFileMode(QFileDialog.FileMode.AnyFile)
    dialog.setNameFilter(parent.tr("Email messages (*.eml)"))
    dialog.setDefaultSuffix("eml")
    folder = QStandardPaths.writableLocation(
        QStandardPaths.StandardLocation.DocumentsLocation
    ) or str(Path.home())
    dialog.setDirectory(folder)
    name = safe_filename(subject.strip() or parent.tr("Message"), "message/rfc822")
    dialog.selectFile(name if name.lower().endswith(".eml") else f"{name}.eml")
    return dialog


def close_composers(owner: QWidget) -> bool:
    """Close the composer windows ``owner`` opened (each saves as it closes); False when one
    stays open because its text could not be stored, so that the owner stays open too."""
    from mailapp.ui.composer import Composer  # composer imports this module

    kept = False
    for composer in owner.findChildren(Composer):
        if composer.isVisible() and not composer.close():
            kept = True
    return not kept

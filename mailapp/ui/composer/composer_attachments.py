"""The files a composer attaches: the list under the text, Attach…, and the size limit."""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QToolButton,
    QWidget,
)

from mailapp.ui.common import icons


class ComposerAttachments(QWidget):
    """The row listing the attached files (hidden while there are none), with a remove button;
    ``attach_button`` is placed by the composer among its own buttons."""

    changed = Signal()  # a file was added or removed
    refused = Signal(str)  # why files were not attached

    def __init__(
        self, files: Sequence[tuple[str, str, bytes]], max_bytes: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.files: list[tuple[str, str, bytes]] = list(files)
        self.max_bytes = max_bytes
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Attachments"))
        self.list.setMaximumHeight(72)
        self.attach_button = QPushButton(self.tr("Attach…"))
        self.attach_button.setIcon(icons.icon(icons.ATTACHMENT))
        self.attach_button.clicked.connect(self._choose_files)
        self.remove_button = QToolButton()
        self.remove_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_DialogDiscardButton)
        )
        self.remove_button.setAccessibleName(self.tr("Remove attachment"))
        self.remove_button.setToolTip(self.tr("Remove the selected attachment"))
        self.remove_button.clicked.connect(self.remove_selected)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        self.refresh()

    def refresh(self) -> None:
        self.list.clear()
        locale = QLocale()
        for name, _content_type, data in self.files:
            item = QListWidgetItem(
                icons.icon(icons.ATTACHMENT), f"{name} ({locale.formattedDataSize(len(data))})"
            )
            self.list.addItem(item)
        self.setVisible(bool(self.files))

    @Slot()
    def _choose_files(self) -> None:
        files, _filter = QFileDialog.getOpenFileNames(self.window(), self.tr("Attach Files"))
        if files:
            self.add_files([Path(f) for f in files])

    def add_files(self, paths: Sequence[Path]) -> bool:
        """Attach files; refuses (with a message, attaching none) any above the size limit."""
        too_big = [p for p in paths if p.stat().st_size > self.max_bytes]
        if too_big:
            self.refused.emit(self.too_big_message(too_big[0].name, too_big[0].stat().st_size))
            return False
        for path in paths:
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            self.files.append((path.name, content_type, path.read_bytes()))
        self.refresh()
        self.changed.emit()
        return True

    @Slot()
    def remove_selected(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.files):
            del self.files[row]
            self.refresh()
            self.changed.emit()

    def problem(self) -> str | None:
        """Why the attachments cannot be sent as they are (one above the limit), or None."""
        for name, _type, data in self.files:
            if len(data) > self.max_bytes:
                return self.too_big_message(name, len(data))
        return None

    def too_big_message(self, name: str, size: int) -> str:
        locale = QLocale()
        return self.tr("“{name}” is {size}; the server accepts attachments up to {limit}.").format(
            name=name,
            size=locale.formattedDataSize(size),
            limit=locale.formattedDataSize(self.max_bytes),
        )

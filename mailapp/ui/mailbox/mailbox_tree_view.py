"""The mailbox tree widget: accepts messages dragged from the list and drops them as a move."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QTreeView, QWidget

from mailapp.ui.mailbox.mailbox_tree_model import MAILBOX_ID_ROLE, OUTBOX_ID

if TYPE_CHECKING:  # annotations only: each PySide class costs start-up time to create
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

MESSAGE_IDS_MIME = "application/x-mailapp-message-ids"


def message_ids_mime(message_ids: list[str]) -> QMimeData:
    import json  # here, as below: ~2 ms of imports a start does not need before a drag

    data = QMimeData()
    data.setData(MESSAGE_IDS_MIME, json.dumps(message_ids).encode())
    return data


def message_ids_from(data: QMimeData) -> list[str]:
    if not data.hasFormat(MESSAGE_IDS_MIME):
        return []
    import json

    try:
        ids = json.loads(bytes(data.data(MESSAGE_IDS_MIME).data()).decode())
    except ValueError:
        return []
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []


def eml_paths_from(data: QMimeData) -> list[str]:
    """The local .eml files among dropped URLs (a file manager's drag)."""
    if not data.hasUrls():
        return []
    return [
        url.toLocalFile()
        for url in data.urls()
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".eml")
    ]


class MailboxTreeView(QTreeView):
    """Emits `messagesDropped(message_ids, mailbox_id)` when messages are dropped on a mailbox,
    `emlFilesDropped(paths, mailbox_id)` when .eml files are."""

    messagesDropped = Signal(list, str)
    emlFilesDropped = Signal(list, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Mailboxes"))
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def _target(self, event: QDragMoveEvent | QDropEvent) -> str | None:
        data = event.mimeData()
        if not message_ids_from(data) and not eml_paths_from(data):
            return None
        index = self.indexAt(event.position().toPoint())
        mailbox_id = index.data(MAILBOX_ID_ROLE) if index.isValid() else None
        return mailbox_id if isinstance(mailbox_id, str) and mailbox_id != OUTBOX_ID else None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if message_ids_from(event.mimeData()) or eml_paths_from(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._target(event) is not None:
            # Files are copied in; messages move.
            files = not message_ids_from(event.mimeData())
            event.setDropAction(Qt.DropAction.CopyAction if files else Qt.DropAction.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        target = self._target(event)
        if target is None:
            event.ignore()
            return
        message_ids = message_ids_from(event.mimeData())
        if not message_ids:
            event.setDropAction(Qt.DropAction.CopyAction)
            event.accept()
            self.emlFilesDropped.emit(eml_paths_from(event.mimeData()), target)
            return
        event.setDropAction(Qt.DropAction.MoveAction)
        event.accept()
        self.messagesDropped.emit(message_ids, target)

"""The reading pane with its bars: remote content blocked above, attachments below, and bodies
not stored yet asked of the sync thread (`MessageView`, shown by the main window and a message's
own window). The pane itself, and what it will and will not load, is `reading_pane`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from mailapp.ui.reading.body_download import BodyDownloads
from mailapp.ui.reading.reading_pane import ReadingPane

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.store.rows import ChangeSet, MessageDetail  # created on first use
    from mailapp.ui.reading.attachments import AttachmentBar


class MessageView(QWidget):
    """The reading pane with its bars: "Remote images blocked [Load]" above, attachments below.

    Made with `store=None` for the window's first screen, before the store is open: the
    attachment bar (and its module) is then added by `attach_store()`, after the first paint.
    """

    def __init__(self, store: MailStore | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pane = ReadingPane(store, in_bars=True)
        self.remote_bar = QFrame()
        self.remote_bar.setObjectName("remoteBar")
        self.remote_bar.setFrameShape(QFrame.Shape.StyledPanel)
        self.remote_label = QLabel(self.tr("Remote images were blocked to protect your privacy."))
        self.load_remote_button = QPushButton(self.tr("Load"))
        self.load_remote_button.setToolTip(self.tr("Show this message's remote images as links"))
        self.load_remote_button.clicked.connect(self.pane.allow_remote_images)
        bar_layout = QHBoxLayout(self.remote_bar)
        bar_layout.setContentsMargins(8, 2, 8, 2)
        bar_layout.addWidget(self.remote_label, 1)
        bar_layout.addWidget(self.load_remote_button)
        self.remote_bar.hide()
        self.attachments: AttachmentBar | None = None
        self._store: MailStore | None = None
        self.bodies = BodyDownloads(self)
        self.bodies.noteChanged.connect(self._body_note_changed)

        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.remote_bar)
        self._layout.addWidget(self.pane, 1)
        self.pane.remoteBlocked.connect(self._remote_blocked)
        if store is not None:
            self.attach_store(store)

    def attach_store(self, store: MailStore) -> None:
        from mailapp.ui.reading.attachments import AttachmentBar  # keeps the pane importable alone

        self.pane.attach_store(store)
        self._store = store
        self.attachments = AttachmentBar(store)
        self._layout.addWidget(self.attachments)

    def attach_downloads(self, controller: object) -> None:
        """Bodies not stored are asked of ``controller`` (a SyncController) when shown."""
        self.bodies.attach(controller)
        shown = self.pane.detail
        if shown is not None and not shown.body_available:
            self.show_message(shown)

    def show_message(self, detail: MessageDetail) -> None:
        note = None if detail.body_available else self.bodies.note_for(detail.summary.id)
        self.pane.show_message(detail, note)
        if self.attachments is not None:
            self.attachments.set_attachments(detail.attachments)

    def show_placeholder(self, text: str | None = None) -> None:
        self.pane.show_placeholder(text)
        if self.attachments is not None:
            self.attachments.set_attachments([])

    @property
    def message_id(self) -> str | None:
        return self.pane.message_id

    def store_changed(self, changes: ChangeSet) -> None:
        """Shows a body that was being downloaded once it is stored."""
        for message_id in self.bodies.arrived(changes):
            detail = self._store.message(message_id) if self._store is not None else None
            if detail is not None and not detail.body_available:
                continue
            self.bodies.done(message_id)
            if detail is not None and message_id == self.pane.message_id:
                self.show_message(detail)

    @Slot(str)
    def _body_note_changed(self, message_id: str) -> None:
        shown = self.pane.detail
        if shown is not None and shown.summary.id == message_id and not shown.body_available:
            self.pane.show_message(shown, self.bodies.note_for(message_id))

    @Slot(int)
    def _remote_blocked(self, count: int) -> None:
        self.remote_bar.setVisible(count > 0)

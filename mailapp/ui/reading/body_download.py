"""Bodies not stored yet (mail older than the prefetch window): asked of the sync thread.

The reading pane never touches the network. When it shows a message without its body, this asks
the sync controller for it once per message, and says what is going on instead of the text:
downloading, waiting for the connection (the sync thread keeps the wish and fetches it after
reconnecting), trying again (the server did not answer in time; it retries within seconds), or
why it failed. The body arrives as a store change for that message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal, Slot

if TYPE_CHECKING:
    from mailapp.store.rows import ChangeSet


class BodyDownloads(QObject):
    requested = Signal(str)  # a message id whose body is wanted
    noteChanged = Signal(str)  # a message id whose note (downloading/offline/failed) changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.active = False
        # message id -> the note shown instead of its body while it is asked for
        self._pending: dict[str, str] = {}
        self._failed: dict[str, str] = {}

    def attach(self, controller: object) -> None:
        """``controller`` (a SyncController): its fetch_body slot is asked; bodyOffline,
        bodyRetrying and bodyFailed answer, the body itself arrives as a store change."""
        self.requested.connect(controller.fetch_body)  # type: ignore[attr-defined]
        controller.bodyOffline.connect(self._offline)  # type: ignore[attr-defined]
        controller.bodyRetrying.connect(self._retrying)  # type: ignore[attr-defined]
        controller.bodyFailed.connect(self._failed_with)  # type: ignore[attr-defined]
        self.active = True

    def note_for(self, message_id: str) -> str | None:
        """The note to show for a message without its body, asking for it if not pending;
        None when there is nobody to ask."""
        if not self.active:
            return None
        failed = self._failed.pop(message_id, None)
        if failed is not None:
            return failed  # shown once; selecting the message again retries
        note = self._pending.get(message_id)
        if note is None:
            note = self._pending[message_id] = self.tr("Downloading this message…")
            self.requested.emit(message_id)
        return note

    def is_pending(self, message_id: str) -> bool:
        return message_id in self._pending

    def arrived(self, changes: ChangeSet) -> list[str]:
        """The pending ids this change touched (their body may be stored now)."""
        return [m for m in changes.messages if m in self._pending]

    def done(self, message_id: str) -> None:
        self._pending.pop(message_id, None)

    @Slot(str)
    def _offline(self, message_id: str) -> None:
        if message_id not in self._pending:
            return
        self._pending[message_id] = self.tr(
            "This message is not available offline — it will download when you're back online."
        )
        self.noteChanged.emit(message_id)

    @Slot(str, str)
    def _retrying(self, message_id: str, why: str) -> None:
        if message_id not in self._pending:
            return
        self._pending[message_id] = self.tr(
            "This message could not be downloaded yet (%1) — trying again shortly."
        ).replace("%1", why.rstrip("."))
        self.noteChanged.emit(message_id)

    @Slot(str, str)
    def _failed_with(self, message_id: str, why: str) -> None:
        if self._pending.pop(message_id, None) is None:
            return
        self._failed[message_id] = self.tr("Could not download this message: %1").replace("%1", why)
        self.noteChanged.emit(message_id)

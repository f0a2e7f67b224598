"""Picking a time for "Send later", and the notice that offers to undo a send."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QDateTime, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailapp.store import MailStore
from mailapp.store.outbox_admin import undo_send


class SendLaterDialog(QDialog):
    """Choose when the server should send; times are shown in local time, stored in UTC."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Send Later"))
        now = QDateTime.currentDateTime()
        self.when = QDateTimeEdit(now.addSecs(3600))
        self.when.setCalendarPopup(True)
        self.when.setMinimumDateTime(now)
        self.when.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        self.when.setAccessibleName(self.tr("Send at"))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("Schedule"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(self.tr("Send this message at:")))
        layout.addWidget(self.when)
        layout.addWidget(buttons)
        self.setMinimumWidth(320)

    def send_at(self) -> datetime:
        return datetime.fromtimestamp(self.when.dateTime().toSecsSinceEpoch(), UTC)


class UndoSendNotice(QFrame):
    """Stays for the undo delay; Undo takes the message back and reopens it in a composer."""

    undone = Signal(str)  # the draft id, back in Drafts

    def __init__(
        self,
        store: MailStore,
        submission_id: str,
        subject: str,
        *,
        seconds: float,
        send_at: datetime | None,
        reopen: Callable[[str], QWidget],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # A small window of its own: the composer that sent it is already closed.
        self.setWindowFlag(Qt.WindowType.Tool)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setObjectName("undoSendNotice")
        self.setWindowTitle(self.tr("Message queued"))
        self._store = store
        self._submission_id = submission_id
        self._reopen = reopen
        self._deadline = datetime.now(UTC) + timedelta(seconds=seconds)
        self._scheduled = send_at
        self._subject = subject or self.tr("(no subject)")
        self.reopened: QWidget | None = None

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.undo_button = QPushButton(self.tr("Undo"))
        self.undo_button.clicked.connect(self.undo)
        layout = QHBoxLayout(self)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.undo_button)
        self.setMinimumWidth(380)

        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._update)
        self._tick.start()
        self._update()

    def showEvent(self, event: QShowEvent) -> None:
        # Bottom centre of the main window, where a toast is expected.
        owner = self.parentWidget()
        if owner is not None:
            frame = owner.frameGeometry()
            self.adjustSize()
            self.move(frame.center().x() - self.width() // 2, frame.bottom() - self.height() - 48)
        super().showEvent(event)

    def remaining_seconds(self) -> float:
        return max(0.0, (self._deadline - datetime.now(UTC)).total_seconds())

    @Slot()
    def _update(self) -> None:
        left = self.remaining_seconds()
        if left <= 0:
            self._tick.stop()
            self.close()
            return
        if self._scheduled is not None:
            when = self._scheduled.astimezone().strftime("%a %d %b %H:%M")
            self.message.setText(
                self.tr("“{subject}” will be sent {when}.").format(subject=self._subject, when=when)
            )
        else:
            self.message.setText(
                self.tr("Sending “{subject}” in {seconds} s.").format(
                    subject=self._subject, seconds=math.ceil(left)
                )
            )

    @Slot()
    def undo(self) -> None:
        self._tick.stop()
        draft_id = undo_send(self._store, self._submission_id)
        self.reopened = self._reopen(draft_id)
        self.undone.emit(draft_id)
        self.close()

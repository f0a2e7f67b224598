"""Checking a composer's message and sending it (a mixin of ``Composer``).

Send queues the submission with ``sendAt`` = now + the undo delay, so the server holds the
message for that long; Undo drops the submission (or cancels it on the server) and reopens the
draft. Invalid input (recipients, the From identity's name, attachments) is refused in the window
before anything is queued.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QCoreApplication, Qt, Slot
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from mailapp.core.addresses import AddressError
from mailapp.mime.addresses import address_problem
from mailapp.store import MailStore
from mailapp.store.errors import StoreError
from mailapp.store.outbox_admin import mark_composer_closed
from mailapp.ui.common.crash_reporting import log
from mailapp.ui.composer.composer_attachments import ComposerAttachments
from mailapp.ui.composer.composer_autosave import AutosaveTimers, why_not_saved
from mailapp.ui.composer.composer_fields import AddressLineEdit
from mailapp.ui.composer.composer_identity import IdentityChooser
from mailapp.ui.composer.composer_send import SendLaterDialog, UndoSendNotice

# Give Undo a moment beyond the notice, so a last-second click still reaches the server in time.
_UNDO_MARGIN = timedelta(seconds=5)


class ComposerSending(QWidget):
    """The composer's send half; ``Composer`` sets up the widgets and state used here."""

    _store: MailStore
    _account_id: str
    _undo_seconds: float
    _dirty: bool
    _finished: bool
    _autosave: AutosaveTimers
    error_label: QLabel
    info_label: QLabel
    to_field: AddressLineEdit
    cc_field: AddressLineEdit
    bcc_field: AddressLineEdit
    subject_field: QLineEdit
    from_field: IdentityChooser
    attachments: ComposerAttachments
    undo_notice: UndoSendNotice | None
    save: Callable[[], str | None]  # ComposerSaving.save
    # Composer._reopener: it opens a composer again, which only composer.py can (it imports us)
    _reopener: Callable[[], Callable[[str], QWidget]]

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def show_info(self, message: str) -> None:
        self.info_label.setText(message)
        self.info_label.show()

    def clear_error(self) -> None:
        self.error_label.clear()
        self.error_label.hide()

    def validation_problem(self) -> str | None:
        """Why this message cannot be sent as it is, or None."""
        recipients = 0
        for label, line in (
            (QCoreApplication.translate("Composer", "To"), self.to_field),
            (QCoreApplication.translate("Composer", "Cc"), self.cc_field),
            (QCoreApplication.translate("Composer", "Bcc"), self.bcc_field),
        ):
            try:
                recipients += len(line.addresses())
            except AddressError as error:
                line.setFocus()
                return QCoreApplication.translate("Composer", "{field}: {problem}").format(
                    field=label, problem=str(error)
                )
        if recipients == 0:
            self.to_field.setFocus()
            return QCoreApplication.translate(
                "Composer", "Add at least one recipient in To, Cc or Bcc."
            )
        if address_problem(self.from_field.identity.address):
            # A name set before names were checked (or edited in the file): never a header.
            return QCoreApplication.translate(
                "Composer",
                "From: the name of this identity cannot be used in a message; "
                "change it in Account Settings.",
            )
        return self.attachments.problem()

    @Slot()
    def _choose_send_time(self) -> None:
        dialog = SendLaterDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.send(send_at=dialog.send_at()))
        dialog.open()

    def send(self, *, send_at: datetime | None = None) -> str | None:
        """Queue the message (now, or at ``send_at``) and close; None when refused."""
        problem = self.validation_problem()
        if problem is not None:
            self.show_error(problem)
            return None
        self.clear_error()
        self._dirty = True  # always store what is being sent, even if autosave just ran
        draft_id = self.save()
        if draft_id is None:
            return None  # not stored, so not queued: the window says why
        held_until: datetime | None = send_at
        if send_at is None and self._undo_seconds > 0:
            held_until = datetime.now(UTC) + timedelta(seconds=self._undo_seconds) + _UNDO_MARGIN
        try:
            submission_id = self._store.queue_send(draft_id, send_at=held_until)
        except StoreError as error:
            self.show_error(
                QCoreApplication.translate(
                    "Composer", "The message was not sent: {reason}. It is kept in Drafts."
                ).format(reason=why_not_saved(error))
            )
            return None
        self._finished = True
        self._autosave.saved()
        try:
            mark_composer_closed(self._store, draft_id)
        except StoreError as error:  # queued already; at worst the draft is offered back
            log.warning("The draft could not be marked closed: %s", error.message)
        if self._undo_seconds > 0:
            self.undo_notice = UndoSendNotice(
                self._store,
                submission_id,
                self.subject_field.text().strip(),
                seconds=self._undo_seconds,
                send_at=send_at,
                reopen=self._reopener(),
                parent=self.parentWidget(),
            )
            self.undo_notice.show()
        self.sent.emit(submission_id)
        self.close()
        return submission_id

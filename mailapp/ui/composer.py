"""The composer window: New, Reply, Reply All, Forward, and editing a saved draft.

The draft autosaves (``store.save_draft``) at most AUTOSAVE_DELAY_MS after its first unsaved
change, sooner when typing pauses, when the window loses focus and when it closes (see
``composer_autosave``). While a composer holds a saved draft, the draft is recorded as open in the
store, so a crash leaves a trace that ``draft_recovery`` offers back at the next start. When the
store cannot take the text (a full disk), the window says so, stays open, keeps retrying and
offers to save the message as a file (``composer_unsaved``).

Send queues the submission with ``sendAt`` = now + the undo delay, so the server holds the
message for that long; Undo drops the submission (or cancels it on the server) and reopens the
draft. Invalid input is refused in the window before anything is queued.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QLocale,
    QSignalBlocker,
    Qt,
    QTime,
    Signal,
    Slot,
)
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.addresses import (
    AddressError,
    format_address_list,
)
from mailapp.store import DraftInput, MailStore
from mailapp.store.codec import addresses_from_wire
from mailapp.store.drafts import wire_fields
from mailapp.store.errors import StoreError
from mailapp.store.outbox_admin import (
    account_address,
    known_addresses,
    mark_composer_closed,
    mark_composer_open,
)
from mailapp.ui import theme
from mailapp.ui.composer_attachments import ComposerAttachments
from mailapp.ui.composer_autosave import AUTOSAVE_DELAY_MS, AutosaveTimers, why_not_saved
from mailapp.ui.composer_base import DraftBase
from mailapp.ui.composer_content import (
    attachments_not_forwarded,
    initial_draft,
    missing_attachment_ids,
    stored_draft,
)
from mailapp.ui.composer_fields import AddressLineEdit, completion_model
from mailapp.ui.composer_send import SendLaterDialog, UndoSendNotice
from mailapp.ui.composer_unsaved import FileCopy, UnsavedBar
from mailapp.ui.crash_reporting import log

__all__ = ["AUTOSAVE_DELAY_MS", "Composer", "open_composer"]
DEFAULT_UNDO_SECONDS = 10.0
DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
# Give Undo a moment beyond the notice, so a last-second click still reaches the server in time.
_UNDO_MARGIN = timedelta(seconds=5)


class Composer(QWidget):
    draftSaved = Signal(str)
    sent = Signal(str)  # the submission id

    def __init__(
        self,
        store: MailStore,
        draft: DraftInput,
        *,
        undo_seconds: float = DEFAULT_UNDO_SECONDS,
        max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowFlag(Qt.WindowType.Window)
        self.setObjectName("composer")
        self._store = store
        self._account_id = draft.account_id
        self.draft_id = draft.draft_id
        self._in_reply_to = draft.in_reply_to
        self._references = list(draft.references)
        # The composer edits plain text: a formatted body from elsewhere is kept only while the
        # text it goes with is unchanged, so the two never disagree.
        self._html_body = draft.html_body
        self._html_matches = draft.body
        self._undo_seconds = undo_seconds
        self._dirty = False
        self._finished = False
        self._marked_open = False
        self.undo_notice: UndoSendNotice | None = None
        self.resize(760, 620)

        completions = completion_model(known_addresses(store), self)
        sender = account_address(store, self._account_id)
        self.from_label = QLabel(str(sender))
        self.to_field = AddressLineEdit(completions)
        self.cc_field = AddressLineEdit(completions)
        self.bcc_field = AddressLineEdit(completions)
        self.subject_field = QLineEdit()
        self.body = QPlainTextEdit()
        for field, name in (
            (self.to_field, self.tr("To")),
            (self.cc_field, self.tr("Cc")),
            (self.bcc_field, self.tr("Bcc")),
            (self.subject_field, self.tr("Subject")),
            (self.body, self.tr("Message text")),
        ):
            field.setAccessibleName(name)
        self.to_field.setPlaceholderText(self.tr("name@example.org, …"))

        self.error_label = _notice("composerError", theme.ERROR)
        self.error_label.setAccessibleName(self.tr("Problem"))
        self.info_label = _notice("composerInfo", theme.INFO)
        self.unsaved_bar = UnsavedBar()
        self.file_copy = FileCopy(self, sender, lambda: self._draft_input(strict=False))
        self.unsaved_bar.saveAsFileRequested.connect(self.file_copy.choose_file)

        self.attachments = ComposerAttachments(draft.attachments, max_attachment_bytes)
        self.attachments.changed.connect(self.clear_error)
        self.attachments.changed.connect(self._edited)
        self.attachments.refused.connect(self.show_error)

        self.send_button = QPushButton(self.tr("Send"))
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(lambda: self.send())
        self.send_later_button = QPushButton(self.tr("Send Later…"))
        self.send_later_button.clicked.connect(self._choose_send_time)
        self.save_status = QLabel()
        self.save_status.setObjectName("saveStatus")

        form = QFormLayout()
        form.addRow(self.tr("From:"), self.from_label)
        form.addRow(self.tr("To:"), self.to_field)
        form.addRow(self.tr("Cc:"), self.cc_field)
        form.addRow(self.tr("Bcc:"), self.bcc_field)
        form.addRow(self.tr("Subject:"), self.subject_field)
        buttons = QHBoxLayout()
        buttons.addWidget(self.attachments.attach_button)
        buttons.addWidget(self.save_status, 1)
        buttons.addWidget(self.send_later_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.unsaved_bar)
        layout.addWidget(self.error_label)
        layout.addWidget(self.info_label)
        layout.addLayout(form)
        layout.addWidget(self.body, 1)
        layout.addWidget(self.attachments)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self).activated.connect(lambda: self.send())
        # Escape closes, as a mail client's composer does; closing saves the draft (closeEvent).
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self).activated.connect(self.close)

        self._autosave = AutosaveTimers(self.save, self)
        self.draft_base = DraftBase(
            store, lambda: self.draft_id, self._shown_fields, self._show_field, self._edited, self
        )
        layout.insertWidget(0, self.draft_base)

        self._load(draft)
        if draft.draft_id is not None:
            # A reopened draft: saves change it against what is on screen now (its base).
            self.draft_base.saved(self._shown_fields())
        for line in (self.to_field, self.cc_field, self.bcc_field, self.subject_field):
            line.textChanged.connect(self._edited)
        self.body.textChanged.connect(self._edited)
        if draft.draft_id is not None:
            self._mark_open()
        self._update_title()

    # -- contents ------------------------------------------------------------------------------

    def _load(self, draft: DraftInput) -> None:
        self.to_field.setText(format_address_list(draft.to))
        self.cc_field.setText(format_address_list(draft.cc))
        self.bcc_field.setText(format_address_list(draft.bcc))
        self.subject_field.setText(draft.subject)
        self.body.setPlainText(draft.body)
        cursor = self.body.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        self.body.setTextCursor(cursor)
        # Replies start in the body, above the quote; new messages and forwards start at To.
        (self.body if draft.to else self.to_field).setFocus()

    def _shown_fields(self) -> dict[str, Any]:
        return wire_fields(self._draft_input(strict=False))

    def _show_field(self, name: str, value: Any) -> None:
        """Put the stored (another device's) value of one field on screen, as loaded text."""
        widget = {"to": self.to_field, "cc": self.cc_field, "bcc": self.bcc_field}.get(name)
        blocker = QSignalBlocker(self.body if name == "body" else widget or self.subject_field)
        if name == "body":
            self.body.setPlainText(value)
        elif name == "subject":
            self.subject_field.setText(value)
        elif widget is not None:
            widget.setText(format_address_list(addresses_from_wire(value)))
        del blocker
        self._update_title()

    def _update_title(self) -> None:
        subject = self.subject_field.text().strip()
        self.setWindowTitle(subject or self.tr("New Message"))

    def _draft_input(self, *, strict: bool) -> DraftInput:
        """The window's contents; with ``strict`` unparseable addresses raise AddressError,
        otherwise (autosave) they are kept as far as they parse so nothing typed is lost."""
        fields = {}
        for key, line in (("to", self.to_field), ("cc", self.cc_field), ("bcc", self.bcc_field)):
            fields[key] = line.addresses() if strict else line.addresses_as_typed()
        return DraftInput(
            draft_id=self.draft_id,
            account_id=self._account_id,
            subject=self.subject_field.text(),
            to=fields["to"],
            cc=fields["cc"],
            bcc=fields["bcc"],
            body=self.body.toPlainText(),
            html_body=self._html_body if self.body.toPlainText() == self._html_matches else None,
            in_reply_to=self._in_reply_to,
            references=self._references,
            attachments=list(self.attachments.files),
        )

    # -- saving ------------------------------------------------------------------------------

    @Slot()
    def _edited(self) -> None:
        self._dirty = True
        self._update_title()
        self._autosave.edited()

    @property
    def unsaved(self) -> bool:
        """True while the window holds text that is stored nowhere (not even in a file)."""
        if not self._dirty:
            return False
        return not self.file_copy.holds(self._draft_input(strict=False))

    @Slot()
    def save(self) -> str | None:
        """Save now if anything changed; returns the draft id (None while nothing is saved).

        When the store refuses (a full disk), the window says so and retries on a timer."""
        if not self._dirty:
            self._autosave.saved()
            return self.draft_id
        try:
            draft = self._draft_input(strict=False)
            fields = wire_fields(draft)
            draft_id = self._store.save_draft(draft, base=self.draft_base.base)
        except StoreError as error:
            log.warning("The draft could not be saved: %s", error.message)
            self._autosave.failed()
            self.unsaved_bar.show_reason(why_not_saved(error), closing=False)
            self.save_status.setText(self.tr("Not saved"))
            return None
        self._autosave.saved()
        self.draft_id = draft_id
        self._dirty = False
        self.draft_base.saved(fields)
        self._mark_open()
        self.unsaved_bar.hide()
        self.save_status.setText(
            self.tr("Draft saved at {time}").format(
                time=QLocale().toString(QTime.currentTime(), QLocale.FormatType.ShortFormat)
            )
        )
        self.draftSaved.emit(draft_id)
        return draft_id

    def _mark_open(self) -> None:
        """Record the draft as open, for crash recovery; the draft itself is stored already."""
        if self._marked_open or self.draft_id is None:
            return
        try:
            mark_composer_open(self._store, self.draft_id)
        except StoreError as error:  # tried again at the next save
            log.warning("The draft could not be marked open: %s", error.message)
        else:
            self._marked_open = True

    def changeEvent(self, event: QEvent) -> None:
        # Another window (or program) takes the focus: what was typed is saved now.
        deactivated = event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow()
        if deactivated and self._dirty and not self._finished:
            self.save()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._finished:
            self.save()
            if self.unsaved:
                # Closing now would throw the text away: keep the window, say why, retry.
                event.ignore()
                self.unsaved_bar.show_reason(self.unsaved_bar.reason, closing=True)
                self.raise_()
                return
            self._finished = True
            self._autosave.saved()
            self.draft_base.close_feed()
            if self._marked_open and self.draft_id is not None:
                try:
                    mark_composer_closed(self._store, self.draft_id)
                except StoreError as error:  # the draft is stored; at worst it is offered back
                    log.warning("The draft could not be marked closed: %s", error.message)
        super().closeEvent(event)

    # -- validation and sending ------------------------------------------------------------

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
            (self.tr("To"), self.to_field),
            (self.tr("Cc"), self.cc_field),
            (self.tr("Bcc"), self.bcc_field),
        ):
            try:
                recipients += len(line.addresses())
            except AddressError as error:
                line.setFocus()
                return self.tr("{field}: {problem}").format(field=label, problem=str(error))
        if recipients == 0:
            self.to_field.setFocus()
            return self.tr("Add at least one recipient in To, Cc or Bcc.")
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
                self.tr("The message was not sent: {reason}. It is kept in Drafts.").format(
                    reason=why_not_saved(error)
                )
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

    def _reopener(self) -> Callable[[str], QWidget]:
        # Captured now: the composer itself may be deleted on close before Undo is clicked.
        store, account_id, parent = self._store, self._account_id, self.parentWidget()
        undo_seconds, limit = self._undo_seconds, self.attachments.max_bytes

        def reopen(draft_id: str) -> QWidget:
            return open_composer(
                store,
                account_id,
                draft_id=draft_id,
                parent=parent,
                undo_seconds=undo_seconds,
                max_attachment_bytes=limit,
            )

        return reopen


def _notice(name: str, tone: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    label.setStyleSheet(theme.notice_style(f"QLabel#{name}", tone))
    label.hide()
    return label


def open_composer(
    store: MailStore,
    account_id: str,
    *,
    mode: str = "new",
    parent_message_id: str | None = None,
    draft_id: str | None = None,
    parent: QWidget | None = None,
    undo_seconds: float = DEFAULT_UNDO_SECONDS,
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES,
    fetch_attachment: Callable[[str], None] | None = None,
) -> Composer:
    """Show a composer: ``mode`` new/reply/reply_all/forward, or reopen ``draft_id``.

    A forward whose attachments are not downloaded yet asks ``fetch_attachment`` (the sync
    thread) for them, so forwarding again a moment later carries them.
    """
    if draft_id is not None:
        draft = stored_draft(store, draft_id)
    else:
        draft = initial_draft(store, account_id, mode, parent_message_id)
    composer = Composer(
        store,
        draft,
        undo_seconds=undo_seconds,
        max_attachment_bytes=max_attachment_bytes,
        parent=parent,
    )
    if mode == "forward" and draft_id is None and parent_message_id is not None:
        missing = attachments_not_forwarded(store, parent_message_id, draft)
        if missing and fetch_attachment is not None:
            for attachment_id in missing_attachment_ids(store, parent_message_id):
                fetch_attachment(attachment_id)
            composer.show_info(
                QCoreApplication.translate(
                    "Composer",
                    "Not downloaded yet, so not attached: {names}. Mail is downloading them "
                    "(when online): forward again once they are.",
                ).format(names=", ".join(missing))
            )
        elif missing:
            composer.show_info(
                QCoreApplication.translate(
                    "Composer", "Not on this computer, so not attached: {names}."
                ).format(names=", ".join(missing))
            )
    composer.show()
    return composer

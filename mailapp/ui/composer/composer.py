"""The composer window: New, Reply, Reply All, Forward, and editing a saved draft.

The draft autosaves (``store.save_draft``) at most AUTOSAVE_DELAY_MS after its first unsaved
change, sooner when typing pauses, when the window loses focus and when it closes (see
``composer_autosave``). While a composer holds a saved draft, the draft is recorded as open in the
store, so a crash leaves a trace that ``draft_recovery`` offers back at the next start. When the
store cannot take the text (a full disk), the window says so, stays open, keeps retrying and
offers to save the message as a file (``composer_unsaved``). The text and its format bar are
``composer_rich``; the From chooser and signatures ``composer_identity``; saving and closing
``composer_saving``; checking and sending ``composer_sending``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QCoreApplication,
    QSignalBlocker,
    Qt,
    Signal,
    Slot,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.addresses import (
    Address,
    format_address_list,
)
from mailapp.store import DraftInput, MailStore
from mailapp.store.codec import addresses_from_wire
from mailapp.store.drafts import wire_fields
from mailapp.store.identities import Identity, identities
from mailapp.store.outbox_admin import (
    account_address,
    known_addresses,
)
from mailapp.store.settings import load_settings
from mailapp.ui.common import theme
from mailapp.ui.composer.composer_attachments import ComposerAttachments
from mailapp.ui.composer.composer_autosave import AUTOSAVE_DELAY_MS, AutosaveTimers
from mailapp.ui.composer.composer_base import DraftBase
from mailapp.ui.composer.composer_content import (
    attachments_not_forwarded,
    initial_draft,
    missing_attachment_ids,
    stored_draft,
)
from mailapp.ui.composer.composer_fields import AddressLineEdit, completion_model
from mailapp.ui.composer.composer_identity import (
    IdentityChooser,
    quote_head,
    swap_signature,
    with_signature,
)
from mailapp.ui.composer.composer_rich import RichTextEdit
from mailapp.ui.composer.composer_saving import ComposerSaving
from mailapp.ui.composer.composer_send import UndoSendNotice
from mailapp.ui.composer.composer_sending import ComposerSending
from mailapp.ui.composer.composer_unsaved import FileCopy, UnsavedBar

__all__ = ["AUTOSAVE_DELAY_MS", "Composer", "open_composer"]
DEFAULT_UNDO_SECONDS = 10.0
DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024


class Composer(ComposerSaving, ComposerSending):
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
        settings = load_settings(store)
        # In plain-text mode a formatted body from elsewhere is kept only while the text it
        # goes with is unchanged, so the two never disagree.
        self._html_body = draft.html_body
        self._html_matches = draft.body
        self._below_quote = settings.signature_below_quote
        self._quote_head = quote_head(draft.body) if draft.draft_id is None else None
        self._undo_seconds = undo_seconds
        self._dirty = False
        self._finished = False
        self._marked_open = False
        self.undo_notice: UndoSendNotice | None = None
        self.resize(760, 620)

        completions = completion_model(known_addresses(store), self)
        self.from_field = IdentityChooser(identities(store, self._account_id))
        self.from_field.choose(draft.from_address)
        if draft.draft_id is None:
            draft.from_address = self.from_field.identity.address
            draft.body = with_signature(
                draft.body, self.from_field.identity.signature, below_quote=self._below_quote
            )
        self.from_field.identityChanged.connect(self._identity_changed)
        self.from_field.setAccessibleName(self.tr("From"))
        self.editor = RichTextEdit(rich=settings.compose_html)
        self.body = self.editor.edit
        self.to_field = AddressLineEdit(completions)
        self.cc_field = AddressLineEdit(completions)
        self.bcc_field = AddressLineEdit(completions)
        self.subject_field = QLineEdit()
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
        sender = account_address(store, self._account_id)
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
        form.addRow(self.tr("From:"), self.from_field)
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
        layout.addWidget(self.editor, 1)
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
        self.editor.textChanged.connect(self._edited)
        if draft.draft_id is not None:
            self._mark_open()
        self._update_title()

    # -- contents ------------------------------------------------------------------------------

    def _load(self, draft: DraftInput) -> None:
        self.to_field.setText(format_address_list(draft.to))
        self.cc_field.setText(format_address_list(draft.cc))
        self.bcc_field.setText(format_address_list(draft.bcc))
        self.subject_field.setText(draft.subject)
        self.editor.set_content(draft.body, draft.html_body)
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
            self.editor.set_content(value, None)
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
        fields: dict[str, list[Address]] = {}
        for key, line in (("to", self.to_field), ("cc", self.cc_field), ("bcc", self.bcc_field)):
            fields[key] = line.addresses() if strict else line.addresses_as_typed()
        text, html = self.editor.parts()
        if not self.editor.rich:
            html = self._html_body if text == self._html_matches else None
        return DraftInput(
            draft_id=self.draft_id,
            account_id=self._account_id,
            subject=self.subject_field.text(),
            to=fields["to"],
            cc=fields["cc"],
            bcc=fields["bcc"],
            body=text,
            html_body=html,
            in_reply_to=self._in_reply_to,
            references=self._references,
            attachments=list(self.attachments.files),
            from_address=self.from_field.identity.address,
        )

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

    @Slot(object, object)
    def _identity_changed(self, old: Identity, new: Identity) -> None:
        swap_signature(
            self.body,
            old.signature,
            new.signature,
            below_quote=self._below_quote,
            head=self._quote_head,
        )
        self._edited()


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


def close_composers(owner: QWidget) -> bool:
    """Close the composer windows ``owner`` opened (each saves as it closes); False when one
    stays open because its text could not be stored, so that the owner stays open too."""
    kept = False
    for composer in owner.findChildren(Composer):
        if composer.isVisible() and not composer.close():
            kept = True
    return not kept

"""After a crash: offer back the drafts that were open in a composer when the app died.

Composers record their draft as open in the store and clear it on a clean close, so whatever is
still recorded at start-up was interrupted. Right after the first paint (see mailapp.ui.app) a
non-modal window lists each such draft with its text, and offers for each: Reopen (in a
composer), Keep in Drafts, or Discard. The main window stays usable meanwhile; closing the offer
keeps the drafts it still lists in Drafts and stops offering them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mailapp.core.addresses import format_address_list
from mailapp.store import MailStore
from mailapp.store.errors import StoreError
from mailapp.store.outbox_admin import mark_composer_closed, open_composer_drafts
from mailapp.store.rows import DraftRow
from mailapp.ui.common.crash_reporting import log

# The text shown per draft is the draft's own; long ones scroll inside their box.
_TEXT_LINES = 6


class _DraftEntry(QFrame):
    """One recovered draft: subject, recipients, its text, and the three choices."""

    def __init__(self, draft: DraftRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.draft = draft
        self.setObjectName("recoveredDraft")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.subject = QLabel(f"<b>{_escape(draft.subject or self.tr('(no subject)'))}</b>")
        self.subject.setTextFormat(Qt.TextFormat.RichText)
        recipients = format_address_list([*draft.to, *draft.cc, *draft.bcc])
        self.recipients = QLabel(
            self.tr("To: {recipients}").format(recipients=recipients)
            if recipients
            else self.tr("No recipients yet")
        )
        self.text = QPlainTextEdit(draft.body)
        self.text.setReadOnly(True)
        self.text.setAccessibleName(self.tr("Text of the recovered message"))
        line = self.text.fontMetrics().lineSpacing()
        self.text.setFixedHeight(line * _TEXT_LINES + 12)
        self.text.setVisible(bool(draft.body))
        self.reopen_button = QPushButton(self.tr("Reopen"))
        self.keep_button = QPushButton(self.tr("Keep in Drafts"))
        self.discard_button = QPushButton(self.tr("Discard"))
        # Enter reopens (nothing is lost that way); Discard is never the default.
        for button in (self.discard_button, self.keep_button):
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.discard_button, self.keep_button, self.reopen_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.subject)
        layout.addWidget(self.recipients)
        layout.addWidget(self.text)
        layout.addLayout(buttons)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class RecoveryOffer(QDialog):
    """The non-modal offer; ``reopened`` holds the composers it opened."""

    def __init__(self, store: MailStore, drafts: list[DraftRow], parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("draftRecovery")
        self.setModal(False)
        self.setWindowModality(Qt.WindowModality.NonModal)
        self.setWindowTitle(self.tr("Recover Drafts"))
        self._store = store
        self.reopened: list[QWidget] = []
        self.heading = QLabel(
            self.tr(
                "Mail did not close properly while you were writing. These %n messages were "
                "saved before it closed:",
                "",
                len(drafts),
            )
        )
        self.heading.setWordWrap(True)
        footnote = QLabel(self.tr("Whatever you leave here stays in Drafts."))
        footnote.setWordWrap(True)
        self.entries: list[_DraftEntry] = []
        listing = QWidget()
        entries_layout = QVBoxLayout(listing)
        entries_layout.setContentsMargins(0, 0, 0, 0)
        for draft in drafts:
            entry = _DraftEntry(draft)
            entry.reopen_button.clicked.connect(lambda _=False, e=entry: self.reopen(e))
            entry.keep_button.clicked.connect(lambda _=False, e=entry: self.keep(e))
            entry.discard_button.clicked.connect(lambda _=False, e=entry: self.discard(e))
            entries_layout.addWidget(entry)
            self.entries.append(entry)
        entries_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(listing)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setObjectName("recoveryProblem")
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.problem)
        layout.addWidget(footnote)
        self.resize(560, min(130 + 200 * len(drafts), 640))
        if self.entries:
            self.entries[0].reopen_button.setDefault(True)
            self.entries[0].reopen_button.setFocus()

    def summary(self) -> list[dict[str, str]]:
        """What the offer shows, draft by draft (for a driver script and screen readers' tests)."""
        return [
            {
                "subject": entry.subject.text(),
                "recipients": entry.recipients.text(),
                "text": entry.text.toPlainText(),
            }
            for entry in self.entries
        ]

    def _done(self, entry: _DraftEntry) -> None:
        self.entries.remove(entry)
        entry.hide()
        entry.deleteLater()
        if not self.entries:
            self.accept()

    def _failed(self, error: StoreError) -> None:
        log.warning("A recovered draft could not be handled: %s", error.message)
        self.problem.setText(error.message)
        self.problem.show()

    @Slot()
    def reopen(self, entry: _DraftEntry) -> None:
        # Imported only now: this module is loaded at every start-up, a composer seldom.
        from mailapp.store.settings import load_settings
        from mailapp.ui.composer.composer import open_composer

        composer = open_composer(
            self._store,
            entry.draft.account_id,
            draft_id=entry.draft.id,
            parent=self.parentWidget(),
            undo_seconds=load_settings(self._store).undo_send_seconds,
        )
        composer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.reopened.append(composer)
        self._done(entry)  # the composer keeps it marked open until it closes

    @Slot()
    def keep(self, entry: _DraftEntry) -> None:
        try:
            mark_composer_closed(self._store, entry.draft.id)
        except StoreError as error:
            self._failed(error)
            return
        self._done(entry)

    @Slot()
    def discard(self, entry: _DraftEntry) -> None:
        try:
            self._store.delete_draft(entry.draft.id)
            mark_composer_closed(self._store, entry.draft.id)
        except StoreError as error:
            self._failed(error)
            return
        self._done(entry)

    def closeEvent(self, event: QCloseEvent) -> None:
        # Closed without choosing: what is left stays in Drafts and is not offered again.
        for entry in self.entries:
            try:
                mark_composer_closed(self._store, entry.draft.id)
            except StoreError as error:  # then it is simply offered again at the next start
                log.warning("A recovered draft stays marked open: %s", error.message)
        self.entries.clear()
        super().closeEvent(event)


def recovered_drafts(store: MailStore) -> list[DraftRow]:
    """The drafts, of every account, that a composer had open when the app last died."""
    found = []
    for account in store.accounts():
        for draft_id in open_composer_drafts(store, account[0]):
            draft = store.draft(draft_id)
            if draft is not None:
                found.append(draft)
    return found


def offer_recovered_drafts(store: MailStore, parent: QWidget) -> RecoveryOffer | None:
    """Show the offer next to ``parent`` when there is anything to recover; never blocks."""
    drafts = recovered_drafts(store)
    if not drafts:
        return None
    offer = RecoveryOffer(store, drafts, parent)
    offer.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    offer.show()
    return offer

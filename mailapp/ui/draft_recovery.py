"""After a crash: offer back the drafts that were open in a composer when the app died.

Composers record their draft as open in the store and clear it on a clean close, so whatever is
still recorded at start-up was interrupted. The prompt is non-blocking (the main window stays
usable); "Reopen" opens each draft in a composer, "Not Now" leaves them in Drafts.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from mailapp.store import MailStore
from mailapp.store.outbox_admin import mark_composer_closed, open_composer_drafts

# Prompts and composers without a parent must outlive this function's frame.
_prompts: list[QMessageBox] = []
recovered: list[QWidget] = []


def _tr(text: str) -> str:
    return QCoreApplication.translate("draft_recovery", text)


def check_for_recoverable_drafts(store: MailStore, account_id: str, parent: QWidget | None) -> None:
    draft_ids = open_composer_drafts(store, account_id)
    if not draft_ids:
        return
    subjects = []
    for draft_id in draft_ids:
        draft = store.draft(draft_id)
        subjects.append(f"• {draft.subject or _tr('(no subject)')}" if draft else "")
    box = QMessageBox(parent)
    box.setObjectName("draftRecoveryPrompt")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle(_tr("Recover Drafts"))
    box.setText(
        QCoreApplication.translate(
            "draft_recovery",
            "Mail did not close properly. The message you were writing can be reopened."
            if len(draft_ids) == 1
            else "Mail did not close properly. %n messages you were writing can be reopened.",
            "",
            len(draft_ids),
        )
    )
    box.setInformativeText("\n".join(s for s in subjects if s))
    reopen = box.addButton(_tr("Reopen"), QMessageBox.ButtonRole.AcceptRole)
    box.addButton(_tr("Not Now"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(reopen)

    def finished() -> None:
        if box.clickedButton() is reopen:
            # Imported only when needed: this check runs at every start-up.
            from mailapp.ui.composer import open_composer

            recovered.extend(
                open_composer(store, account_id, draft_id=draft_id, parent=parent)
                for draft_id in draft_ids
            )
        else:
            for draft_id in draft_ids:
                mark_composer_closed(store, draft_id)
        if box in _prompts:
            _prompts.remove(box)
        box.deleteLater()

    box.finished.connect(finished)
    if parent is None:
        _prompts.append(box)
    box.open()

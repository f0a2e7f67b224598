"""Account Settings' identities: the display name and signature of each From address.

The addresses are the ones the server allows (recorded by the sync engine); the name and the
signature are the user's, stored as they type (``store.identities.save_identity``). A name
that could not go into a header (a line break, a control character, also hidden in an encoded
word) is refused with the reason, and the last good one is kept.
"""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from mailapp.mime.addresses import Address, address_problem
from mailapp.store import MailStore
from mailapp.store.identities import Identity, identities, save_identity


class IdentityEditor(QGroupBox):
    def __init__(self, store: MailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Identities"))
        self.setObjectName("identityEditor")
        self._store = store
        self._account_id: str | None = None
        self._identities: list[Identity] = []
        self.chooser = QComboBox()
        self.chooser.setAccessibleName(self.tr("From address"))
        self.name_field = QLineEdit()
        self.name_field.setAccessibleName(self.tr("Your name"))
        self.name_field.setPlaceholderText(self.tr("The name people see beside the address"))
        self.signature_field = QPlainTextEdit()
        self.signature_field.setAccessibleName(self.tr("Signature"))
        self.signature_field.setMaximumHeight(110)
        self.problem_label = QLabel()
        self.problem_label.setWordWrap(True)
        self.problem_label.hide()
        form = QFormLayout(self)
        form.addRow(self.tr("&From:"), self.chooser)
        form.addRow(self.tr("&Name:"), self.name_field)
        form.addRow(self.tr("&Signature:"), self.signature_field)
        form.addRow(self.problem_label)
        self.chooser.currentIndexChanged.connect(self._show)
        self.name_field.textEdited.connect(self._store_it)
        self.signature_field.textChanged.connect(self._store_it)

    def set_account(self, account_id: str) -> None:
        self._account_id = account_id
        self._identities = identities(self._store, account_id)
        self.chooser.blockSignals(True)
        self.chooser.clear()
        for identity in self._identities:
            self.chooser.addItem(identity.email)
        self.chooser.blockSignals(False)
        self._show(0)

    @Slot(int)
    def _show(self, index: int) -> None:
        if not 0 <= index < len(self._identities):
            return
        identity = self._identities[index]
        for widget in (self.name_field, self.signature_field):
            widget.blockSignals(True)
        self.name_field.setText(identity.name)
        self.signature_field.setPlainText(identity.signature)
        for widget in (self.name_field, self.signature_field):
            widget.blockSignals(False)
        self.problem_label.hide()

    @Slot()
    def _store_it(self) -> None:
        index = self.chooser.currentIndex()
        if self._account_id is None or not 0 <= index < len(self._identities):
            return
        name = self.name_field.text().strip()
        email = self._identities[index].email
        if problem := address_problem(Address(name or None, email)):
            self.problem_label.setText(self.tr("Not saved: {problem}.").format(problem=problem))
            self.problem_label.show()
            return
        self.problem_label.hide()
        identity = Identity(email, name, self.signature_field.toPlainText())
        self._identities[index] = identity
        save_identity(self._store, self._account_id, identity)

"""The composer's From: a chooser of the account's identities, and each one's signature.

A new message, reply or forward starts with the chosen identity's signature, after a "-- " line
(the usenet and mail convention readers recognise), above the quoted text or below it, as the
setting says. Choosing another identity replaces the signature block and keeps everything the
user wrote, as Thunderbird does; a signature the user edited is no longer recognised and is left
alone, and the new one is added.
"""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QComboBox, QTextEdit, QWidget

from mailapp.core.addresses import Address
from mailapp.store.identities import Identity

SEPARATOR = "-- \n"


def signature_block(signature: str) -> str:
    text = signature.strip("\n")
    return f"{SEPARATOR}{text}" if text.strip() else ""


def with_signature(body: str, signature: str, *, below_quote: bool) -> str:
    """A starting text (``body``: empty, or blank lines and a quote) with the signature placed."""
    block = signature_block(signature)
    if not block:
        return body
    if not body.strip():
        return f"\n\n{block}"
    if below_quote:
        return f"{body.rstrip()}\n\n{block}\n"
    # Above the quote: the user writes above it, the signature follows what they write.
    return f"\n\n{block}{body}"


def quote_head(body: str) -> str | None:
    """The first line of a starting text's quote (the attribution, or a forward's header)."""
    for line in body.splitlines():
        if line.strip():
            return line
    return None


def swap_signature(
    edit: QTextEdit, old: str, new: str, *, below_quote: bool, head: str | None
) -> None:
    """Replace the ``old`` signature's block by the ``new`` one in place; the rest is kept."""
    old_block, new_block = signature_block(old), signature_block(new)
    if old_block == new_block:
        return
    text = edit.document().toPlainText()
    cursor = QTextCursor(edit.document())
    cursor.beginEditBlock()
    found = text.rfind(old_block) if old_block else -1
    if found >= 0:
        cursor.setPosition(found)
        cursor.setPosition(found + len(old_block), QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(new_block)
    elif new_block:
        at = text.find(head) if head and not below_quote else -1
        if at >= 0:
            cursor.setPosition(at)
            cursor.insertText(f"{new_block}\n\n")
        else:
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertText(f"\n\n{new_block}")
    cursor.endEditBlock()


class IdentityChooser(QComboBox):
    """The From line: one entry per identity, "Name <address>"."""

    identityChanged = Signal(object, object)  # (old Identity, new Identity)

    def __init__(self, identities: list[Identity], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("identityChooser")
        self.identities = identities
        for identity in identities:
            self.addItem(str(identity.address))
        self._current = identities[0]
        self.currentIndexChanged.connect(self._changed)

    def choose(self, address: Address | None) -> None:
        """Show the identity with ``address`` (a reopened draft's From) without a signal."""
        for index, identity in enumerate(self.identities):
            if address is not None and identity.email.lower() == address.email.lower():
                self.blockSignals(True)
                self.setCurrentIndex(index)
                self.blockSignals(False)
                self._current = identity
                return

    @property
    def identity(self) -> Identity:
        return self._current

    @Slot(int)
    def _changed(self, index: int) -> None:
        old, self._current = self._current, self.identities[index]
        self.identityChanged.emit(old, self._current)

"""Recipient fields: several addresses in one line edit, completing the one being typed."""

from __future__ import annotations

from PySide6.QtCore import QStringListModel, Qt, Slot
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QCompleter, QLineEdit, QWidget

from mailapp.core.addresses import (
    Address,
    AddressError,
    parse_address,
    parse_address_list,
    split_address_items,
)

_SEPARATORS = ",;"


def completion_model(addresses: list[Address], parent: QWidget) -> QStringListModel:
    return QStringListModel([str(address) for address in addresses], parent)


class AddressLineEdit(QLineEdit):
    """Comma-separated addresses; the completer works on the item under the cursor only."""

    def __init__(self, completions: QStringListModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.completer_popup = QCompleter(completions, self)
        self.completer_popup.setWidget(self)
        self.completer_popup.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        # Match names and addresses anywhere ("ali" finds "Bob <alice@...>" too).
        self.completer_popup.setFilterMode(Qt.MatchFlag.MatchContains)
        self.completer_popup.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer_popup.activated.connect(self.insert_completion)
        self.textEdited.connect(self._offer_completions)

    def _popup(self) -> QAbstractItemView:
        popup = self.completer_popup.popup()
        assert popup is not None  # QCompleter always creates its popup on demand
        return popup

    def _item_start(self) -> int:
        before = self.text()[: self.cursorPosition()]
        return max(before.rfind(sep) for sep in _SEPARATORS) + 1

    def current_item(self) -> str:
        return self.text()[self._item_start() : self.cursorPosition()].strip()

    @Slot(str)
    def _offer_completions(self, _text: str) -> None:
        prefix = self.current_item()
        if not prefix:
            self._popup().hide()
            return
        self.completer_popup.setCompletionPrefix(prefix)
        if self.completer_popup.completionCount() > 0:
            self.completer_popup.complete()
        else:
            self._popup().hide()

    @Slot(str)
    def insert_completion(self, completion: str) -> None:
        start, end = self._item_start(), self.cursorPosition()
        text = self.text()
        lead = " " if start > 0 else ""
        head = f"{text[:start]}{lead}{completion}, "
        self.setText(head + text[end:].lstrip(" ,;"))
        self.setCursorPosition(len(head))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self._popup()
        if popup.isVisible() and event.key() in (
            Qt.Key.Key_Enter,
            Qt.Key.Key_Return,
            Qt.Key.Key_Escape,
            Qt.Key.Key_Tab,
            Qt.Key.Key_Backtab,
        ):
            # The popup handles these keys itself (choose or dismiss).
            event.ignore()
            return
        super().keyPressEvent(event)

    def addresses(self) -> list[Address]:
        """The typed addresses; raises AddressError naming the first bad one."""
        return parse_address_list(self.text())

    def addresses_as_typed(self) -> list[Address]:
        """Whatever parses, the rest kept as typed: an autosave of a half-typed list loses
        nothing (the send check refuses what does not parse)."""
        result: list[Address] = []
        for item in split_address_items(self.text()):
            try:
                result.append(parse_address(item))
            except AddressError:
                result.append(Address(None, item))
        return result

"""Conflicts the server could not merge: the three versions side by side, a choice per field.

Non-modal, so the user can look at mail while deciding. Keeping both is the default (it loses
nothing); a choice that drops a version asks first. The resolution is queued as an ordinary
mutation by ``outbox_admin.resolve``.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QBrush, QFont, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mailapp.store import ChangeSet, ConflictRow, MailStore
from mailapp.store.outbox_admin import (
    Choice,
    allowed_choices,
    comparable_fields,
    differing_fields,
    discards_something,
    resolve,
    server_destroyed,
    versions,
)
from mailapp.ui.common import theme
from mailapp.ui.common.store_bridge import StoreChanges

FIELD, BASE, MINE, THEIRS, KEEP = range(5)
_MAX_CELL_TEXT = 160


def _field_label(name: str) -> str:
    labels = {
        "subject": ConflictDialog.tr("Subject"),
        "to": ConflictDialog.tr("To"),
        "cc": ConflictDialog.tr("Cc"),
        "bcc": ConflictDialog.tr("Bcc"),
        "body": ConflictDialog.tr("Text"),
        "htmlBody": ConflictDialog.tr("Formatted text"),
        "inReplyTo": ConflictDialog.tr("In reply to"),
        "references": ConflictDialog.tr("Thread"),
        "attachments": ConflictDialog.tr("Attachments"),
        "from": ConflictDialog.tr("From"),
        "keywords": ConflictDialog.tr("Flags and labels"),
        "mailboxId": ConflictDialog.tr("Folder"),
        "name": ConflictDialog.tr("Name"),
        "parentId": ConflictDialog.tr("Parent folder"),
    }
    return labels.get(name, name)


def _keyword_label(keyword: str) -> str:
    labels = {
        "$seen": ConflictDialog.tr("Read"),
        "$flagged": ConflictDialog.tr("Flagged"),
        "$answered": ConflictDialog.tr("Answered"),
        "$forwarded": ConflictDialog.tr("Forwarded"),
        "$draft": ConflictDialog.tr("Draft"),
    }
    return labels.get(keyword, keyword)


def _choice_label(choice: Choice, record_type: str) -> str:
    if choice == Choice.MINE:
        return ConflictDialog.tr("Keep mine")
    if choice == Choice.THEIRS:
        return ConflictDialog.tr("Keep theirs")
    return (
        ConflictDialog.tr("Keep both (save a copy)")
        if record_type == "draft"
        else ConflictDialog.tr("Keep both")
    )


class ConflictDialog(QDialog):
    openCountChanged = Signal(int)

    def __init__(self, store: MailStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModal(False)
        self.setObjectName("conflictDialog")
        self.setWindowTitle(self.tr("Conflicts"))
        self._store = store
        self._conflicts: list[ConflictRow] = []
        self._mailbox_names: dict[str, str] = {}
        self._count = -1
        self.confirmation: QMessageBox | None = None
        self.choosers: dict[str, QComboBox] = {}

        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Open conflicts"))
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentRowChanged.connect(self._show_current)
        self.explanation = QLabel()
        self.explanation.setWordWrap(True)
        self.table = QTableWidget(0, 5)
        self.table.setAccessibleName(self.tr("Versions of the record"))
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("Field"),
                self.tr("Before"),
                self.tr("Yours"),
                self.tr("Server's"),
                self.tr("Keep"),
            ]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FIELD, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(KEEP, QHeaderView.ResizeMode.ResizeToContents)

        self.apply_button = QPushButton(self.tr("Resolve"))
        self.apply_button.setDefault(True)
        self.apply_button.clicked.connect(self.apply_choices)
        self.empty_label = QLabel(self.tr("No conflicts: everything merged."))
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.addButton(self.apply_button, QDialogButtonBox.ButtonRole.ActionRole)
        close.rejected.connect(self.close)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.explanation)
        right_layout.addWidget(self.table, 1)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([220, 680])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(close)

        self._changes = StoreChanges(store, self)
        self._changes.changed.connect(self._store_changed)
        self.resize(960, 460)
        self.refresh()

    # -- listing -----------------------------------------------------------------------------

    @Slot(object)
    def _store_changed(self, changes: ChangeSet) -> None:
        if changes.outbox or changes.drafts:
            self.refresh()

    def refresh(self) -> None:
        current = self.current_conflict()
        self._conflicts = self._store.open_conflicts()
        self._mailbox_names = {m.id: m.name for m in self._store.mailboxes()}
        self.list.blockSignals(True)
        self.list.clear()
        for conflict in self._conflicts:
            self.list.addItem(QListWidgetItem(self._title(conflict)))
        self.list.blockSignals(False)
        ids = [c.id for c in self._conflicts]
        row = ids.index(current.id) if current is not None and current.id in ids else 0
        self.list.setCurrentRow(row if ids else -1)
        self._show_current(self.list.currentRow())
        empty = not self._conflicts
        self.splitter.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if len(self._conflicts) != self._count:
            self._count = len(self._conflicts)
            self.openCountChanged.emit(self._count)

    def current_conflict(self) -> ConflictRow | None:
        row = self.list.currentRow() if hasattr(self, "list") else -1
        return self._conflicts[row] if 0 <= row < len(self._conflicts) else None

    def _title(self, conflict: ConflictRow) -> str:
        found = versions(conflict)

        def pick(name: str) -> str:
            return str(found.mine.get(name) or found.theirs.get(name) or "")

        if conflict.record_type == "draft":
            draft = self._store.draft(conflict.record_id)
            subject = pick("subject") or (draft.subject if draft else "")
            return self.tr("Draft “{subject}”").format(subject=subject or self.tr("(no subject)"))
        if conflict.record_type == "email":
            detail = self._store.message(conflict.record_id)
            subject = detail.summary.subject if detail else pick("subject")
            return self.tr("Message “{subject}”").format(subject=subject or self.tr("(no subject)"))
        if conflict.record_type == "mailbox":
            return self.tr("Folder “{name}”").format(name=pick("name"))
        if conflict.record_type == "submission":
            return self.tr("Sending a message")
        return conflict.record_type

    # -- one conflict ------------------------------------------------------------------------

    def _text(self, name: str, value: Any) -> str:
        if value is None or value == []:
            return "—"
        if name in ("to", "cc", "bcc"):
            return ", ".join(
                f"{a.get('name')} <{a['email']}>" if a.get("name") else a["email"] for a in value
            )
        if name == "attachments":
            return ", ".join(a.get("name") or "?" for a in value)
        if name == "from" and isinstance(value, dict):
            return f"{value.get('name')} <{value.get('email')}>" if value.get("name") else str(
                value.get("email")
            )
        if name == "keywords":
            return ", ".join(_keyword_label(k) for k in sorted(value))
        if name in ("mailboxId", "parentId"):
            return self._mailbox_names.get(value, str(value))
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    def _cell(self, name: str, value: Any, *, differs: bool) -> QTableWidgetItem:
        full = self._text(name, value)
        shown = " ".join(full.split())
        if len(shown) > _MAX_CELL_TEXT:
            shown = shown[: _MAX_CELL_TEXT - 1] + "…"
        item = QTableWidgetItem(shown)
        item.setToolTip(full)
        if differs:
            self._highlight(item)
        return item

    def _highlight(self, item: QTableWidgetItem) -> None:
        # From the palette, not a fixed yellow: the dark scheme's light text must stay readable.
        palette = self.table.palette()
        background = theme.tinted(palette, theme.WARNING)
        item.setBackground(QBrush(background))
        item.setForeground(
            QBrush(theme.readable(palette.color(QPalette.ColorRole.Text), background))
        )

    @Slot(int)
    def _show_current(self, row: int) -> None:
        self.table.setRowCount(0)
        self.choosers.clear()
        conflict = self._conflicts[row] if 0 <= row < len(self._conflicts) else None
        self.apply_button.setEnabled(conflict is not None)
        if conflict is None:
            self.explanation.clear()
            return
        destroyed = server_destroyed(conflict)
        if destroyed:
            self.explanation.setText(
                self.tr(
                    "This was deleted on another device while you changed it here. "
                    "Choose whether to keep your version."
                )
            )
        else:
            self.explanation.setText(
                self.tr(
                    "This was changed here and on another device. Highlighted fields differ; "
                    "choose what to keep for each."
                )
            )
        differing = set(differing_fields(conflict))
        names = comparable_fields(conflict)
        found = versions(conflict)
        self.table.setRowCount(len(names))
        bold = QFont(self.font())
        bold.setBold(True)
        for index, name in enumerate(names):
            differs = name in differing
            label = QTableWidgetItem(_field_label(name))
            if differs:
                label.setFont(bold)
            self.table.setItem(index, FIELD, label)
            self.table.setItem(index, BASE, self._cell(name, found.base.get(name), differs=False))
            self.table.setItem(index, MINE, self._cell(name, found.mine.get(name), differs=differs))
            theirs = (
                QTableWidgetItem(self.tr("(deleted)"))
                if destroyed
                else self._cell(name, found.theirs.get(name), differs=differs)
            )
            if destroyed:
                self._highlight(theirs)
            self.table.setItem(index, THEIRS, theirs)
            if differs:
                chooser = QComboBox()
                chooser.setAccessibleName(
                    self.tr("Keep which {field}").format(field=_field_label(name))
                )
                for choice in allowed_choices(conflict, name):
                    chooser.addItem(_choice_label(choice, conflict.record_type), choice.value)
                self.table.setCellWidget(index, KEEP, chooser)
                self.choosers[name] = chooser
            else:
                self.table.setItem(index, KEEP, QTableWidgetItem(self.tr("same")))
        self.table.resizeRowsToContents()

    def choices(self) -> dict[str, Choice]:
        return {name: Choice(box.currentData()) for name, box in self.choosers.items()}

    # -- resolving ---------------------------------------------------------------------------

    @Slot()
    def apply_choices(self) -> None:
        conflict = self.current_conflict()
        if conflict is None:
            return
        choices = self.choices()
        if not discards_something(conflict, choices):
            self._resolve(conflict, choices)
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Discard a Version?"))
        dropped = [_field_label(name) for name, choice in choices.items() if choice != Choice.BOTH]
        box.setText(
            self.tr("Your choice drops one version of: {fields}.").format(fields=", ".join(dropped))
        )
        box.setInformativeText(self.tr("The dropped version cannot be recovered."))
        confirm = box.addButton(self.tr("Discard It"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)

        def finished() -> None:
            if box.clickedButton() is confirm:
                self._resolve(conflict, choices)
            self.confirmation = None
            box.deleteLater()

        box.finished.connect(finished)
        self.confirmation = box
        box.open()

    def _resolve(self, conflict: ConflictRow, choices: dict[str, Choice]) -> None:
        resolve(self._store, conflict.id, choices)
        self.refresh()

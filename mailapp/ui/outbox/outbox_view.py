"""The Outbox: messages being sent, why they wait, and what to do about them.

Every other change waiting for the server (read, flagged, moved, a draft saved) is one line
under it, "3 changes not yet synced", which opens the same view over those changes: reading
mail must not look like mail going out.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, Signal, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mailapp.store import ChangeSet, MailStore, OutboxState
from mailapp.store.outbox_admin import OutboxBusyError, discard, retry_now, return_to_drafts
from mailapp.ui.common.store_bridge import StoreChanges
from mailapp.ui.composer.composer import Composer, open_composer
from mailapp.ui.outbox.outbox_model import DESCRIPTION, LAST_ERROR, OutboxEntry, OutboxTableModel

_CHANGEABLE = (OutboxState.PENDING, OutboxState.FAILED)


class OutboxView(QWidget):
    retryRequested = Signal()
    composerOpened = Signal(QWidget)

    def __init__(
        self, store: MailStore, parent: QWidget | None = None, *, changes: bool = False
    ) -> None:
        super().__init__(parent)
        self.changes = changes  # the details of the changes line, not the Outbox
        self.setObjectName("pendingChangesView" if changes else "outboxView")
        self.setWindowTitle(self.tr("Changes Not Yet Synced") if changes else self.tr("Outbox"))
        self._store = store
        self.model = OutboxTableModel(store, self, sends=not changes)
        self.confirmation: QMessageBox | None = None
        self.opened_composers: list[Composer] = []
        self.changes_view: OutboxView | None = None
        self.changes_button = QPushButton()
        self.changes_button.setObjectName("pendingChangesLine")
        self.changes_button.setFlat(True)
        self.changes_button.setCursor(Qt.CursorShape.PointingHandCursor)
        # Drawn as a link (the palette's Link colour, underlined): it opens the details.
        link_palette = self.changes_button.palette()
        link_palette.setColor(
            QPalette.ColorRole.ButtonText, link_palette.color(QPalette.ColorRole.Link)
        )
        self.changes_button.setPalette(link_palette)
        link_font = self.changes_button.font()
        link_font.setUnderline(True)
        self.changes_button.setFont(link_font)
        self.changes_button.setToolTip(self.tr("Show the changes not yet synced"))
        self.changes_button.clicked.connect(self.show_changes)

        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Changes waiting for the server"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DESCRIPTION, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(LAST_ERROR, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(LAST_ERROR, 220)

        self.empty_label = QLabel(
            self.tr("Every change has reached the server.")
            if changes
            else self.tr("No message is waiting to be sent.")
        )
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.status_label = QLabel()
        self.status_label.setObjectName("outboxStatus")
        self.status_label.setWordWrap(True)

        self.retry_button = QPushButton(self.tr("Retry Now"))
        self.edit_button = QPushButton(self.tr("Edit"))
        self.edit_button.setToolTip(self.tr("Stop sending this message and open it as a draft"))
        self.discard_button = QPushButton(self.tr("Discard…"))
        self.retry_button.clicked.connect(self.retry_selected)
        self.edit_button.clicked.connect(self.edit_selected)
        self.discard_button.clicked.connect(self.discard_selected)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status_label, 1)
        for button in (self.retry_button, self.edit_button, self.discard_button):
            buttons.addWidget(button)

        self.edit_button.setVisible(not changes)  # only a message can go back to drafts
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label, 1)
        layout.addWidget(self.changes_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(buttons)

        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.model.modelReset.connect(self._update)
        self._changes = StoreChanges(store, self)
        self._changes.changed.connect(self._store_changed)
        self.resize(860, 360)
        self._update()

    # -- state -----------------------------------------------------------------------------

    @Slot(object)
    def _store_changed(self, changes: ChangeSet) -> None:
        if changes.outbox or changes.drafts or changes.mailboxes:
            self.model.refresh()

    def selected_entries(self) -> list[OutboxEntry]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.entries[row] for row in rows]

    @Slot(QItemSelection, QItemSelection)
    def _selection_changed(self, *_args: object) -> None:
        self._update()

    @Slot()
    def _update(self) -> None:
        empty = not self.model.entries
        self.table.setVisible(not empty)
        self.empty_label.setVisible(empty)
        others = self.model.other_changes
        self.changes_button.setText(self.tr("%n changes not yet synced", "", others))
        self.changes_button.setVisible(not self.changes and others > 0)
        selected = self.selected_entries()
        changeable = bool(selected) and all(e.state in _CHANGEABLE for e in selected)
        self.retry_button.setEnabled(changeable)
        self.discard_button.setEnabled(
            bool(selected) and all(e.state != OutboxState.IN_FLIGHT for e in selected)
        )
        self.edit_button.setEnabled(
            len(selected) == 1 and changeable and selected[0].type == "submission.create"
        )

    # -- actions -----------------------------------------------------------------------------

    @Slot()
    def show_changes(self) -> None:
        """Opens the changes line's details: the same view over every change but the sends."""
        if self.changes_view is None:
            self.changes_view = OutboxView(self._store, self, changes=True)
            self.changes_view.setWindowFlag(Qt.WindowType.Window)
            self.changes_view.retryRequested.connect(self.retryRequested)
        self.changes_view.show()
        self.changes_view.activateWindow()

    @Slot()
    def retry_selected(self) -> None:
        ids = [i for e in self.selected_entries() if e.state in _CHANGEABLE for i in e.mutation_ids]
        if ids:
            retry_now(self._store, ids)
            self.status_label.setText(self.tr("Retrying at the next sync."))
            self.retryRequested.emit()

    @Slot()
    def edit_selected(self) -> None:
        (entry,) = self.selected_entries()
        try:
            draft_id = return_to_drafts(self._store, entry.first.mutation_id)
        except OutboxBusyError:
            self.status_label.setText(self.tr("This message is being sent right now."))
            return
        # Owned by the main window when the outbox is part of it, so it closes with the app.
        owner = self.window()
        composer = open_composer(
            self._store,
            self._draft_account(draft_id),
            draft_id=draft_id,
            parent=owner if owner is not self else None,
        )
        self.opened_composers.append(composer)
        self.composerOpened.emit(composer)

    def _draft_account(self, draft_id: str) -> str:
        draft = self._store.draft(draft_id)
        if draft is None:
            raise KeyError(draft_id)
        return draft.account_id

    @Slot()
    def discard_selected(self) -> None:
        entries = self.selected_entries()
        if not entries:
            return
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Discard Changes"))
        if len(entries) == 1:
            box.setText(self.tr("Discard “{change}”?").format(change=entries[0].description))
        else:
            box.setText(self.tr("Discard %n changes?", "", len(entries)))
        box.setInformativeText(
            self.tr("The server will never see them; where possible the change is undone here.")
        )
        discard_button = box.addButton(self.tr("Discard"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        ids = [i for e in entries for i in e.mutation_ids]

        def finished() -> None:
            if box.clickedButton() is discard_button:
                try:
                    discard(self._store, ids)
                    self.status_label.setText(self.tr("Discarded."))
                except OutboxBusyError:
                    self.status_label.setText(
                        self.tr("A change is being sent right now; try again in a moment.")
                    )
            self.confirmation = None
            box.deleteLater()

        box.finished.connect(finished)
        self.confirmation = box
        box.open()

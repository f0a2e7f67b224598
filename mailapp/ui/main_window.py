"""The main window: mailboxes | message list over the reading pane."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, Slot
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QMainWindow, QSplitter, QTreeView

from mailapp.store import MailStore
from mailapp.store.rows import ChangeSet
from mailapp.ui import icons
from mailapp.ui.mailbox_tree_model import (
    MAILBOX_ID_ROLE,
    NAME_COLUMN,
    UNREAD_COLUMN,
    MailboxTreeModel,
)
from mailapp.ui.message_list_model import MessageListModel
from mailapp.ui.message_list_view import MessageListView
from mailapp.ui.reading_pane import ReadingPane
from mailapp.ui.store_bridge import StoreChanges


class MainWindow(QMainWindow):
    def __init__(self, store: MailStore) -> None:
        super().__init__()
        self._store = store
        self.setWindowTitle(self.tr("Mail"))
        self.setWindowIcon(icons.icon(icons.APP_ICON))
        self.resize(1200, 760)

        self.changes = StoreChanges(store, self)
        self.mailbox_model = MailboxTreeModel(store, self)
        self.message_model = MessageListModel(store, parent=self)

        self.mailbox_tree = QTreeView()
        self.mailbox_tree.setAccessibleName(self.tr("Mailboxes"))
        self.mailbox_tree.setModel(self.mailbox_model)
        self.mailbox_tree.setHeaderHidden(True)
        self.mailbox_tree.setUniformRowHeights(True)
        self.mailbox_tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.mailbox_tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.mailbox_tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(UNREAD_COLUMN, QHeaderView.ResizeMode.ResizeToContents)

        self.message_list = MessageListView()
        self.message_list.setModel(self.message_model)
        self.message_list.configure_columns()

        self.reading_pane = ReadingPane(store)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.message_list)
        right.addWidget(self.reading_pane)
        right.setStretchFactor(0, 2)
        right.setStretchFactor(1, 3)
        right.setSizes([300, 440])
        outer = QSplitter(Qt.Orientation.Horizontal)
        outer.addWidget(self.mailbox_tree)
        outer.addWidget(right)
        outer.setStretchFactor(1, 1)
        outer.setSizes([240, 960])
        self.setCentralWidget(outer)

        self.mailbox_tree.selectionModel().selectionChanged.connect(self._mailbox_selected)
        self.message_list.selectionModel().selectionChanged.connect(self._message_selected)
        self.message_model.modelReset.connect(self._update_status)
        self.message_model.rowsRemoved.connect(self._message_rows_removed)
        self.changes.changed.connect(self._store_changed)

        self.mailbox_model.reload()
        self.mailbox_tree.expandAll()
        inbox = self.mailbox_model.first_mailbox_with_role("inbox")
        if inbox is not None:
            self.select_mailbox(inbox)
        else:
            self._update_status()

    # -- what tests and later features drive -------------------------------------------
    def select_mailbox(self, mailbox_id: str) -> None:
        item = self.mailbox_model.item_for(mailbox_id)
        if item is not None:
            self.mailbox_tree.setCurrentIndex(item.index())

    def select_message_row(self, row: int) -> None:
        self.message_list.selectRow(row)

    # -- slots --------------------------------------------------------------------------
    @Slot(QItemSelection, QItemSelection)
    def _mailbox_selected(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        indexes = selected.indexes()
        mailbox_id = indexes[0].data(MAILBOX_ID_ROLE) if indexes else None
        if mailbox_id is None or mailbox_id == self.message_model.mailbox_id:
            return
        self.reading_pane.show_placeholder()
        self.message_model.set_mailbox(mailbox_id)
        self.message_list.scrollToTop()

    @Slot(QItemSelection, QItemSelection)
    def _message_selected(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = self.message_list.selectionModel().selectedRows()
        if len(rows) != 1:
            if not rows:
                self.reading_pane.show_placeholder()
            else:
                self.reading_pane.show_placeholder(self.tr("%n messages selected.", "", len(rows)))
            return
        summary = self.message_model.summary(rows[0].row())
        if summary.id == self.reading_pane.message_id:
            return
        detail = self._store.message(summary.id)
        if detail is None:
            self.reading_pane.show_placeholder(self.tr("This message no longer exists."))
            return
        self.reading_pane.show_message(detail)
        if not summary.is_read:
            self._store.mark_read([summary.id], True)

    @Slot(QModelIndex, int, int)
    def _message_rows_removed(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        shown = self.reading_pane.message_id
        if shown is not None and self.message_model.row_of(shown) is None:
            self.reading_pane.show_placeholder()
        self._update_status()

    @Slot(object)
    def _store_changed(self, changes: ChangeSet) -> None:
        if changes.mailboxes and set(self._store_mailbox_ids()) != self.mailbox_model.mailbox_ids:
            current = self.message_model.mailbox_id
            self.mailbox_model.reload()
            self.mailbox_tree.expandAll()
            if current is not None and current in self.mailbox_model.mailbox_ids:
                self.select_mailbox(current)
            else:  # the shown mailbox is gone: fall back to the Inbox, like at start-up
                self.message_model.set_mailbox(None)
                inbox = self.mailbox_model.first_mailbox_with_role("inbox")
                if inbox is not None:
                    self.select_mailbox(inbox)
        elif changes.messages or changes.mailboxes:
            self.mailbox_model.refresh_counts()
        self.message_model.apply_changes(changes)
        self._update_status()

    def _store_mailbox_ids(self) -> list[str]:
        return [m.id for m in self._store.mailboxes()]

    def _update_status(self) -> None:
        mailbox_id = self.message_model.mailbox_id
        if mailbox_id is None:
            if not self._store.accounts():
                self.statusBar().showMessage(
                    self.tr("No accounts yet. Try the demo with: mailapp --demo")
                )
            return
        total = self._store.count(mailbox_id)
        text = self.tr("%n message", "", total) if total == 1 else self.tr("%n messages", "", total)
        self.statusBar().showMessage(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.changes.close()
        super().closeEvent(event)

"""The message list widget: a QTableView that tells when it has first painted real rows."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, Signal, Slot
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from mailapp.store.rows import SortOrder
from mailapp.ui.mailbox.message_list_model import COLUMN_ORDERS, Column, MessageListModel

# The order a first click on a header picks: newest mail first, names and subjects A to Z.
_FIRST_CLICK = {
    Column.DATE: SortOrder.NEWEST_FIRST,
    Column.SENDER: SortOrder.SENDER_ASC,
    Column.SUBJECT: SortOrder.SUBJECT_ASC,
}


class MessageListView(QTableView):
    firstPagePainted = Signal()
    sortOrderRequested = Signal(object)  # SortOrder, from a click on a sortable header

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._painted_rows = False
        self.setAccessibleName(self.tr("Messages"))
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        # Fixed row heights keep layout from asking the model about every row.
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.horizontalHeader().setHighlightSections(False)
        self.horizontalHeader().setStretchLastSection(False)
        # Messages are dragged onto the mailbox tree to move them.
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)

    def configure_columns(self) -> None:
        """Call after setModel: icon columns stay narrow, the subject takes the spare width."""
        header = self.horizontalHeader()
        icon_width = self.iconSize().width() if self.iconSize().width() > 0 else 16
        for column in (Column.FLAG, Column.ATTACHMENT):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, icon_width + 14)
        header.setSectionResizeMode(Column.SENDER, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(Column.SENDER, 180)
        header.setSectionResizeMode(Column.SUBJECT, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(Column.DATE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(Column.DATE, 110)
        # Date, From and Subject sort (a second click flips); the icon columns do not.
        header.setSortIndicatorShown(True)
        header.setSectionsClickable(True)
        header.setSortIndicator(Column.DATE, Qt.SortOrder.DescendingOrder)
        header.sectionClicked.connect(self._header_clicked)

    def show_sort_order(self, order: SortOrder) -> None:
        for column, (ascending, descending) in COLUMN_ORDERS.items():
            if order in (ascending, descending):
                indicator = (
                    Qt.SortOrder.DescendingOrder
                    if order == descending
                    else Qt.SortOrder.AscendingOrder
                )
                self.horizontalHeader().setSortIndicator(column, indicator)
                return

    @Slot(int)
    def _header_clicked(self, section: int) -> None:
        model = self.model()
        if not isinstance(model, MessageListModel):
            return
        if section not in COLUMN_ORDERS:
            self.show_sort_order(model.order)  # Qt moved the indicator there: put it back
            return
        ascending, descending = COLUMN_ORDERS[Column(section)]
        if model.order == ascending:
            self.sortOrderRequested.emit(descending)
        elif model.order == descending:
            self.sortOrderRequested.emit(ascending)
        else:
            self.sortOrderRequested.emit(_FIRST_CLICK[Column(section)])

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        # An empty mailbox counts as painted too, or a screenshot of it would never be taken.
        if (
            not self._painted_rows
            and model is not None
            and (model.rowCount() > 0 or not model.canFetchMore(QModelIndex()))
        ):
            self._painted_rows = True
            self.firstPagePainted.emit()

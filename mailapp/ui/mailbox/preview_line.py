"""The optional preview line: the first words of each message under its subject in the list."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from mailapp.ui.common import theme
from mailapp.ui.mailbox.message_list_model import Column, MessageListModel
from mailapp.ui.mailbox.message_list_view import MessageListView

_PADDING = 8  # the list's row padding (MessageListView's default row height is a line + 8)


class PreviewLineDelegate(QStyledItemDelegate):
    """Draws the Subject cell as two lines: the subject, then the snippet in secondary text."""

    column = Column.SUBJECT

    def __init__(self, view: MessageListView) -> None:
        super().__init__(view)
        self._view = view

    def install(self, shown: bool) -> None:
        view = self._view
        one_line = view.fontMetrics().height()
        if shown:
            view.setItemDelegateForColumn(self.column, self)
            view.verticalHeader().setDefaultSectionSize(2 * one_line + _PADDING + 2)
        else:
            view.setItemDelegateForColumn(self.column, None)  # type: ignore[arg-type]
            view.verticalHeader().setDefaultSectionSize(one_line + _PADDING)
        view.viewport().update()

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), 2 * option.fontMetrics.height() + _PADDING + 2)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        model = index.model()
        if not isinstance(model, MessageListModel) or index.row() >= model.rowCount():
            super().paint(painter, option, index)
            return
        summary = model.resident_summary(index.row())  # not summary(): nothing moves in paint
        snippet = " ".join(summary.snippet.split()) if summary is not None else ""
        item = QStyleOptionViewItem(option)
        self.initStyleOption(item, index)
        subject = item.text
        item.text = ""
        style = item.widget.style() if item.widget is not None else None
        if style is None:
            return
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, item, painter, item.widget)
        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, item, item.widget)
        line = item.fontMetrics.height()
        selected = bool(item.state & QStyle.StateFlag.State_Selected)
        palette = item.palette
        painter.save()
        painter.setFont(item.font)
        painter.setPen(
            palette.color(
                QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            )
        )
        first = QRect(text_rect.left(), text_rect.top() + 1, text_rect.width(), line)
        painter.drawText(
            first,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            item.fontMetrics.elidedText(subject, Qt.TextElideMode.ElideRight, first.width()),
        )
        # The snippet in the list's own font, never bold: it is not what makes a row unread.
        font = self._view.font()
        painter.setFont(font)
        metrics = self._view.fontMetrics()
        painter.setPen(
            palette.color(QPalette.ColorRole.HighlightedText)
            if selected
            else theme.secondary_text(palette)
        )
        second = QRect(first.left(), first.bottom() + 1, first.width(), line)
        painter.drawText(
            second,
            int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
            metrics.elidedText(snippet, Qt.TextElideMode.ElideRight, second.width()),
        )
        painter.restore()

"""The message list: a table model that pages through one mailbox of the store on demand."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
)
from PySide6.QtGui import QFont

from mailapp.store import MailStore
from mailapp.store.rows import ChangeSet, MessageSummary, PageCursor
from mailapp.ui import icons

ModelIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    FLAG = 0
    ATTACHMENT = 1
    SENDER = 2
    SUBJECT = 3
    DATE = 4


# A full-height list on a large monitor plus a margin; the view asks for the next page itself
# whenever the last fetched row is visible, so a smaller page never leaves the view half-empty.
DEFAULT_PAGE_SIZE = 64
# Above this many changed messages (bulk import, "mark all read") a reload beats per-row lookups.
TARGETED_REFRESH_LIMIT = 200

SummaryKey = tuple[datetime, str]


def _sort_key(summary: MessageSummary) -> SummaryKey:
    return (summary.date, summary.id)


class MessageListModel(QAbstractTableModel):
    """Rows are the messages fetched so far, newest first, as the store's `page()` orders them.

    `rowCount()` only counts fetched rows; views call `canFetchMore()`/`fetchMore()` while the last
    row is visible, which pulls the next keyset page. Store changes update rows in place.
    """

    def __init__(
        self,
        store: MailStore,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._page_size = page_size
        self._mailbox_id: str | None = None
        self._rows: list[MessageSummary] = []
        self._row_of: dict[str, int] = {}
        self._exhausted = True
        self._bold = QFont()
        self._bold.setBold(True)
        self._locale = QLocale()
        self._headers = {
            Column.FLAG: self.tr("Flagged"),
            Column.ATTACHMENT: self.tr("Attachment"),
            Column.SENDER: self.tr("From"),
            Column.SUBJECT: self.tr("Subject"),
            Column.DATE: self.tr("Date"),
        }

    # -- what the window calls --------------------------------------------------------------
    @property
    def mailbox_id(self) -> str | None:
        return self._mailbox_id

    def set_mailbox(self, mailbox_id: str | None) -> None:
        """Shows another mailbox: drops every fetched row and fetches its first page."""
        self.beginResetModel()
        self._mailbox_id = mailbox_id
        self._rows = []
        self._row_of = {}
        self._exhausted = mailbox_id is None
        if mailbox_id is not None:
            self._append(self._store.page(mailbox_id, None, self._page_size))
        self.endResetModel()

    def summary(self, row: int) -> MessageSummary:
        return self._rows[row]

    def row_of(self, message_id: str) -> int | None:
        return self._row_of.get(message_id)

    def apply_changes(self, changes: ChangeSet) -> None:
        """Brings fetched rows up to date with a store ChangeSet without resetting the model."""
        mailbox_id = self._mailbox_id
        if mailbox_id is None or not changes.messages:
            return
        if len(changes.messages) > TARGETED_REFRESH_LIMIT:
            self._reload()
            return
        # Unknown ids matter only when this mailbox is among those the change touched.
        candidates = [m for m in changes.messages if m in self._row_of]
        if mailbox_id in changes.mailboxes:
            candidates += sorted(m for m in changes.messages if m not in self._row_of)
        for message_id in candidates:
            detail = self._store.message(message_id)
            summary = detail.summary if detail is not None else None
            row = self._row_of.get(message_id)
            if summary is None or summary.mailbox_id != mailbox_id:
                if row is not None:
                    self._remove_row(row)
            elif row is not None:
                self._rows[row] = summary
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(Column) - 1))
            else:
                self._insert_sorted(summary)

    # -- QAbstractItemModel ---------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def canFetchMore(self, parent: ModelIndex) -> bool:
        return not parent.isValid() and not self._exhausted

    def fetchMore(self, parent: ModelIndex) -> None:
        if parent.isValid() or self._exhausted or self._mailbox_id is None:
            return
        after = None
        if self._rows:
            last = self._rows[-1]
            after = PageCursor(date=last.date, id=last.id)
        page = self._store.page(self._mailbox_id, after, self._page_size)
        self._exhausted = len(page) < self._page_size
        fresh = [s for s in page if s.id not in self._row_of]
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._extend(fresh)
        self.endInsertRows()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        label = self._headers[column]
        icon_only = column in (Column.FLAG, Column.ATTACHMENT)
        if role == Qt.ItemDataRole.DisplayRole:
            return None if icon_only else label
        if role == Qt.ItemDataRole.DecorationRole and icon_only:
            return icons.icon(icons.FLAG if column == Column.FLAG else icons.ATTACHMENT)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return label
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        summary = self._rows[index.row()]
        column = Column(index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(summary, column)
        if role == Qt.ItemDataRole.FontRole:
            return None if summary.is_read else self._bold
        if role == Qt.ItemDataRole.DecorationRole:
            if column == Column.FLAG and summary.is_flagged:
                return icons.icon(icons.FLAG)
            if column == Column.ATTACHMENT and summary.has_attachments:
                return icons.icon(icons.ATTACHMENT)
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(summary, column)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._accessible_text(summary, column)
        if role == Qt.ItemDataRole.UserRole:
            return summary.id
        return None

    # -- internals -----------------------------------------------------------------------
    def _display(self, summary: MessageSummary, column: Column) -> str | None:
        if column == Column.SENDER:
            return summary.sender_name or summary.sender_email or self.tr("(unknown sender)")
        if column == Column.SUBJECT:
            return summary.subject or self.tr("(no subject)")
        if column == Column.DATE:
            return self._format_date(summary.date)
        return None

    def _tooltip(self, summary: MessageSummary, column: Column) -> str | None:
        if column == Column.SENDER and summary.sender_email:
            return summary.sender_email
        if column == Column.SUBJECT:
            return summary.snippet or None
        if column == Column.DATE:
            return self._locale.toString(
                QDateTime(summary.date.astimezone()), QLocale.FormatType.LongFormat
            )
        return self._accessible_text(summary, column)

    def _accessible_text(self, summary: MessageSummary, column: Column) -> str | None:
        if column == Column.FLAG:
            return self.tr("Flagged") if summary.is_flagged else self.tr("Not flagged")
        if column == Column.ATTACHMENT:
            return self.tr("Has attachments") if summary.has_attachments else None
        text = self._display(summary, column)
        if column == Column.SENDER and not summary.is_read:
            return self.tr("Unread, from %s") % text
        return text

    def _format_date(self, moment: datetime) -> str:
        local = moment.astimezone()
        today = datetime.now().astimezone().date()
        if local.date() == today:
            return self._locale.toString(
                QTime(local.hour, local.minute), QLocale.FormatType.ShortFormat
            )
        day = QDate(local.year, local.month, local.day)
        return self._locale.toString(day, "d MMM" if local.year == today.year else "d MMM yyyy")

    def _append(self, summaries: Iterable[MessageSummary]) -> None:
        page = list(summaries)
        self._exhausted = len(page) < self._page_size
        self._extend(s for s in page if s.id not in self._row_of)

    def _extend(self, summaries: Iterable[MessageSummary]) -> None:
        for summary in summaries:
            self._row_of[summary.id] = len(self._rows)
            self._rows.append(summary)

    def _reindex(self, start: int) -> None:
        for row in range(start, len(self._rows)):
            self._row_of[self._rows[row].id] = row

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        removed = self._rows.pop(row)
        del self._row_of[removed.id]
        self._reindex(row)
        self.endRemoveRows()

    def _insert_sorted(self, summary: MessageSummary) -> None:
        key = _sort_key(summary)
        row = 0
        while row < len(self._rows) and _sort_key(self._rows[row]) > key:
            row += 1
        if row == len(self._rows) and not self._exhausted:
            return  # older than everything fetched: the next fetchMore() brings it
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.insert(row, summary)
        self._reindex(row)
        self.endInsertRows()

    def _reload(self) -> None:
        """Re-reads as many rows as were fetched; for bulk changes where row diffs cost more."""
        if self._mailbox_id is None:
            return
        wanted = max(len(self._rows), self._page_size)
        self.beginResetModel()
        self._rows = []
        self._row_of = {}
        page = self._store.page(self._mailbox_id, None, wanted)
        self._extend(page)
        self._exhausted = len(page) < wanted
        self.endResetModel()

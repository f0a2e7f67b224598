"""The message list: a table model that pages through one mailbox of the store on demand.

`mailapp.store.views` (SQLAlchemy) is imported inside the methods that query: the model first
shows the start-up snapshot (`show_first_screen`) and only queries once a store is attached.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from enum import IntEnum
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QLocale,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
)
from PySide6.QtGui import QFont

from mailapp.store.rows import MessageSummary, SortOrder
from mailapp.ui.common import icons
from mailapp.ui.mailbox.mailbox_tree_view import MESSAGE_IDS_MIME, message_ids_mime
from mailapp.ui.mailbox.message_list_changes import FollowsStoreChanges
from mailapp.ui.mailbox.message_list_pages import ReadsPages
from mailapp.ui.mailbox.message_list_window import RESIDENT_ROWS, KeepsAWindow, Slot

if TYPE_CHECKING:
    from mailapp.store import MailStore

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

DATE_ORDERS = (SortOrder.NEWEST_FIRST, SortOrder.OLDEST_FIRST)
# Header column → (ascending order, descending order) for a click on that header.
COLUMN_ORDERS = {
    Column.DATE: (SortOrder.OLDEST_FIRST, SortOrder.NEWEST_FIRST),
    Column.SENDER: (SortOrder.SENDER_ASC, SortOrder.SENDER_DESC),
    Column.SUBJECT: (SortOrder.SUBJECT_ASC, SortOrder.SUBJECT_DESC),
}


class MessageListModel(FollowsStoreChanges, KeepsAWindow, ReadsPages, QAbstractTableModel):
    """Rows are the messages fetched so far, in date order (newest first by default).

    `rowCount()` only counts fetched rows; views call `canFetchMore()`/`fetchMore()` while the last
    row is visible, which pulls the next keyset page. Only `resident_rows` of them stay in memory
    (message_list_window: far pages are read again when shown). Store changes update rows in place.
    Optional modes: other orders (date, sender, subject; either direction), one row per
    conversation, the results of a search, or an account's drafts (`set_mailbox(...,
    drafts_account=...)`: rows are drafts, newest edit first, the From column lists recipients).

    At start-up the model may be made with `store=None` and given the snapshot's first page
    (`show_first_screen`); what the user asks for meanwhile (the next page, another mailbox or
    order) is remembered and done by `attach_store()`, which keeps the rows already shown.
    """

    def __init__(
        self,
        store: MailStore | None,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        resident_rows: int = RESIDENT_ROWS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._page_size = page_size
        self._mailbox_id: str | None = None
        self._rows: list[Slot] = []  # a forgotten row is a Hole (message_list_window)
        self._row_of: dict[str, int] = {}
        self._exhausted = True
        self._order = SortOrder.NEWEST_FIRST
        self._conversations = False
        self._thread_sizes: dict[str, int] = {}
        self._search: str | None = None
        self._drafts_account: str | None = None
        # What was asked for before a store was attached: done as soon as one is.
        self._restart_when_attached = False
        self._fetch_when_attached = False
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
        self._init_changes()
        self._init_window(resident_rows)

    # -- what the window calls --------------------------------------------------------------
    @property
    def mailbox_id(self) -> str | None:
        return self._mailbox_id

    @property
    def order(self) -> SortOrder:
        return self._order

    @property
    def conversations(self) -> bool:
        return self._conversations

    @property
    def search_text(self) -> str | None:
        return self._search

    @property
    def drafts_account(self) -> str | None:
        """The account whose drafts are listed, or None when the rows are messages."""
        return self._drafts_account

    @property
    def effective_order(self) -> SortOrder:
        """The order rows are in: drafts are listed by last edit, whatever the chosen order."""
        if self._drafts_account is not None and self._order not in DATE_ORDERS:
            return SortOrder.NEWEST_FIRST
        return self._order

    def show_first_screen(
        self, mailbox_id: str, rows: list[MessageSummary], *, exhausted: bool
    ) -> None:
        """Shows a mailbox's first page read before the store opened (see FirstScreen)."""
        self.beginResetModel()
        self._forget_changes()
        self._mailbox_id = mailbox_id
        self._search = None
        self._rows = []
        self._row_of = {}
        self._thread_sizes = {}
        self._extend(rows)
        self._exhausted = exhausted
        self.endResetModel()

    def attach_store(self, store: MailStore) -> None:
        """Continues from the first screen with the store: same rows, paging on by keyset."""
        self._store = store
        if self._restart_when_attached:
            self._restart()
        elif self._fetch_when_attached:
            self.fetchMore(QModelIndex())
        self._restart_when_attached = self._fetch_when_attached = False

    def set_mailbox(self, mailbox_id: str | None, *, drafts_account: str | None = None) -> None:
        """Shows another mailbox: drops every fetched row and fetches its first page.

        With ``drafts_account`` (for a Drafts mailbox) the rows are that account's drafts.
        """
        self._mailbox_id = mailbox_id
        self._search = None
        if (drafts_account is None) != (self._drafts_account is None):
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, Column.SENDER, Column.SENDER)
        self._drafts_account = drafts_account if mailbox_id is not None else None
        self._restart()

    def set_order(self, order: SortOrder) -> None:
        if order != self._order:
            self._order = order
            self._restart()

    def set_conversations(self, enabled: bool) -> None:
        """One row per conversation (its newest message in this mailbox) instead of per message."""
        if enabled != self._conversations:
            self._conversations = enabled
            self._restart()

    def show_search_results(self, text: str, results: list[MessageSummary]) -> None:
        """Lists search results (already ordered) in place of the mailbox, until clear_search()."""
        self.beginResetModel()
        self._forget_changes()
        self._search = text
        self._rows = []
        self._row_of = {}
        self._thread_sizes = {}
        self._extend(results)
        self._exhausted = True
        self.endResetModel()

    def clear_search(self) -> None:
        if self._search is not None:
            self._search = None
            self._restart()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        # The flag and attachment columns have no index to page through in order.
        if column in COLUMN_ORDERS:
            ascending, descending = COLUMN_ORDERS[Column(column)]
            self.set_order(descending if order == Qt.SortOrder.DescendingOrder else ascending)

    def row_of(self, message_id: str) -> int | None:
        return self._row_of.get(message_id)

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
        if self._store is None:
            self._fetch_when_attached = True  # the view asked for more before the store opened
            return
        if self._editing:  # asked from inside a row removal: done once the rows are whole
            self._fetch_after_edit = True
            return
        last = self._key_of(self._rows[-1]) if self._rows else None
        page = self._fetch_from(last, self._page_size)
        self._exhausted = len(page) < self._page_size
        fresh = [s for s in page if s.id not in self._row_of]
        if not fresh:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._extend(fresh)
        self._load_thread_sizes(fresh)
        self.endInsertRows()
        self._forget_far(len(self._rows) - 1)

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        # Drafts are not moved between mailboxes by dragging.
        draggable = index.isValid() and self._drafts_account is None
        return flags | Qt.ItemFlag.ItemIsDragEnabled if draggable else flags

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MESSAGE_IDS_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return message_ids_mime([self.summary(r).id for r in rows if r < len(self._rows)])

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(Column):
            return None
        column = Column(section)
        label = self._headers[column]
        if column == Column.SENDER and self._drafts_account is not None:
            label = self.tr("To")
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
        summary = self.resident_summary(index.row())
        if summary is None:  # a page read back with another count, fitted on the next turn
            return None
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
        if column == Column.SENDER and self._drafts_account is not None:
            return summary.sender_name or self.tr("(no recipients)")
        if column == Column.SENDER:
            return summary.sender_name or summary.sender_email or self.tr("(unknown sender)")
        if column == Column.SUBJECT:
            subject = summary.subject or self.tr("(no subject)")
            size = self._thread_sizes.get(summary.thread_id, 1) if summary.thread_id else 1
            return f"{subject} ({size})" if self._conversations and size > 1 else subject
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
        # As mail clients do: the time for today's mail, day and month for this year's,
        # the locale's short date (with its year) for older mail.
        day = QDate(local.year, local.month, local.day)
        if local.year == today.year:
            return self._locale.toString(day, "d MMM")
        return self._locale.toString(day, QLocale.FormatType.ShortFormat)

    def _append(self, summaries: Iterable[MessageSummary]) -> None:
        page = list(summaries)
        self._exhausted = len(page) < self._page_size
        self._extend(s for s in page if s.id not in self._row_of)

    def _extend(self, summaries: Iterable[MessageSummary]) -> None:
        for summary in summaries:
            self._row_of[summary.id] = len(self._rows)
            self._rows.append(summary)

    def _reload(self) -> None:
        """Re-reads as many rows as were fetched (up to the resident window); for bulk changes
        where row diffs cost more."""
        if self._mailbox_id is None:
            return
        wanted = min(max(len(self._rows), self._page_size), self._resident_rows)
        self.beginResetModel()
        self._forget_changes()
        self._rows = []
        self._row_of = {}
        page = self._fetch_from(None, wanted)
        self._extend(page)
        self._exhausted = len(page) < wanted
        self._thread_sizes = {}
        self._load_thread_sizes(page)
        self.endResetModel()

    def _restart(self) -> None:
        self.beginResetModel()
        self._forget_changes()
        self._rows = []
        self._row_of = {}
        self._thread_sizes = {}
        self._exhausted = self._mailbox_id is None
        self._restart_when_attached = self._store is None and self._mailbox_id is not None
        if self._mailbox_id is not None and self._store is not None:
            page = self._fetch_from(None, self._page_size)
            self._append(page)
            self._load_thread_sizes(page)
        self.endResetModel()

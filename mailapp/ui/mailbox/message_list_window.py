"""The message list holds only a window of its rows: far pages are forgotten and read again.

A mixin of `MessageListModel` (mailapp.ui.mailbox.message_list_model). The list grows a page at
a time as the view asks (`fetchMore`), and a user who scrolls to the end of a 100,000-message
inbox has fetched every row: kept, that is ~0.7 KB a row, 70+ MB. So, as Thunderbird's and
Geary's lists do, only up to `RESIDENT_ROWS` rows around the last one read stay in memory.

A forgotten run of rows (at most a page) becomes one shared `Hole` in the row list: the list
keeps its length (a pointer a row), and the hole knows the keyset range its rows filled,
(after, upper], so a view painting one of them reads exactly that range again by keyset.

Store changes need no care for forgotten rows: a changed message there is read again with its
page. If mail arrived in (or left) a hole's range meanwhile, reading it back finds another count;
the rows are then fitted on the next turn of the event loop (rows inserted or removed at the
hole's end, never inside `data()`, which views call while painting), blank until then.

Kept whatever is far: the rows a view holds (the selection, the current row), the last page (the
cursor of `fetchMore` and of arriving mail), and every row of a search or a drafts list (few,
and with no keyset range to read back).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QTimer

from mailapp.store.rows import MessageSummary

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.store.rows import SortOrder

# Rows kept in memory around the last row read: many screens of a tall list, ~0.7 MB.
RESIDENT_ROWS = 1024

ListKey = tuple[str, Any, str]  # views.list_key: (sort key, date, id)


class Hole:
    """Stands for each row of a forgotten run: they filled the keyset range (after, upper]."""

    __slots__ = ("after", "pending", "upper")

    def __init__(self, after: ListKey | None, upper: ListKey) -> None:
        self.after = after
        self.upper = upper
        self.pending = False  # read back with another count: fitted on the next turn


Slot = MessageSummary | Hole


class KeepsAWindow:
    """The forgetting and reading-back half of the message list model (see the docstring)."""

    if TYPE_CHECKING:  # provided by MessageListModel / QAbstractTableModel
        _store: MailStore | None
        _rows: list[Slot]
        _row_of: dict[str, int]
        _page_size: int
        _search: str | None
        _drafts_account: str | None
        _conversations: bool
        _thread_sizes: dict[str, int]
        effective_order: SortOrder
        dataChanged: Any
        index: Any
        columnCount: Any
        beginInsertRows: Any
        endInsertRows: Any
        beginRemoveRows: Any
        endRemoveRows: Any
        persistentIndexList: Any
        _reindex: Any
        _load_thread_sizes: Any
        _fetch_from: Any

    def _init_window(self, resident_rows: int) -> None:
        self._resident_rows = max(resident_rows, 4 * self._page_size)
        self._pending: list[Hole] = []
        # Messages that arrived among forgotten rows (message_list_changes): when their page is
        # read back they are the new rows, inserted where they are (Qt leaves an inserted row
        # out of a selection, so the rows the user selected keep their messages).
        self._arrivals: set[str] = set()
        self.fitted = 0  # pages read back with another count: their rows moved (selections)
        self._fit_timer = QTimer(self)  # type: ignore[arg-type]
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self._fit_pending)

    @property
    def resident_count(self) -> int:
        """How many rows are held in memory (the others are read again when shown)."""
        return len(self._row_of)

    def _forget_window(self) -> None:
        self._pending.clear()
        self._arrivals.clear()
        self._fit_timer.stop()

    def summary(self, row: int) -> MessageSummary:
        """The row's message, read again if it was forgotten. Not for painting: a page read back
        with another count is fitted here at once (rows may come or go), not on the next turn."""
        found = self.resident_summary(row)
        if found is None:
            self._fit_pending()
            found = self.resident_summary(min(row, len(self._rows) - 1))
        assert found is not None
        return found

    def resident_summary(self, row: int) -> MessageSummary | None:
        """The row's message, its page read again if it was forgotten; None while a page read
        back with another count waits to be fitted (until the next turn of the event loop)."""
        slot = self._rows[row]
        if not isinstance(slot, Hole):
            return slot
        if slot.pending or self._store is None:
            return None
        self._read_back(row, slot)
        found = self._rows[row]
        return None if isinstance(found, Hole) else found

    def _key_of(self, slot: Slot) -> ListKey:
        from mailapp.store import views  # SQLAlchemy: never before the first paint

        return slot.upper if isinstance(slot, Hole) else views.list_key(slot, self.effective_order)

    def _run_of(self, row: int, hole: Hole) -> tuple[int, int]:
        rows = self._rows
        first, last = row, row
        while first > 0 and rows[first - 1] is hole:
            first -= 1
        while last + 1 < len(rows) and rows[last + 1] is hole:
            last += 1
        return first, last

    def _read_back(self, row: int, hole: Hole) -> None:
        """Reads the hole's rows again; with another count (mail came or went meanwhile) the
        rows are fitted on the next turn instead, as nothing may move while a view paints."""
        first, last = self._run_of(row, hole)
        count = last - first + 1
        page: list[MessageSummary] = self._fetch_from(hole.after, count)
        fits = (
            len(page) == count
            and self._key_of(page[-1]) == hole.upper
            and not any(s.id in self._row_of for s in page)
        )
        if not fits:
            hole.pending = True
            self._pending.append(hole)
            self._fit_timer.start()
            return
        for offset, summary in enumerate(page):
            self._rows[first + offset] = summary
            self._row_of[summary.id] = first + offset
        self._load_thread_sizes(page)
        self._forget_far(row)

    def _fit_pending(self) -> None:
        """Fits each pending hole's rows: the range read whole, rows added or removed at its end."""
        pending, self._pending = self._pending, []
        for hole in pending:
            try:
                first = self._rows.index(hole)
            except ValueError:  # its rows left meanwhile (another mailbox, a reload)
                continue
            first, last = self._run_of(first, hole)
            count = last - first + 1
            found = [s for s in self._read_range(hole) if s.id not in self._row_of]
            new = [first + i for i, s in enumerate(found) if s.id in self._arrivals]
            self._arrivals.difference_update(s.id for s in found)
            if len(found) != count:
                self.fitted += 1
            if len(found) > count:
                extra = len(found) - count
                places = new if len(new) == extra else range(last + 1, last + 1 + extra)
                for place in places:  # ascending: each is its row's place in the end
                    self.beginInsertRows(QModelIndex(), place, place)
                    self._rows.insert(place, hole)
                    self.endInsertRows()
            elif len(found) < count:
                self.beginRemoveRows(QModelIndex(), first + len(found), last)
                del self._rows[first + len(found) : last + 1]
                self.endRemoveRows()
            self._rows[first : first + len(found)] = found
            self._reindex(first)
            self._load_thread_sizes(found)
            if found:
                top, bottom = self.index(first, 0), self.index(first + len(found) - 1, 0)
                self.dataChanged.emit(top, bottom.siblingAtColumn(self.columnCount() - 1))
                self._forget_far(first)

    def _read_range(self, hole: Hole) -> list[MessageSummary]:
        """Every row now in the hole's range (after, upper], a page at a time."""
        rows: list[MessageSummary] = []
        after = hole.after
        while True:
            page: list[MessageSummary] = self._fetch_from(after, self._page_size)
            for summary in page:
                key = self._key_of(summary)
                if self._beyond(key, hole.upper):
                    return rows
                rows.append(summary)
            if len(page) < self._page_size:
                return rows
            after = self._key_of(page[-1])

    def _beyond(self, key: ListKey, upper: ListKey) -> bool:
        from mailapp.store import views  # see _key_of

        return key < upper if views.is_descending(self.effective_order) else key > upper

    def _forget_far(self, focus: int) -> None:
        """Over RESIDENT_ROWS held: forgets the rows farthest from `focus` (the row just read),
        a page-sized run per hole, except the rows a view holds and the last page."""
        if len(self._row_of) <= self._resident_rows:
            return
        if self._search is not None or self._drafts_account is not None:
            return
        half = self._resident_rows // 2
        near = range(focus - half, focus + half)
        tail = len(self._rows) - self._page_size
        held = {i.row() for i in self.persistentIndexList() if i.isValid()}
        far = sorted(
            row
            for row in self._row_of.values()
            if row not in near and row < tail and row not in held
        )
        run: list[int] = []
        for row in far:
            if run and (row != run[-1] + 1 or len(run) == self._page_size):
                self._forget_run(run)
                run = []
            run.append(row)
        if run:
            self._forget_run(run)

    def _forget_run(self, run: list[int]) -> None:
        rows = self._rows
        after = self._key_of(rows[run[0] - 1]) if run[0] > 0 else None
        hole = Hole(after, self._key_of(rows[run[-1]]))
        for row in run:
            summary = rows[row]
            assert not isinstance(summary, Hole)
            del self._row_of[summary.id]
            if self._conversations and summary.thread_id:
                self._thread_sizes.pop(summary.thread_id, None)
            rows[row] = hole

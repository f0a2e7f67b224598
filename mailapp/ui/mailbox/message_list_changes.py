"""Keeping the message list's fetched rows current as the store changes, a bounded slice at a time.

A mixin of `MessageListModel` (mailapp.ui.mailbox.message_list_model), whose rows it edits. A
sync names thousands of messages in one change set; the list re-reads only what it shows or what
belongs among the rows it shows, and at most a slice of them per turn of the event loop, so the
window keeps painting and answering meanwhile (issue 11: no UI stall over 50 ms during a 100k sync).

- Listed messages that changed are re-read by id (`views.summaries`), `STALE_SLICE` per turn:
  a changed flag or read state updates its row in place, a message gone or moved away leaves.
- Unlisted messages of the shown mailbox are looked up `ARRIVED_SLICE` per turn, and only those
  that sort among the fetched rows are read (`views.summaries_before`); older ones wait for
  `fetchMore()`. As many rows as the view had fetched stay fetched: new mail inserted above
  pushes the oldest rows out, so a sync into an open mailbox does not grow the list, except to
  keep the selected message listed (up to `KEEP_FOR_SELECTION` rows).

Nothing here resets the model, so the selection, the current row and the scroll position stay.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QTimer

from mailapp.store.rows import MessageSummary
from mailapp.ui.mailbox.message_list_window import Hole

if TYPE_CHECKING:
    from mailapp.store import MailStore
    from mailapp.store.rows import ChangeSet

# Listed rows re-read per turn of the event loop: one primary-key query and as many row updates.
STALE_SLICE = 200
# Unlisted changed messages checked per turn; only those among the fetched rows are read.
ARRIVED_SLICE = 500
# Rows kept so that the selected message stays listed while newer mail arrives above it.
KEEP_FOR_SELECTION = 2000


class FollowsStoreChanges:
    """The change-following half of the message list model (see the module docstring)."""

    if TYPE_CHECKING:  # provided by MessageListModel / QAbstractTableModel
        _store: MailStore | None
        _mailbox_id: str | None
        _rows: list[MessageSummary | Hole]
        _row_of: dict[str, int]
        _exhausted: bool
        _page_size: int
        _search: str | None
        _conversations: bool
        _drafts_account: str | None
        # Qt's methods and the model's own, as the model class has them.
        effective_order: Any
        dataChanged: Any
        index: Any
        columnCount: Any
        beginInsertRows: Any
        endInsertRows: Any
        beginRemoveRows: Any
        endRemoveRows: Any
        persistentIndexList: Any
        fetchMore: Any
        _reload: Any
        _forget_window: Any
        _key_of: Any
        resident_summary: Any
        _arrivals: set[str]

    def _init_changes(self) -> None:
        # Ordered sets (dicts): listed messages to re-read; unlisted ones that may belong here.
        self._stale: dict[str, None] = {}
        self._arrived: dict[str, None] = {}
        self._editing = False
        self._fetch_after_edit = False
        self._slice_timer = QTimer(self)  # type: ignore[arg-type]
        self._slice_timer.setSingleShot(True)
        self._slice_timer.setInterval(0)
        self._slice_timer.timeout.connect(self._apply_slice)

    @property
    def applying_changes(self) -> bool:
        """True while changed messages wait for a later turn of the event loop."""
        return bool(self._stale or self._arrived)

    def apply_changes(self, changes: ChangeSet) -> None:
        """Brings fetched rows up to date with a store ChangeSet without resetting the model:
        the first slice now, the rest on later turns of the event loop."""
        mailbox_id = self._mailbox_id
        if mailbox_id is None or self._store is None:
            return
        if self._drafts_account is not None:
            if changes.drafts:
                self._refresh_draft_rows(changes.drafts)
            return
        if not changes.messages:
            return
        if self._search is not None:
            self._refresh_search_rows(changes)
            return
        if self._conversations:
            # A change may move which message heads a conversation; re-read the fetched span.
            if mailbox_id in changes.mailboxes or any(m in self._row_of for m in changes.messages):
                self._reload()
            return
        row_of, stale, arrived = self._row_of, self._stale, self._arrived
        # Unlisted ids matter only when this mailbox is among those the change touched.
        here = mailbox_id in changes.mailboxes
        for message_id in changes.messages:
            if message_id in row_of:
                stale[message_id] = None
            elif here:
                arrived[message_id] = None
        self._apply_slice()

    def _forget_changes(self) -> None:
        """The rows were read afresh (another mailbox, order, or a reload): nothing is stale."""
        self._stale.clear()
        self._arrived.clear()
        self._slice_timer.stop()
        self._forget_window()

    def _apply_slice(self) -> None:
        from mailapp.store import views  # SQLAlchemy: never before the first paint

        store, mailbox_id = self._store, self._mailbox_id
        if store is None or mailbox_id is None:
            self._forget_changes()
            return
        if self._stale:
            ids = [i for i in _take(self._stale, STALE_SLICE) if i in self._row_of]
            self._refresh_listed(ids, views.summaries(store, ids))
        if self._arrived:
            ids = [i for i in _take(self._arrived, ARRIVED_SLICE) if i not in self._row_of]
            keep = max(len(self._rows), self._page_size)
            # The last page is never forgotten (message_list_window), so this reads nothing.
            bound = (
                None
                if self._exhausted or not self._rows
                else self.resident_summary(len(self._rows) - 1)
            )
            found = views.summaries_before(
                store, mailbox_id, ids, order=self.effective_order, bound=bound, limit=len(ids)
            )
            self._editing = True  # a view asking for more meanwhile is answered afterwards
            try:
                self._insert_many([s for s in found if s.id not in self._row_of])
                keep = max(keep, self._held_rows())
                if len(self._rows) > keep:
                    self._drop_tail(keep)
            finally:
                self._editing = False
            if self._fetch_after_edit:
                self._fetch_after_edit = False
                self.fetchMore(QModelIndex())
        if self._stale or self._arrived:
            self._slice_timer.start()

    def _held_rows(self) -> int:
        """How many rows keep every row a view holds (the selection, the current row), up to
        KEEP_FOR_SELECTION: new mail must not push the message being read out of the list."""
        held = [index.row() for index in self.persistentIndexList() if index.isValid()]
        return min(max(held, default=-1) + 1, KEEP_FOR_SELECTION)

    def _refresh_listed(self, asked: Sequence[str], found: dict[str, MessageSummary]) -> None:
        """Listed messages re-read: those still here change in place (one dataChanged per run of
        neighbouring rows); those deleted or moved away leave."""
        changed: list[int] = []
        gone: list[int] = []
        for message_id in asked:
            row = self._row_of.get(message_id)
            if row is None:
                continue
            summary = found.get(message_id)
            if summary is not None and summary.mailbox_id == self._mailbox_id:
                self._rows[row] = summary
                changed.append(row)
            else:
                gone.append(row)
        for first, last in _runs(sorted(changed)):
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))
        self._remove_rows(gone)

    def _insert_many(self, summaries: Sequence[MessageSummary]) -> None:
        """Inserts rows in list order, one insertion per run of neighbours; rows that would
        come after the last fetched one are left to fetchMore() unless the list is complete."""
        if not summaries:
            return
        from mailapp.store import views  # see _apply_slice

        order = self.effective_order
        descending = views.is_descending(order)

        def key(slot: MessageSummary | Hole) -> Any:
            # A forgotten row sorts as its hole's upper bound: the keys stay in order.
            found = self._key_of(slot)
            return _Reversed(found) if descending else found

        def after(hole: Hole, summary: MessageSummary) -> bool:
            assert hole.after is not None
            return self._key_of(summary) < hole.after if descending else (
                self._key_of(summary) > hole.after
            )  # fmt: skip

        keys = _LazyKeys(self._rows, key)
        blocks: list[tuple[int, list[MessageSummary]]] = []
        for summary in sorted(summaries, key=key):
            position = bisect_left(keys, key(summary))
            if position == len(self._rows) and not self._exhausted:
                break  # older than everything fetched (and so are the rest): fetchMore()
            hole = self._rows[position] if position < len(self._rows) else None
            if isinstance(hole, Hole) and (hole.after is None or after(hole, summary)):
                # In a forgotten run's range: read with it when it is shown again.
                self._arrivals.add(summary.id)
                continue
            if blocks and blocks[-1][0] == position:
                blocks[-1][1].append(summary)
            else:
                blocks.append((position, [summary]))
        # From the bottom up, so the positions above stay right; indexes renumbered once.
        for position, block in reversed(blocks):
            self.beginInsertRows(QModelIndex(), position, position + len(block) - 1)
            self._rows[position:position] = block
            self.endInsertRows()
        if blocks:
            self._reindex(blocks[0][0])

    def _remove_rows(self, rows: Iterable[int]) -> None:
        """Removes rows, one removal per run of neighbours, from the bottom up."""
        ordered = sorted(set(rows))
        if not ordered:
            return
        for first, last in reversed(list(_runs(ordered))):
            self.beginRemoveRows(QModelIndex(), first, last)
            for slot in self._rows[first : last + 1]:
                if not isinstance(slot, Hole):
                    del self._row_of[slot.id]
            del self._rows[first : last + 1]
            self.endRemoveRows()
        self._reindex(ordered[0])
        self._trim_holes()

    def _remove_row(self, row: int) -> None:
        self._remove_rows([row])

    def _reindex(self, start: int) -> None:
        row_of, rows = self._row_of, self._rows
        for row in range(start, len(rows)):
            slot = rows[row]
            if not isinstance(slot, Hole):
                row_of[slot.id] = row

    def _trim_holes(self) -> None:
        """Forgotten rows left at the end go: fetchMore() reads after the last row, so that one
        must be held (as is the bound of arriving mail)."""
        rows = self._rows
        last = len(rows)
        while last > 0 and isinstance(rows[last - 1], Hole):
            last -= 1
        if last == len(rows):
            return
        self.beginRemoveRows(QModelIndex(), last, len(rows) - 1)
        del rows[last:]
        self._exhausted = False
        self.endRemoveRows()

    def _insert_sorted(self, summary: MessageSummary) -> None:
        self._insert_many([summary])

    def _drop_tail(self, keep: int) -> None:
        """Forget the rows after the first `keep`; fetchMore() reads them again when wanted."""
        self.beginRemoveRows(QModelIndex(), keep, len(self._rows) - 1)
        for slot in self._rows[keep:]:
            if not isinstance(slot, Hole):
                del self._row_of[slot.id]
        del self._rows[keep:]
        self._exhausted = False
        self.endRemoveRows()
        self._trim_holes()

    def _comes_before(self, a: MessageSummary, b: MessageSummary) -> bool:
        from mailapp.store import views  # see _apply_slice

        order = self.effective_order
        key_a, key_b = views.list_key(a, order), views.list_key(b, order)
        return key_a > key_b if views.is_descending(order) else key_a < key_b

    def _refresh_search_rows(self, changes: ChangeSet) -> None:
        from mailapp.store import views  # see _apply_slice

        assert self._store is not None
        known = [m for m in changes.messages if m in self._row_of]
        current = views.summaries(self._store, known)
        gone = [self._row_of[m] for m in known if m not in current]
        for message_id in known:
            if message_id in current:
                self._rows[self._row_of[message_id]] = current[message_id]
        self._remove_rows(gone)
        changed = sorted(self._row_of[m] for m in current if m in self._row_of)
        for first, last in _runs(changed):
            self.dataChanged.emit(self.index(first, 0), self.index(last, self.columnCount() - 1))

    def _refresh_draft_rows(self, draft_ids: Iterable[str]) -> None:
        """Saved drafts move to their place by last edit; deleted ones (or sent) leave."""
        from mailapp.store import views  # see _apply_slice

        assert self._store is not None and self._drafts_account is not None
        assert self._mailbox_id is not None
        current = views.draft_summaries(
            self._store, self._drafts_account, self._mailbox_id, draft_ids
        )
        for draft_id in sorted(set(draft_ids)):
            row = self._row_of.get(draft_id)
            draft = current.get(draft_id)
            if row is not None and draft is not None and self._still_in_place(row, draft):
                self._rows[row] = draft  # kept in place, so the selection stays on it
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
                continue
            if row is not None:
                self._remove_row(row)  # an edit changes its date, and so its place
            if draft is not None:
                self._insert_sorted(draft)

    def _still_in_place(self, row: int, summary: MessageSummary) -> bool:
        before = row == 0 or self._comes_before(self._rows[row - 1], summary)
        last = len(self._rows) - 1
        return before and (row == last or self._comes_before(summary, self._rows[row + 1]))


def _take(queue: dict[str, None], count: int) -> list[str]:
    """The first `count` ids of an ordered set, removed from it."""
    taken: list[str] = []
    for message_id in queue:
        taken.append(message_id)
        if len(taken) == count:
            break
    for message_id in taken:
        del queue[message_id]
    return taken


def _runs(rows: Sequence[int]) -> Iterable[tuple[int, int]]:
    """(first, last) of each run of consecutive numbers in a sorted sequence."""
    start = previous = None
    for row in rows:
        if previous is not None and row == previous + 1:
            previous = row
            continue
        if start is not None and previous is not None:
            yield start, previous
        start = previous = row
    if start is not None and previous is not None:
        yield start, previous


class _Reversed:
    """Compares the other way round, so a descending list is bisected like an ascending one."""

    __slots__ = ("key",)

    def __init__(self, key: Any) -> None:
        self.key = key

    def __lt__(self, other: _Reversed) -> bool:
        return bool(self.key > other.key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Reversed) and bool(self.key == other.key)

    __hash__ = None  # type: ignore[assignment]


class _LazyKeys(Sequence[Any]):
    """The sort keys of the rows, computed only for the rows a binary search visits."""

    def __init__(self, rows: list[MessageSummary], key: Any) -> None:
        self._rows = rows
        self._key = key

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, row: Any) -> Any:
        return self._key(self._rows[row])

"""What the message list reads from the store: its pages, and conversation sizes.

A mixin of `MessageListModel` (mailapp.ui.mailbox.message_list_model). `mailapp.store.views`
(SQLAlchemy) is imported inside the methods: the list shows the start-up snapshot first and
only queries once a store is attached.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mailapp.store.rows import MessageSummary, PageCursor, SortOrder

if TYPE_CHECKING:
    from mailapp.store import MailStore


class ReadsPages:
    if TYPE_CHECKING:  # provided by MessageListModel
        _store: MailStore | None
        _mailbox_id: str | None
        _drafts_account: str | None
        _order: SortOrder
        _conversations: bool
        _thread_sizes: dict[str, int]
        effective_order: Any  # the model's property

    def _fetch_from(self, after: tuple[str, Any, str] | None, limit: int) -> list[MessageSummary]:
        """The page after the list key ``after`` (views.list_key: sort key, date, id; None: the
        first page). A key, not a row: a forgotten run of rows is read again from its bound."""
        from mailapp.store import views  # SQLAlchemy: never before the first paint

        assert self._mailbox_id is not None and self._store is not None
        cursor = None if after is None else PageCursor(after[1], after[2])
        if self._drafts_account is not None:
            return views.draft_page(
                self._store,
                self._drafts_account,
                self._mailbox_id,
                cursor,
                limit,
                order=self.effective_order,
            )
        if self._order == SortOrder.NEWEST_FIRST and not self._conversations:
            return self._store.page(self._mailbox_id, cursor, limit)
        return views.page(
            self._store,
            self._mailbox_id,
            cursor,
            limit,
            order=self._order,
            conversations=self._conversations,
            after_key=None if after is None else after[0],
        )

    def _load_thread_sizes(self, summaries: Iterable[MessageSummary]) -> None:
        if not self._conversations or self._mailbox_id is None or self._store is None:
            return
        if self._drafts_account is not None:
            return
        from mailapp.store import views  # SQLAlchemy: never before the first paint

        threads = [s.thread_id for s in summaries if s.thread_id]
        self._thread_sizes.update(views.thread_sizes(self._store, self._mailbox_id, threads))

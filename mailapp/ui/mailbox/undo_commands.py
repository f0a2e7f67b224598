"""Undoable message actions. Each store call queues its own mutation, so undo is a new change
the server hears about (a move back, a keyword reset), never a silent local rewind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from PySide6.QtGui import QUndoCommand

from mailapp.store import MailStore, views
from mailapp.store.rows import MessageSummary


class MoveCommand(QUndoCommand):
    """Moves messages to one mailbox (also what Delete to Trash and Archive are)."""

    def __init__(
        self,
        store: MailStore,
        messages: Sequence[MessageSummary],
        target_mailbox_id: str,
        text: str,
        *,
        via_delete: bool = False,
    ) -> None:
        super().__init__(text)
        self._store = store
        self._target = target_mailbox_id
        self._via_delete = via_delete
        self._origins = {m.id: m.mailbox_id for m in messages if m.mailbox_id != target_mailbox_id}

    @property
    def count(self) -> int:
        return len(self._origins)

    def redo(self) -> None:
        ids = list(self._origins)
        if self._via_delete:
            self._store.delete(ids)
        else:
            self._store.move(ids, self._target)

    def undo(self) -> None:
        back: dict[str, list[str]] = defaultdict(list)
        still_there = views.summaries(self._store, self._origins)
        for message_id, origin in self._origins.items():
            current = still_there.get(message_id)
            # A message destroyed or moved on elsewhere since is left where it is now.
            if current is not None and current.mailbox_id == self._target:
                back[origin].append(message_id)
        for origin, ids in back.items():
            self._store.move(ids, origin)


class KeywordCommand(QUndoCommand):
    """Mark read/unread or flag/unflag; undo restores each message's previous value."""

    def __init__(
        self,
        setter: Callable[[Sequence[str], bool], None],
        messages: Sequence[MessageSummary],
        value: bool,
        previous: Callable[[MessageSummary], bool],
        text: str,
    ) -> None:
        super().__init__(text)
        self._setter = setter
        self._value = value
        self._changed = [m.id for m in messages if previous(m) != value]

    @property
    def count(self) -> int:
        return len(self._changed)

    def redo(self) -> None:
        self._setter(self._changed, self._value)

    def undo(self) -> None:
        self._setter(self._changed, not self._value)

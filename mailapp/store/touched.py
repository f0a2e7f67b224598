"""What an Outbox or conflict action touched, for its ChangeSet, and a message's keyword columns
set from its keyword list (shared by outbox_admin.py and conflicts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, update

from mailapp.store import codec
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import messages

_KEYWORD_COLUMNS = {"$seen": "is_read", "$flagged": "is_flagged"}


def set_message_keywords(conn: Connection, num: int, keywords: set[str]) -> None:
    values: dict[str, Any] = {"keywords": codec.dumps(sorted(keywords))}
    for keyword, column in _KEYWORD_COLUMNS.items():
        values[column] = keyword in keywords
    conn.execute(update(messages).where(messages.c.num == num).values(values))


@dataclass
class Touched:
    messages: set[str]
    mailboxes: set[str]
    drafts: set[str]

    @classmethod
    def empty(cls) -> Touched:
        return cls(set(), set(), set())

    def add(
        self, *, message: str | None = None, mailbox: str | None = None, draft: str | None = None
    ) -> None:
        for target, value in (
            (self.messages, message),
            (self.mailboxes, mailbox),
            (self.drafts, draft),
        ):
            if value is not None:
                target.add(value)

    def change_set(self) -> ChangeSet:
        return ChangeSet(
            messages=frozenset(self.messages),
            mailboxes=frozenset(self.mailboxes),
            drafts=frozenset(self.drafts),
            outbox=True,
        )

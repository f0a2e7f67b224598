"""MailStore's user actions on messages: each a local change and its outbox mutation in one
transaction (keywords, move, delete)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, select, update

from mailapp.store import codec
from mailapp.store.outbox import Mutation, queue_mutations
from mailapp.store.rows import ChangeSet
from mailapp.store.schema import mailboxes, messages
from mailapp.store.store_base import AnyRow, StoreBase

# Keep IN (...) lists well under SQLite's bound-parameter limit.
_CHUNK = 500


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class StoreActions(StoreBase):
    # -- user actions: local change + outbox mutation in one transaction ------------------------

    def _load(self, conn: Connection, message_ids: Sequence[str]) -> list[AnyRow]:
        loaded: list[AnyRow] = []
        for chunk in _chunks(message_ids):
            loaded.extend(
                conn.execute(
                    select(
                        messages.c.num,
                        messages.c.id,
                        messages.c.server_id,
                        messages.c.account_id,
                        messages.c.mailbox_id,
                        messages.c.is_read,
                        messages.c.is_flagged,
                        messages.c.keywords,
                    ).where(messages.c.id.in_(chunk))
                )
            )
        # Queue mutations in the order the caller listed the messages.
        order = {message_id: i for i, message_id in enumerate(message_ids)}
        return sorted(loaded, key=lambda row: order[row.id])

    def _set_keyword(
        self, message_ids: Sequence[str], keyword: str, column: str, value: bool
    ) -> None:
        touched: set[str] = set()
        boxes: set[str] = set()
        changes: list[dict[str, Any]] = []
        mutations: list[Mutation] = []
        with self._write() as conn:
            for row in self._load(conn, message_ids):
                if bool(getattr(row, column)) == value:
                    continue  # no-op: nothing to change, nothing to queue
                keywords = set(codec.loads(row.keywords))
                if value:
                    keywords.add(keyword)
                else:
                    keywords.discard(keyword)
                changes.append({"b_num": row.num, "b_keywords": codec.dumps(sorted(keywords))})
                mutations.append(
                    Mutation(
                        row.account_id,
                        "email.keywords",
                        {
                            "emailId": row.server_id or row.id,
                            "add": [keyword] if value else [],
                            "remove": [] if value else [keyword],
                        },
                        row.id,
                    )
                )
                touched.add(row.id)
                boxes.add(row.mailbox_id)
            # One executemany for the changes and two statements for their mutations, however
            # many messages are selected: this runs on the UI thread (issue 11).
            if changes:
                conn.execute(
                    update(messages)
                    .where(messages.c.num == bindparam("b_num"))
                    .values({column: value, "keywords": bindparam("b_keywords")}),
                    changes,
                )
            queue_mutations(conn, mutations)
        if touched:
            self._notify(
                ChangeSet(messages=frozenset(touched), mailboxes=frozenset(boxes), outbox=True)
            )

    def mark_read(self, message_ids: Sequence[str], read: bool = True) -> None:
        self._set_keyword(message_ids, "$seen", "is_read", read)

    def set_flagged(self, message_ids: Sequence[str], flagged: bool = True) -> None:
        self._set_keyword(message_ids, "$flagged", "is_flagged", flagged)

    @staticmethod
    def _move_mutation(row: AnyRow, mailbox_id: str) -> Mutation:
        return Mutation(
            row.account_id,
            "email.move",
            {
                "emailId": row.server_id or row.id,
                "mailboxId": {"old": row.mailbox_id, "new": mailbox_id},
            },
            row.id,
        )

    @staticmethod
    def _move_rows(conn: Connection, moves: list[dict[str, Any]]) -> None:
        if moves:
            conn.execute(
                update(messages)
                .where(messages.c.num == bindparam("b_num"))
                .values(mailbox_id=bindparam("b_mailbox")),
                moves,
            )

    def move(self, message_ids: Sequence[str], mailbox_id: str) -> None:
        touched: set[str] = set()
        boxes: set[str] = set()
        moves: list[dict[str, Any]] = []
        mutations: list[Mutation] = []
        with self._write() as conn:
            target_account = conn.execute(
                select(mailboxes.c.account_id).where(mailboxes.c.id == mailbox_id)
            ).scalar()
            if target_account is None:
                raise KeyError(f"no mailbox {mailbox_id}")
            for row in self._load(conn, message_ids):
                if row.mailbox_id == mailbox_id:
                    continue
                if row.account_id != target_account:
                    raise ValueError("messages can only be moved within their own account")
                moves.append({"b_num": row.num, "b_mailbox": mailbox_id})
                mutations.append(self._move_mutation(row, mailbox_id))
                touched.add(row.id)
                boxes.update((row.mailbox_id, mailbox_id))
            self._move_rows(conn, moves)
            queue_mutations(conn, mutations)
        if touched:
            self._notify(
                ChangeSet(messages=frozenset(touched), mailboxes=frozenset(boxes), outbox=True)
            )

    def delete(self, message_ids: Sequence[str]) -> None:
        """Move to the account's Trash; messages already in Trash are destroyed."""
        touched: set[str] = set()
        boxes: set[str] = set()
        moves: list[dict[str, Any]] = []
        destroyed: list[dict[str, Any]] = []
        mutations: list[Mutation] = []
        with self._write() as conn:
            trash_by_account: dict[str, str | None] = {}
            for row in self._load(conn, message_ids):
                if row.account_id not in trash_by_account:
                    trash_by_account[row.account_id] = conn.execute(
                        select(mailboxes.c.id).where(
                            mailboxes.c.account_id == row.account_id, mailboxes.c.role == "trash"
                        )
                    ).scalar()
                trash = trash_by_account[row.account_id]
                if trash is not None and row.mailbox_id != trash:
                    moves.append({"b_num": row.num, "b_mailbox": trash})
                    mutations.append(self._move_mutation(row, trash))
                    boxes.add(trash)
                else:
                    destroyed.append({"b_num": row.num})
                    mutations.append(
                        Mutation(
                            row.account_id,
                            "email.destroy",
                            {"emailId": row.server_id or row.id},
                            row.id,
                        )
                    )
                touched.add(row.id)
                boxes.add(row.mailbox_id)
            # Each message is moved or destroyed, never both: the order of the two does not
            # matter; the mutations keep the user's order.
            self._move_rows(conn, moves)
            if destroyed:
                conn.execute(
                    delete(messages).where(messages.c.num == bindparam("b_num")), destroyed
                )
            queue_mutations(conn, mutations)
        if touched:
            self._notify(
                ChangeSet(messages=frozenset(touched), mailboxes=frozenset(boxes), outbox=True)
            )

    # -- drafts and sending ------------------------------------------------------------------

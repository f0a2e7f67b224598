"""Actions on many selected messages: a constant number of SQL statements on the UI thread, and
exactly the local change, queued mutations (one per changed message, in the order the user
listed them) and notification the same action on each message alone would give."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from mailapp.store import ChangeSet, MailStore, OutboxState
from tests.store.conftest import Recorder, add_messages, mailbox_id

# BEGIN, the SELECT of the messages, the target/trash look-up, the change(s), the mutation ids,
# the outbox INSERT, COMMIT; an executemany counts as one.
MAX_STATEMENTS = 10


@contextmanager
def _counting(store: MailStore) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    engine = store._engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _outbox(store_path: Path) -> list[tuple[int, str, dict[str, Any], str]]:
    with sqlite3.connect(store_path) as conn:
        rows = conn.execute(
            "SELECT mutation_id, type, payload, email_id, state FROM outbox ORDER BY mutation_id"
        ).fetchall()
    assert {row[4] for row in rows} <= {OutboxState.PENDING.value}
    return [(row[0], row[1], json.loads(row[2]), row[3]) for row in rows]


def _keywords(store_path: Path, message_id: str) -> list[str]:
    with sqlite3.connect(store_path) as conn:
        [(keywords,)] = conn.execute("SELECT keywords FROM messages WHERE id = ?", (message_id,))
    return json.loads(keywords)


Action = Callable[[MailStore, str, list[str]], None]
ACTIONS: dict[str, Action] = {
    "set_flagged": lambda store, archive, ids: store.set_flagged(ids),
    "mark_read": lambda store, archive, ids: store.mark_read(ids),
    "move": lambda store, archive, ids: store.move(ids, archive),
    "delete": lambda store, archive, ids: store.delete(ids),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_acting_on_100_messages_runs_a_constant_number_of_statements(
    store: MailStore, account: str, action: str
) -> None:
    ids = add_messages(store, account, 100)
    archive = mailbox_id(store, account, "archive")
    with _counting(store) as statements:
        ACTIONS[action](store, archive, ids)
    assert len(statements) <= MAX_STATEMENTS, statements
    assert len(store.pending_mutations()) == 100


def test_deleting_in_trash_and_inbox_at_once_runs_a_constant_number_of_statements(
    store: MailStore, account: str
) -> None:
    in_trash = add_messages(store, account, 50, role="trash")
    in_inbox = add_messages(store, account, 50)
    with _counting(store) as statements:
        store.delete(in_trash + in_inbox)
    assert len(statements) <= MAX_STATEMENTS, statements


def test_flagging_many_changes_each_unflagged_one_and_queues_it_in_the_users_order(
    store: MailStore, account: str, store_path: Path
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    flagged = add_messages(store, account, 30, keywords=frozenset({"$flagged", "$seen"}))
    plain = add_messages(store, account, 70, subject="Plain")
    selection = [m for pair in zip(plain[:30], flagged, strict=True) for m in pair] + plain[30:]
    recorder = Recorder()
    store.subscribe(recorder)
    store.set_flagged(selection)

    assert all(s.is_flagged for s in store.page(inbox, limit=200))
    assert not any(store.message(m).summary.is_read for m in plain)  # type: ignore[union-attr]
    assert all(_keywords(store_path, m) == ["$flagged"] for m in plain)
    assert all(_keywords(store_path, m) == ["$flagged", "$seen"] for m in flagged)
    assert _outbox(store_path) == [
        (
            number,
            "email.keywords",
            {
                "type": "email.keywords",
                "args": {"emailId": message, "add": ["$flagged"], "remove": []},
            },
            message,
        )
        for number, message in enumerate([m for m in selection if m in plain], start=1)
    ]
    assert recorder.changes == [
        ChangeSet(messages=frozenset(plain), mailboxes=frozenset({inbox}), outbox=True)
    ]
    assert store.mailbox_counts()[inbox].pending == 70

    # Unflag them all: only the keyword goes, the mutation ids go on from where they were.
    store.mark_read(plain[:10])
    store.set_flagged(selection, flagged=False)
    assert not any(s.is_flagged for s in store.page(inbox, limit=200))
    assert all(_keywords(store_path, m) == ["$seen"] for m in plain[:10] + flagged)
    rows = _outbox(store_path)
    assert [row[0] for row in rows] == list(range(1, 70 + 10 + 100 + 1))
    assert [row[2]["args"] for row in rows[80:]] == [
        {"emailId": m, "add": [], "remove": ["$flagged"]} for m in selection
    ]


def test_moving_many_queues_one_move_each_and_notifies_both_mailboxes(
    store: MailStore, account: str, store_path: Path
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    archive = mailbox_id(store, account, "archive")
    in_inbox = add_messages(store, account, 60)
    in_archive = add_messages(store, account, 40, role="archive")
    recorder = Recorder()
    store.subscribe(recorder)
    store.move(in_archive[:10] + in_inbox, archive)
    assert store.count(inbox) == 0 and store.count(archive) == 100
    assert store.mailbox_counts()[archive].unread == 100
    assert [(row[0], row[2]["args"], row[3]) for row in _outbox(store_path)] == [
        (n, {"emailId": m, "mailboxId": {"old": inbox, "new": archive}}, m)
        for n, m in enumerate(in_inbox, start=1)
    ]
    assert recorder.changes == [
        ChangeSet(messages=frozenset(in_inbox), mailboxes=frozenset({inbox, archive}), outbox=True)
    ]


def test_deleting_a_mixed_selection_moves_some_destroys_others_in_the_users_order(
    store: MailStore, account: str, store_path: Path
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    trash = mailbox_id(store, account, "trash")
    in_inbox = add_messages(store, account, 40)
    in_trash = add_messages(store, account, 40, role="trash")
    selection = [m for pair in zip(in_trash, in_inbox, strict=True) for m in pair]
    recorder = Recorder()
    store.subscribe(recorder)
    store.delete(selection)
    assert store.count(inbox) == 0
    assert {s.id for s in store.page(trash, limit=100)} == set(in_inbox)
    assert all(store.message(m) is None for m in in_trash)
    expected = [
        (n, {"emailId": m})
        if m in in_trash
        else (n, {"emailId": m, "mailboxId": {"old": inbox, "new": trash}})
        for n, m in enumerate(selection, start=1)
    ]
    assert [(row[0], row[2]["args"]) for row in _outbox(store_path)] == expected
    assert [row[1] for row in _outbox(store_path)] == [
        "email.destroy" if m in in_trash else "email.move" for m in selection
    ]
    assert recorder.changes == [
        ChangeSet(messages=frozenset(selection), mailboxes=frozenset({inbox, trash}), outbox=True)
    ]

"""User actions: the local change and its outbox mutation commit together, or not at all."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from mailapp.store import MailStore, OutboxState, open_store
from tests.store.conftest import Recorder, add_messages, mailbox_id


def _payloads(store: MailStore) -> list[dict]:
    return [row.payload for row in store.pending_mutations()]


def test_mark_read_updates_counts_and_queues_keyword_change(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    first, second = add_messages(store, account, 2)
    assert store.pending_mutations() == []  # imported mail came from the server
    store.mark_read([first])
    assert store.mailbox_counts()[inbox].unread == 1
    assert store.message(first).summary.is_read  # type: ignore[union-attr]
    [row] = store.pending_mutations()
    assert row.payload == {
        "type": "email.keywords",
        "args": {"emailId": first, "add": ["$seen"], "remove": []},
    }
    assert row.state is OutboxState.PENDING
    assert row.attempts == 0 and row.last_error is None
    store.mark_read([first], read=False)
    assert _payloads(store)[-1]["args"] == {"emailId": first, "add": [], "remove": ["$seen"]}
    assert store.mailbox_counts()[inbox].unread == 2
    assert second not in {p["args"]["emailId"] for p in _payloads(store)}


def test_no_op_actions_queue_nothing(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    [read_one] = add_messages(store, account, 1, keywords=frozenset({"$seen", "$flagged"}))
    recorder = Recorder()
    store.subscribe(recorder)
    store.mark_read([read_one])
    store.set_flagged([read_one])
    store.move([read_one], inbox)
    store.mark_read(["no-such-message"])
    assert store.pending_mutations() == []
    assert recorder.changes == []


def test_flag_and_unflag_carry_the_keyword(store: MailStore, account: str) -> None:
    [msg] = add_messages(store, account, 1)
    store.set_flagged([msg])
    assert store.message(msg).summary.is_flagged  # type: ignore[union-attr]
    store.set_flagged([msg], flagged=False)
    assert [p["args"] for p in _payloads(store)] == [
        {"emailId": msg, "add": ["$flagged"], "remove": []},
        {"emailId": msg, "add": [], "remove": ["$flagged"]},
    ]
    assert not store.message(msg).summary.is_flagged  # type: ignore[union-attr]


def test_move_records_old_and_new_mailbox(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    archive = mailbox_id(store, account, "archive")
    [msg] = add_messages(store, account, 1)
    store.move([msg], archive)
    assert store.count(inbox) == 0 and store.count(archive) == 1
    assert [s.id for s in store.page(archive)] == [msg]
    assert _payloads(store) == [
        {
            "type": "email.move",
            "args": {"emailId": msg, "mailboxId": {"old": inbox, "new": archive}},
        }
    ]
    counts = store.mailbox_counts()
    assert counts[archive].pending == 1 and counts[inbox].pending == 0
    assert counts[archive].unread == 1


def test_delete_moves_to_trash_then_destroys(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    trash = mailbox_id(store, account, "trash")
    [msg] = add_messages(store, account, 1)
    store.delete([msg])
    assert [s.id for s in store.page(trash)] == [msg]
    store.delete([msg])
    assert store.message(msg) is None
    assert store.count(trash) == 0 and store.count(inbox) == 0
    assert _payloads(store) == [
        {"type": "email.move", "args": {"emailId": msg, "mailboxId": {"old": inbox, "new": trash}}},
        {"type": "email.destroy", "args": {"emailId": msg}},
    ]


def test_mutation_ids_strictly_increase_across_reopen(store_path: Path) -> None:
    store = open_store(store_path)
    account = store.create_account("me@example.org")
    messages = add_messages(store, account, 3)
    store.mark_read(messages)
    store.close()
    store = open_store(store_path)
    try:
        store.set_flagged(messages[:2])
        ids = [row.mutation_id for row in store.pending_mutations()]
    finally:
        store.close()
    assert ids == [1, 2, 3, 4, 5]


def test_pending_count_follows_outbox_state(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    first, second = add_messages(store, account, 2)
    store.mark_read([first, second])
    store.set_flagged([first])
    assert store.mailbox_counts()[inbox].pending == 2  # messages, not mutations
    rows = store.pending_mutations()
    store.set_mutation_state([rows[0].mutation_id], OutboxState.IN_FLIGHT)
    assert store.mailbox_counts()[inbox].pending == 2
    store.set_mutation_state(
        [r.mutation_id for r in rows if r.args["emailId"] == second], OutboxState.APPLIED
    )
    assert store.mailbox_counts()[inbox].pending == 1
    assert [r.args["emailId"] for r in store.pending_mutations()] == [first, first]
    assert store.pending_mutations()[0].attempts == 1


def _abort_outbox_inserts(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TRIGGER test_abort BEFORE INSERT ON outbox "
            "BEGIN SELECT RAISE(ABORT, 'outbox write failed'); END"
        )


@pytest.mark.parametrize("action", ["mark_read", "set_flagged", "move", "delete"])
def test_failed_mutation_leaves_no_local_change(
    store: MailStore, account: str, store_path: Path, action: str
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    archive = mailbox_id(store, account, "archive")
    messages = add_messages(store, account, 3)
    before = store.page(inbox)
    counts_before = store.mailbox_counts()
    recorder = Recorder()
    store.subscribe(recorder)
    _abort_outbox_inserts(store_path)
    calls = {
        "mark_read": lambda: store.mark_read(messages),
        "set_flagged": lambda: store.set_flagged(messages),
        "move": lambda: store.move(messages, archive),
        "delete": lambda: store.delete(messages),
    }
    with pytest.raises(DBAPIError, match="outbox write failed"):
        calls[action]()
    assert store.page(inbox) == before
    assert store.mailbox_counts() == counts_before
    assert store.pending_mutations() == []
    assert recorder.changes == []


def test_failure_on_a_later_message_rolls_back_the_earlier_ones(
    store: MailStore, account: str, store_path: Path
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    messages = add_messages(store, account, 3)
    with sqlite3.connect(store_path) as conn:
        # The third mutation of this action fails after two messages were already changed.
        conn.execute(
            "CREATE TRIGGER test_abort BEFORE INSERT ON outbox "
            "WHEN (SELECT count(*) FROM outbox) >= 2 "
            "BEGIN SELECT RAISE(ABORT, 'outbox write failed'); END"
        )
    with pytest.raises(DBAPIError):
        store.mark_read(messages)
    assert not any(s.is_read for s in store.page(inbox))
    assert store.mailbox_counts()[inbox].unread == 3
    assert store.pending_mutations() == []


def test_move_to_unknown_mailbox_is_refused(store: MailStore, account: str) -> None:
    [msg] = add_messages(store, account, 1)
    with pytest.raises(KeyError):
        store.move([msg], "no-such-mailbox")
    assert store.pending_mutations() == []


def test_move_between_accounts_is_refused(store: MailStore, account: str) -> None:
    other = store.create_account("other@example.org")
    other_inbox = mailbox_id(store, other, "inbox")
    [msg] = add_messages(store, account, 1)
    with pytest.raises(ValueError, match="own account"):
        store.move([msg], other_inbox)
    assert store.count(mailbox_id(store, account, "inbox")) == 1
    assert store.pending_mutations() == []

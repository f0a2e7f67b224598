"""Subscribers hear about exactly the rows a committed change touched."""

from __future__ import annotations

import logging

import pytest

from mailapp.store import ChangeSet, DraftInput, MailStore
from tests.store.conftest import Recorder, add_messages, mailbox_id, make_message


def test_actions_name_exactly_the_touched_rows(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    archive = mailbox_id(store, account, "archive")
    trash = mailbox_id(store, account, "trash")
    a, b, c = add_messages(store, account, 3)
    recorder = Recorder()
    store.subscribe(recorder)

    store.mark_read([a, b])
    store.set_flagged([c])
    store.move([b], archive)
    store.delete([c])
    store.mark_read([a])  # no-op: no notification
    draft_id = store.save_draft(DraftInput(None, account, subject="x"))
    store.queue_send(draft_id)

    assert recorder.changes == [
        ChangeSet(messages=frozenset({a, b}), mailboxes=frozenset({inbox}), outbox=True),
        ChangeSet(messages=frozenset({c}), mailboxes=frozenset({inbox}), outbox=True),
        ChangeSet(messages=frozenset({b}), mailboxes=frozenset({inbox, archive}), outbox=True),
        ChangeSet(messages=frozenset({c}), mailboxes=frozenset({inbox, trash}), outbox=True),
        ChangeSet(drafts=frozenset({draft_id}), outbox=True),
        ChangeSet(drafts=frozenset({draft_id}), outbox=True),
    ]


def test_import_names_the_new_messages(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    recorder = Recorder()
    store.subscribe(recorder)
    count = store.import_messages(
        account, [(inbox, make_message(f"m{i}"), frozenset()) for i in range(3)]
    )
    assert count == 3
    [changes] = recorder.changes
    assert changes.messages == {s.id for s in store.page(inbox)}
    assert changes.mailboxes == {inbox}
    assert not changes.outbox


def test_subscribers_see_committed_state(store: MailStore, account: str) -> None:
    [msg] = add_messages(store, account, 1)
    seen: list[bool] = []

    def check(_changes: ChangeSet) -> None:
        detail = store.message(msg)
        assert detail is not None
        seen.append(detail.summary.is_read)

    store.subscribe(check)
    store.mark_read([msg])
    assert seen == [True]


def test_failing_subscriber_is_logged_and_others_still_run(
    store: MailStore, account: str, caplog: pytest.LogCaptureFixture
) -> None:
    [msg] = add_messages(store, account, 1)

    def broken(_changes: ChangeSet) -> None:
        raise RuntimeError("view exploded")

    recorder = Recorder()
    store.subscribe(broken)
    store.subscribe(recorder)
    with caplog.at_level(logging.ERROR, logger="mailapp.store"):
        store.mark_read([msg])
    assert store.message(msg).summary.is_read  # type: ignore[union-attr]
    assert len(recorder.changes) == 1
    assert "view exploded" in caplog.text


def test_unsubscribe_stops_notifications(store: MailStore, account: str) -> None:
    [msg] = add_messages(store, account, 1)
    recorder = Recorder()
    unsubscribe = store.subscribe(recorder)
    unsubscribe()
    unsubscribe()  # twice is harmless
    store.mark_read([msg])
    assert recorder.changes == []

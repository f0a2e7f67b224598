"""Bulk import of server/demo mail: folders, threads, details, no outbox rows."""

from __future__ import annotations

import sqlite3
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from mailapp.core.addresses import Address
from mailapp.core.demo import generate_demo
from mailapp.mime.parse import Attachment
from mailapp.store import MailStore, open_store
from tests.store.conftest import mailbox_id, make_message


def test_demo_import_fills_folders_counts_and_threads(store: MailStore, account: str) -> None:
    demo = list(generate_demo(600, seed=3))
    assert store.import_messages(account, demo) == 600
    assert store.pending_mutations() == []
    boxes = {m.id: m for m in store.mailboxes(account)}
    by_path: dict[str, str] = {}
    for box in boxes.values():
        parent = boxes[box.parent_id].name + "/" if box.parent_id else ""
        by_path[parent + box.name] = box.id
    expected_totals = Counter(d.mailbox_name for d in demo)
    expected_unread = Counter(d.mailbox_name for d in demo if "$seen" not in d.keywords)
    counts = store.mailbox_counts()
    for name, total in expected_totals.items():
        assert counts[by_path[name]].total == total, name
        assert counts[by_path[name]].unread == expected_unread[name], name
        assert store.count(by_path[name]) == total
    # Messages of one demo thread share a thread id, different threads do not.
    threads: dict[str, set[str]] = {}
    for box_id in boxes:
        for summary in store.page(box_id, limit=1000):
            assert summary.thread_id is not None
            threads.setdefault(summary.thread_id, set()).add(summary.subject.removeprefix("Re: "))
    assert len(threads) == len({d.thread_key for d in demo})


def test_detail_round_trips_what_was_imported(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    pdf = Attachment("report.pdf", "application/pdf", 5, None, False, b"%PDF-")
    logo = Attachment("logo.png", "image/png", 3, "logo@x", True, b"png")
    message = make_message(
        "Report",
        to=[Address("Me", "me@example.org")],
        cc=[Address(None, "boss@example.com")],
        text_body="Attached.",
        html_body='<p>Attached. <img src="cid:logo@x"></p>',
        attachments=[pdf, logo],
        notes=["The date header was missing."],
    )
    store.import_messages(account, [(inbox, message, frozenset({"$flagged"}))])
    [summary] = store.page(inbox)
    assert summary.has_attachments and summary.is_flagged and not summary.is_read
    detail = store.message(summary.id)
    assert detail is not None
    assert detail.summary == summary
    assert detail.to == [Address("Me", "me@example.org")]
    assert detail.cc == [Address(None, "boss@example.com")]
    assert detail.text_body == "Attached."
    assert detail.html_body == message.html_body
    assert detail.notes == ["The date header was missing."]
    assert detail.body_available
    assert [
        (a.filename, a.content_type, a.size, a.content_id, a.inline) for a in detail.attachments
    ] == [
        ("report.pdf", "application/pdf", 5, None, False),
        ("logo.png", "image/png", 3, "logo@x", True),
    ]
    assert store.attachment_data(detail.attachments[0].id) == b"%PDF-"
    assert store.attachment_data("missing") is None
    assert store.message("missing") is None


def test_message_with_only_headers_cached_says_so(
    store: MailStore, account: str, store_path: Path
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    store.import_messages(account, [(inbox, make_message("Big one"), frozenset())])
    [summary] = store.page(inbox)
    with sqlite3.connect(store_path) as conn:  # what a header-only sync leaves behind
        conn.execute("DELETE FROM message_bodies")
    detail = store.message(summary.id)
    assert detail is not None
    assert not detail.body_available
    assert detail.text_body is None and detail.html_body is None


def test_replies_join_their_thread_in_any_order(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    root = make_message("Plan", message_id="<root@x>")
    reply = make_message(
        "Re: Plan", message_id="<r1@x>", in_reply_to="<root@x>", references=["<root@x>"]
    )
    reply2 = make_message("Re: Plan", message_id="<r2@x>", in_reply_to="<r1@x>")
    other = make_message("Other", message_id="<other@x>")
    store.import_messages(account, [(inbox, reply, frozenset())])
    store.import_messages(account, [(inbox, m, frozenset()) for m in (root, reply2, other)])
    threads = Counter(s.thread_id for s in store.page(inbox))
    assert sorted(threads.values()) == [1, 3]


def test_replies_to_stored_mail_join_its_threads_without_a_query_per_reply(
    store: MailStore, account: str
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    roots = [make_message(f"Topic {n}", message_id=f"<root{n}@x>") for n in range(5)]
    store.import_messages(account, [(inbox, m, frozenset()) for m in roots])
    replies = [
        make_message(
            f"Re: Topic {n % 5}",
            message_id=f"<reply{n}@x>",
            in_reply_to=f"<root{n % 5}@x>",
            references=[f"<root{n % 5}@x>"],
        )
        for n in range(60)
    ]
    statements: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(store._engine, "before_cursor_execute", record)
    try:
        store.import_messages(account, [(inbox, m, frozenset()) for m in replies])
    finally:
        event.remove(store._engine, "before_cursor_execute", record)
    threads = Counter((s.subject.removeprefix("Re: "), s.thread_id) for s in store.page(inbox))
    # Five conversations of 13: each reply joined the thread of the message it answers.
    assert sorted(threads.values()) == [13] * 5
    # The stored threads were looked up for the whole batch at once (one query per reply
    # before: a quarter of a large sync's time).
    assert len(statements) < 25, statements


def test_messages_without_a_date_get_the_arrival_time(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    before = datetime.now(UTC)
    store.import_messages(account, [(inbox, make_message("Undated", date=None), frozenset())])
    [summary] = store.page(inbox)
    assert before - timedelta(seconds=1) <= summary.date <= datetime.now(UTC)


def test_import_into_another_accounts_mailbox_is_refused(store: MailStore, account: str) -> None:
    other = store.create_account("other@example.org")
    other_inbox = mailbox_id(store, other, "inbox")
    with pytest.raises(ValueError, match="does not belong"):
        store.import_messages(account, [(other_inbox, make_message(), frozenset())])
    assert store.count(other_inbox) == 0


def test_second_instance_on_the_same_file_sees_changes(store_path: Path) -> None:
    ui = open_store(store_path)
    sync = open_store(store_path)  # e.g. the sync thread's own store
    try:
        account = sync.create_account("me@example.org")
        inbox = mailbox_id(sync, account, "inbox")
        sync.import_messages(account, [(inbox, make_message("From sync"), frozenset())])
        [summary] = ui.page(inbox)
        ui.mark_read([summary.id])
        assert sync.mailbox_counts()[inbox].unread == 0
        assert [r.type for r in sync.pending_mutations()] == ["email.keywords"]
    finally:
        ui.close()
        sync.close()


def test_text_sqlite_cannot_store_is_kept_with_replacement_characters(
    store: MailStore, account: str
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    broken = make_message("Caf\udce9 menu", text_body="Soup of the day: lentil \ud800")
    fine = make_message("Ordinary")
    assert (
        store.import_messages(account, [(inbox, fine, frozenset()), (inbox, broken, frozenset())])
        == 2
    )
    subjects = {s.subject for s in store.page(inbox)}
    assert subjects == {"Ordinary", "Caf\ufffd menu"}
    [found] = store.search("lentil")
    assert found.subject == "Caf\ufffd menu"

"""Listing a mailbox by sender and by subject: keys filled on every insert path, keyset paging,
the migration that fills the keys of mail stored before it, and the unsent-changes count."""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, select

from mailapp import wire
from mailapp.core.addresses import Address
from mailapp.store import MailStore, open_store, views
from mailapp.store.migrate import alembic_config
from mailapp.store.replica import apply_changes
from mailapp.store.rows import MessageSummary, OutboxState, PageCursor, SortOrder
from mailapp.store.schema import messages
from mailapp.store.sort_keys import sender_key, subject_key
from tests.store.conftest import BASE_DATE, mailbox_id, make_message
from tests.support.accounts import synced_account

KEY_ORDERS = (
    SortOrder.SENDER_ASC,
    SortOrder.SENDER_DESC,
    SortOrder.SUBJECT_ASC,
    SortOrder.SUBJECT_DESC,
)
# Several messages share a sender or a subject, so ties are broken by date, then id.
SENDERS = [
    Address("zoe Zimmer", "zoe@example.net"),
    Address(None, "Bob@example.net"),
    Address("Álvaro Ruiz", "alvaro@example.net"),
    Address("alice", "alice@example.net"),
    Address('"Carol"', "carol@example.net"),
]
SUBJECTS = ["Re: Budget", "budget", "Fwd: RE: Agenda", "agenda", "", "Zebra crossing", "AW: Menu"]


def _expected(rows: list[MessageSummary], order: SortOrder) -> list[str]:
    keyed = sorted(rows, key=lambda s: views.list_key(s, order))
    if views.is_descending(order):
        keyed.reverse()
    return [s.id for s in keyed]


def _fill(store: MailStore, account: str, count: int = 35) -> str:
    inbox = mailbox_id(store, account, "inbox")
    store.import_messages(
        account,
        [
            (
                inbox,
                make_message(
                    SUBJECTS[i % len(SUBJECTS)],
                    sender=SENDERS[i % len(SENDERS)],
                    # Some share a date, so the id decides among them.
                    date=BASE_DATE + timedelta(minutes=i // 3),
                ),
                frozenset(),
            )
            for i in range(count)
        ],
    )
    return inbox


def test_keys_ignore_case_quotes_and_reply_prefixes() -> None:
    assert subject_key("Re: RE[2]: Fwd:  Budget 2026") == "budget 2026"
    assert subject_key("AW: Menu") == subject_key("menu") == "menu"
    assert subject_key("Regarding the plan") == "regarding the plan"  # not a prefix
    assert subject_key(None) == ""
    assert sender_key('"Carol"', "carol@example.net") == "carol"
    assert sender_key(None, "Bob@Example.net") == "bob@example.net"


def test_every_order_pages_through_the_whole_mailbox(store: MailStore, account: str) -> None:
    inbox = _fill(store, account)
    everything = store.page(inbox, limit=100)
    for order in KEY_ORDERS:
        expected = _expected(everything, order)
        assert [s.id for s in views.page(store, inbox, None, 100, order=order)] == expected
        # Small pages, continued from the last row, give the same list without gaps or repeats.
        seen: list[MessageSummary] = []
        for _ in range(20):
            last = seen[-1] if seen else None
            page = views.page(
                store,
                inbox,
                None if last is None else PageCursor.after(last),
                4,
                order=order,
                after_key=None if last is None else views.list_key(last, order)[0],
            )
            if not page:
                break
            seen += page
        assert [s.id for s in seen] == expected, order
        # Without the key the cursor's own row is looked up: same next page.
        cursor = views.page(store, inbox, None, 10, order=order)[-1]
        assert (
            views.page(store, inbox, PageCursor.after(cursor), 5, order=order)
            == views.page(store, inbox, None, 15, order=order)[10:]
        )


def test_sender_order_reads_like_the_from_column(store: MailStore, account: str) -> None:
    inbox = _fill(store, account, count=5)
    page = views.page(store, inbox, None, 10, order=SortOrder.SENDER_ASC)
    shown = [s.sender_name or s.sender_email for s in page]
    assert shown == ["alice", "Álvaro Ruiz", "Bob@example.net", '"Carol"', "zoe Zimmer"]
    page = views.page(store, inbox, None, 10, order=SortOrder.SUBJECT_ASC)
    # "Fwd: RE: Agenda" sorts with "agenda", before it as it is older; no subject comes first.
    assert [s.subject for s in page][:3] == ["", "Fwd: RE: Agenda", "agenda"]
    assert {s.subject for s in page[3:]} == {"Re: Budget", "budget"}


def test_key_orders_use_their_index(store: MailStore, account: str) -> None:
    _fill(store, account, count=3)
    for index, column in (("ix_messages_mailbox_sender", "sender_key"),
                          ("ix_messages_mailbox_subject", "subject_key")):  # fmt: skip
        with sqlite3.connect(store.path) as conn:
            plan = conn.execute(
                f"EXPLAIN QUERY PLAN SELECT id FROM messages WHERE mailbox_id = 'x'"
                f" AND ({column}, date, id) > ('a', 0, '') ORDER BY {column}, date, id LIMIT 64"
            ).fetchall()
        text = " ".join(str(row[-1]) for row in plan)
        assert index in text and "TEMP B-TREE" not in text, text


def test_synced_mail_gets_sort_keys(store: MailStore) -> None:
    account = synced_account(store)
    when = datetime(2026, 3, 1, tzinfo=UTC)
    records = [
        wire.EmailRecord.model_validate(
            {
                "id": f"e{n}",
                "createdModseq": 2,
                "updatedModseq": 2,
                "mailboxId": "inbox-1",
                "subject": subject,
                "from": [{"name": name, "email": f"{n}@example.net"}],
                "sentAt": when + timedelta(minutes=n),
                "receivedAt": when + timedelta(minutes=n),
            }
        )
        for n, (name, subject) in enumerate([("Yann", "Re: Zoo"), ("bea", "apples")])
    ]
    apply_changes(
        store,
        account,
        wire.Changes(
            old_state="1",
            new_state="2",
            has_more=False,
            emails=wire.TypeChanges[wire.EmailRecord](created=records),
        ),
    )
    by_sender = views.page(store, "inbox-1", None, 10, order=SortOrder.SENDER_ASC)
    assert [s.sender_name for s in by_sender] == ["bea", "Yann"]
    by_subject = views.page(store, "inbox-1", None, 10, order=SortOrder.SUBJECT_DESC)
    assert [s.subject for s in by_subject] == ["Re: Zoo", "apples"]


def test_upgrade_fills_keys_of_mail_stored_before(store_path: Path) -> None:
    engine = create_engine(f"sqlite:///{store_path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0004")
    engine.dispose()
    account, inbox = str(uuid.uuid4()), str(uuid.uuid4())
    with sqlite3.connect(store_path) as conn:
        conn.execute(
            "INSERT INTO accounts (id, email, created_at) VALUES (?, 'me@example.org', 0)",
            (account,),
        )
        conn.execute(
            "INSERT INTO mailboxes (id, account_id, name, role) VALUES (?, ?, 'Inbox', 'inbox')",
            (inbox, account),
        )
        for num, (subject, name, email) in enumerate(
            [
                ("Re: Minutes", "Dora", "d@x.org"),
                ("agenda", None, "Eve@x.org"),
                ("Zed", "", "a@x.org"),
            ],
            start=1,
        ):
            conn.execute(
                "INSERT INTO messages (num, id, account_id, mailbox_id, subject, sender_name,"
                " sender_email, date, is_read, is_flagged, keywords, has_attachments, snippet,"
                " headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, '[]', 0, '', '{}')",
                (num, f"m{num}", account, inbox, subject, name, email, num),
            )
    store = open_store(store_path)
    try:
        with store._read() as conn:
            keys = dict(conn.execute(select(messages.c.id, messages.c.subject_key)).all())
        assert keys == {"m1": "minutes", "m2": "agenda", "m3": "zed"}
        by_sender = views.page(store, inbox, None, 10, order=SortOrder.SENDER_ASC)
        assert [s.id for s in by_sender] == ["m3", "m1", "m2"]  # a@x, Dora, Eve@x
    finally:
        store.close()


def test_conflicts_are_not_counted_as_unsent(store: MailStore, account: str) -> None:
    [first, second, third] = [s.id for s in store.page(_fill(store, account, count=3), limit=3)]
    store.mark_read([first, second, third])
    assert views.pending_count(store) == 3
    rows = store.pending_mutations()
    store.set_mutation_state([rows[0].mutation_id], OutboxState.CONFLICT)
    store.set_mutation_state([rows[1].mutation_id], OutboxState.FAILED)
    assert views.pending_count(store) == 2  # the failed one is still not sent
    store.set_mutation_state([rows[2].mutation_id], OutboxState.APPLIED)
    assert views.pending_count(store) == 1

"""Keyset pages of a mailbox: newest first, stable while new mail arrives."""

from __future__ import annotations

from datetime import timedelta

from mailapp.store import MailStore, PageCursor
from tests.store.conftest import BASE_DATE, add_messages, mailbox_id, make_message


def _all_pages(store: MailStore, box: str, limit: int) -> list[str]:
    seen: list[str] = []
    cursor = None
    while page := store.page(box, after=cursor, limit=limit):
        seen.extend(s.id for s in page)
        cursor = PageCursor.after(page[-1])
    return seen


def test_pages_cover_the_mailbox_newest_first(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    # Ten messages share one timestamp: ties must still page without gaps or repeats.
    same_time = [(inbox, make_message(f"tie {i}", date=BASE_DATE), frozenset()) for i in range(10)]
    store.import_messages(account, same_time)
    add_messages(store, account, 25)
    everything = store.page(inbox, limit=1000)
    assert [(s.date, s.id) for s in everything] == sorted(
        ((s.date, s.id) for s in everything), reverse=True
    )
    assert _all_pages(store, inbox, limit=7) == [s.id for s in everything]
    assert store.count(inbox) == 35


def test_pages_stay_stable_while_mail_arrives(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    original = add_messages(store, account, 30)
    first = store.page(inbox, limit=10)
    cursor = PageCursor.after(first[-1])
    # New mail: newer than everything, older than everything, and at the cursor's own time.
    arrivals = [
        (inbox, make_message("newest", date=BASE_DATE + timedelta(days=9)), frozenset()),
        (inbox, make_message("oldest", date=BASE_DATE - timedelta(days=9)), frozenset()),
        (inbox, make_message("same time", date=cursor.date), frozenset()),
    ]
    store.import_messages(account, arrivals)
    rest: list[str] = []
    while page := store.page(inbox, after=cursor, limit=10):
        rest.extend(s.id for s in page)
        cursor = PageCursor.after(page[-1])
    read = [s.id for s in first] + rest
    assert len(read) == len(set(read))  # no duplicates
    assert set(original) <= set(read)  # no pre-existing message skipped
    assert store.count(inbox) == 33


def test_page_lists_what_the_user_sees(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    store.import_messages(
        account,
        [(inbox, make_message("Lunch?", text_body="Are you free at noon?"), frozenset({"$seen"}))],
    )
    [summary] = store.page(inbox)
    assert summary.subject == "Lunch?"
    assert summary.sender_name == "Alice Example"
    assert summary.sender_email == "alice@example.com"
    assert summary.is_read and not summary.is_flagged and not summary.has_attachments
    assert summary.snippet.startswith("Are you free")
    assert summary.date == BASE_DATE
    assert summary.mailbox_id == inbox


def test_unknown_mailbox_is_empty(store: MailStore, account: str) -> None:
    assert store.count("nope") == 0
    assert store.page("nope") == []

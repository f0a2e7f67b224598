"""Full-text search over subject, sender, recipients and body."""

from __future__ import annotations

import pytest

from mailapp.core.addresses import Address
from mailapp.store import MailStore
from tests.store.conftest import add_messages, mailbox_id, make_message


@pytest.fixture
def mail(store: MailStore, account: str) -> dict[str, str]:
    inbox = mailbox_id(store, account, "inbox")
    items = {
        "budget": make_message(
            "Quarterly budget review",
            sender=Address("Dana Scully", "dana@fbi.example"),
            text_body="Please bring the spreadsheets.",
        ),
        "trip": make_message(
            "Weekend plans",
            sender=Address("Fox Mulder", "fox@fbi.example"),
            to=[Address("Walter Skinner", "skinner@fbi.example")],
            text_body="The telescope arrives on Friday. Café at 10?",
        ),
        "html": make_message(
            "Newsletter",
            text_body=None,
            html_body="<p>Our <b>aardvark</b> special</p><script>var hidden = 1;</script>",
        ),
    }
    ids: dict[str, str] = {}
    for key, message in items.items():
        store.import_messages(account, [(inbox, message, frozenset())])
        [ids[key]] = [s.id for s in store.page(inbox) if s.subject == message.subject]
    return ids


def _found(store: MailStore, query: str, **kwargs: str) -> set[str]:
    return {s.id for s in store.search(query, **kwargs)}


def test_search_finds_subject_sender_recipient_and_body(
    store: MailStore, mail: dict[str, str]
) -> None:
    assert _found(store, "quarterly") == {mail["budget"]}
    assert _found(store, "scully") == {mail["budget"]}
    assert _found(store, "fox@fbi.example") == {mail["trip"]}
    assert _found(store, "skinner") == {mail["trip"]}
    assert _found(store, "spreadsheets") == {mail["budget"]}
    assert _found(store, "aardvark") == {mail["html"]}
    assert _found(store, "fbi") == {mail["budget"], mail["trip"]}


def test_search_matches_prefixes_all_words_and_ignores_accents(
    store: MailStore, mail: dict[str, str]
) -> None:
    assert _found(store, "teles") == {mail["trip"]}
    assert _found(store, "budget spread") == {mail["budget"]}
    assert _found(store, "budget telescope") == set()
    assert _found(store, "cafe") == {mail["trip"]}
    assert _found(store, "HIDDEN") == set()  # script content is not mail text
    assert _found(store, "special") == {mail["html"]}


@pytest.mark.parametrize(
    "query",
    [
        '"',
        'budget"',
        "AND(",
        "budget AND(",
        "NEAR(a b",
        "*",
        "-budget",
        "subject:x",
        "(",
        ")",
        "a OR",
        "^",
        "''",
        "budget NOT",
        "\\",
        "   ",
        "",
    ],
)
def test_search_syntax_characters_never_raise(
    store: MailStore, mail: dict[str, str], query: str
) -> None:
    found = store.search(query)
    assert isinstance(found, list)
    if query in ('budget"', "-budget", "budget AND("):
        # Operators are searched as words: "AND(" must match a word starting with "and".
        assert (mail["budget"] in {s.id for s in found}) == (query != "budget AND(")


def test_search_follows_moves_and_deletes(
    store: MailStore, account: str, mail: dict[str, str]
) -> None:
    inbox = mailbox_id(store, account, "inbox")
    archive = mailbox_id(store, account, "archive")
    store.move([mail["budget"]], archive)
    assert _found(store, "budget", mailbox_id=archive) == {mail["budget"]}
    assert _found(store, "budget", mailbox_id=inbox) == set()
    store.delete([mail["trip"]])
    trash = mailbox_id(store, account, "trash")
    assert _found(store, "telescope", mailbox_id=trash) == {mail["trip"]}
    store.delete([mail["trip"]])  # from Trash: gone for good
    assert _found(store, "telescope") == set()
    assert _found(store, "fbi") == {mail["budget"]}


def test_search_results_are_newest_first_and_limited(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    ids = add_messages(store, account, 12, subject="Standup")
    found = store.search("standup", limit=5)
    assert [s.id for s in found] == ids[:5]
    assert _found(store, "standup", mailbox_id=inbox) == set(ids)


def test_messages_sharing_a_timestamp_are_all_found(store: MailStore, account: str) -> None:
    inbox = mailbox_id(store, account, "inbox")
    for batch in range(3):  # same instant, in one import and across imports
        store.import_messages(
            account, [(inbox, make_message(f"Gazebo {batch}.{i}"), frozenset()) for i in range(4)]
        )
    found = store.search("gazebo")
    assert len({s.id for s in found}) == 12
    assert {s.id for s in found} == {s.id for s in store.page(inbox)}

"""Real stores for the UI tests: a small one per test, a 100,000-message one per session."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.addresses import Address
from mailapp.core.demo import DemoMessage
from mailapp.mime.parse import Attachment, ParsedMessage
from mailapp.store import MailStore, open_store

BIG_MAILBOX_SIZE = 100_000
ACCOUNT_EMAIL = "me@example.org"
START = datetime(2024, 1, 1, tzinfo=UTC)


def make_message(index: int, *, subject: str | None = None, **fields: object) -> ParsedMessage:
    return ParsedMessage(
        message_id=f"<m{index}@example.net>",
        subject=subject if subject is not None else f"Message number {index}",
        sender=Address(f"Sender {index % 97}", f"sender{index % 97}@example.net"),
        to=[Address(None, ACCOUNT_EMAIL)],
        date=START + timedelta(minutes=index),
        text_body=fields.pop("text_body", f"Body of message {index}."),  # type: ignore[arg-type]
        **fields,  # type: ignore[arg-type]
    )


def demo_item(
    index: int,
    *,
    role: str | None = "inbox",
    mailbox: str = "Inbox",
    keywords: frozenset[str] = frozenset(),
    **fields: object,
) -> DemoMessage:
    return DemoMessage(
        mailbox_role=role,
        mailbox_name=mailbox,
        keywords=keywords,
        message=make_message(index, **fields),
        thread_key=f"t{index}",
    )


class CountingStore:
    """The real store, with a tally of what list queries read (the model under test pages it)."""

    def __init__(self, store: MailStore) -> None:
        self._store = store
        self.page_calls = 0
        self.rows_read = 0

    def page(self, *args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        rows = self._store.page(*args, **kwargs)  # type: ignore[arg-type]
        self.page_calls += 1
        self.rows_read += len(rows)
        return rows

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MailStore]:
    """A store with one account: 30 Inbox messages (9 unread, message 0 flagged with an
    attachment), 3 in Sent, 2 in Trash, 2 in Junk, and folders Projects/Apollo and Receipts."""
    mail = open_store(tmp_path / "mail.sqlite3")
    account_id = mail.create_account(ACCOUNT_EMAIL, display_name="Me")
    items = [
        demo_item(
            i,
            keywords=frozenset() if i % 3 == 0 else frozenset({"$seen"}),
        )
        for i in range(1, 30)
    ]
    items.append(
        demo_item(
            0,
            keywords=frozenset({"$seen", "$flagged"}),
            attachments=[Attachment("notes.txt", "text/plain", 5, None, False, b"hello")],
        )
    )
    items += [demo_item(100 + i, role="sent", mailbox="Sent") for i in range(3)]
    items += [demo_item(200 + i, role="trash", mailbox="Trash") for i in range(2)]
    items += [demo_item(300 + i, role="junk", mailbox="Junk") for i in range(2)]
    items += [demo_item(400, role=None, mailbox="Projects/Apollo")]
    items += [demo_item(401, role=None, mailbox="Receipts", keywords=frozenset({"$seen"}))]
    mail.import_messages(account_id, items)
    yield mail
    mail.close()


@pytest.fixture(scope="session")
def big_store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A profile whose Inbox holds 100,000 messages; built once, opened by each test."""
    path = tmp_path_factory.mktemp("big") / "mail.sqlite3"
    mail = open_store(path)
    account_id = mail.create_account(ACCOUNT_EMAIL)
    inbox = mail.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    seen = frozenset({"$seen"})
    mail.import_messages(
        account_id,
        (
            (inbox.id, make_message(i), seen if i % 4 else frozenset())
            for i in range(BIG_MAILBOX_SIZE)
        ),
    )
    mail.close()
    return path


@pytest.fixture
def big_store(big_store_path: Path) -> Iterator[MailStore]:
    mail = open_store(big_store_path)
    yield mail
    mail.close()


def inbox_id(mail: MailStore) -> str:
    (account_id, _email), *_ = mail.accounts()
    inbox = mail.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    return inbox.id

"""Store test fixtures: a real store file in tmp_path, messages built as core builds them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.addresses import Address
from mailapp.mime.parse import Attachment, ParsedMessage
from mailapp.store import ChangeSet, MailStore, open_store

BASE_DATE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def make_message(
    subject: str = "Hello",
    *,
    sender: Address | None = None,
    to: list[Address] | None = None,
    cc: list[Address] | None = None,
    text_body: str | None = "Hi there",
    html_body: str | None = None,
    date: datetime | None = BASE_DATE,
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    attachments: list[Attachment] | None = None,
    notes: list[str] | None = None,
) -> ParsedMessage:
    return ParsedMessage(
        message_id=message_id,
        subject=subject,
        sender=sender or Address("Alice Example", "alice@example.com"),
        to=to if to is not None else [Address(None, "me@example.org")],
        cc=cc or [],
        date=date,
        in_reply_to=in_reply_to,
        references=references or [],
        text_body=text_body,
        html_body=html_body,
        attachments=attachments or [],
        notes=notes or [],
    )


class Recorder:
    """A subscriber that remembers every ChangeSet it was given."""

    def __init__(self) -> None:
        self.changes: list[ChangeSet] = []

    def __call__(self, changes: ChangeSet) -> None:
        self.changes.append(changes)


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "mail.sqlite3"


@pytest.fixture
def store(store_path: Path) -> Iterator[MailStore]:
    opened = open_store(store_path)
    yield opened
    opened.close()


@pytest.fixture
def account(store: MailStore) -> str:
    return store.create_account("me@example.org", display_name="Me")


def mailbox_id(store: MailStore, account: str, role: str) -> str:
    row = store.mailbox_by_role(account, role)
    assert row is not None
    return row.id


def add_messages(
    store: MailStore,
    account: str,
    count: int,
    *,
    role: str = "inbox",
    keywords: frozenset[str] = frozenset(),
    start: datetime = BASE_DATE,
    subject: str = "Message",
) -> list[str]:
    """Import ``count`` messages one minute apart; returns their ids newest first."""
    box = mailbox_id(store, account, role)
    items = [
        (box, make_message(f"{subject} {i}", date=start + timedelta(minutes=i)), keywords)
        for i in range(count)
    ]
    recorder = Recorder()
    unsubscribe = store.subscribe(recorder)
    try:
        store.import_messages(account, items)
    finally:
        unsubscribe()
    new = recorder.changes[-1].messages
    return [s.id for s in store.page(box, limit=store.count(box)) if s.id in new]

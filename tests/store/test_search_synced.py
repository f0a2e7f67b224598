"""Search over synced mail, which arrives headers first and its body later (or never): found by
its headers as soon as its page is applied, by its body once that is here, and indexed once
for each (store migration 0011: headers_fts, then messages_fts; FTS5's integrity-check fails
for an entry missing, stale or there twice)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from mailapp import wire
from mailapp.store import MailStore, open_store
from mailapp.store.fts import integrity_check
from mailapp.store.migrate import alembic_config
from mailapp.store.replica import apply_changes
from mailapp.store.replica_bodies import store_bodies
from tests.support.accounts import synced_account

START = datetime(2026, 3, 1, tzinfo=UTC)


def _address(name: str | None, email: str) -> dict[str, str | None]:
    return {"name": name, "email": email}


def _record(n: int, subject: str, **fields: object) -> wire.EmailRecord:
    when = (START + timedelta(hours=n)).isoformat()
    return wire.EmailRecord.model_validate(
        {
            "id": f"e{n}",
            "createdModseq": 2,
            "updatedModseq": 2,
            "mailboxId": "inbox-1",
            "subject": subject,
            "sentAt": when,
            "receivedAt": when,
            "from": [_address("Dana Scully", "dana@fbi.example")],
            "to": [_address("Walter Skinner", "skinner@fbi.example")],
            "cc": [_address(None, "lone.gunmen@example.net")],
            **fields,
        }
    )


def _page(
    store: MailStore, account: str, *records: wire.EmailRecord, gone: list[str] | None = None
) -> None:
    apply_changes(
        store,
        account,
        wire.Changes(
            old_state="1",
            new_state="2",
            has_more=False,
            emails=wire.TypeChanges[wire.EmailRecord](created=list(records), destroyed=gone or []),
        ),
    )


def _found(store: MailStore, query: str, **kwargs: str) -> list[str]:
    return [s.subject for s in store.search(query, **kwargs)]


def _sound(store: MailStore) -> None:
    with store._read() as conn:
        integrity_check(conn)


@pytest.fixture
def synced(store: MailStore) -> str:
    account = synced_account(store)
    _page(
        store,
        account,
        _record(1, "Quarterly budget review"),
        _record(2, "Weekend plans", **{"from": [_address("Fox Mulder", "fox@fbi.example")]}),
        _record(3, "Café reopening"),
    )
    return account


def test_headers_only_mail_is_found_by_its_headers_right_after_its_page(
    store: MailStore, synced: str
) -> None:
    assert _found(store, "quarterly") == ["Quarterly budget review"]
    assert _found(store, "mulder") == ["Weekend plans"]
    assert _found(store, "fox@fbi.example") == ["Weekend plans"]
    assert _found(store, "skinn walt") == [
        "Café reopening",
        "Weekend plans",
        "Quarterly budget review",
    ]
    assert _found(store, "lone.gunmen") == _found(store, "skinner")
    assert _found(store, "cafe") == ["Café reopening"]  # accents ignored, as for local mail
    assert _found(store, "budget", mailbox_id="inbox-1") == ["Quarterly budget review"]
    assert _found(store, "budget telescope") == []
    _sound(store)


def test_a_body_arriving_is_searched_with_the_headers_and_indexed_once(
    store: MailStore, synced: str
) -> None:
    kept = store_bodies(
        store,
        {
            "e1": wire.MessageBody(text="Please bring the spreadsheets.", html=None),
            "e2": wire.MessageBody(text=None, html="<p>The <b>telescope</b> arrives</p>"),
        },
    )
    assert kept == {"e1", "e2"}
    assert _found(store, "spreadsheets") == ["Quarterly budget review"]
    assert _found(store, "telescope") == ["Weekend plans"]
    # Words from the headers and from the body together; each message listed once, though
    # both its headers entry and its full entry match.
    assert _found(store, "budget spread scully") == ["Quarterly budget review"]
    assert _found(store, "mulder telescope") == ["Weekend plans"]
    assert _found(store, "fbi") == ["Café reopening", "Weekend plans", "Quarterly budget review"]
    assert _found(store, "fbi", mailbox_id="inbox-1") == _found(store, "fbi")
    _sound(store)

    # The same bodies again (a retried request): kept once, indexed once.
    store_bodies(store, {"e1": wire.MessageBody(text="Please bring the spreadsheets.", html=None)})
    assert _found(store, "spreadsheets") == ["Quarterly budget review"]
    _sound(store)


def test_newest_first_and_limited_across_mail_with_and_without_bodies(
    store: MailStore, synced: str
) -> None:
    account = synced
    _page(store, account, *(_record(10 + n, f"Standup {n}") for n in range(8)))
    store_bodies(
        store, {f"e{10 + n}": wire.MessageBody(text="notes", html=None) for n in range(0, 8, 2)}
    )
    assert _found(store, "standup", limit=5) == [f"Standup {n}" for n in (7, 6, 5, 4, 3)]
    assert _found(store, "standup notes", limit=3) == ["Standup 6", "Standup 4", "Standup 2"]
    _sound(store)


def test_deleted_synced_mail_leaves_both_indexes(store: MailStore, synced: str) -> None:
    store_bodies(store, {"e1": wire.MessageBody(text="Please bring the spreadsheets.", html=None)})
    _page(store, synced, gone=["e1", "e2"])
    assert _found(store, "spreadsheets") == []
    assert _found(store, "fbi") == ["Café reopening"]
    _sound(store)
    [cafe] = store.search("cafe")
    store.delete([cafe.id])  # this account has no Trash: deleted for good
    assert _found(store, "cafe") == []
    _sound(store)


def _store_at_0010(path: Path) -> None:
    """A store as revision 0010's code wrote it: one index, a synced message with its body
    (indexed with it) and two without (indexed with an empty body)."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0010")
    engine.dispose()
    headers = '{"to":[{"email":"zq@example.org","name":"Zebulon Quixote"}],"cc":[]}'
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO accounts (id, email, created_at) VALUES ('a', 'me@b.org', 0)")
        conn.execute(
            "INSERT INTO mailboxes (id, account_id, name, role)"
            " VALUES ('box', 'a', 'Inbox', 'inbox')"
        )
        for num, subject in ((1, "Zanzibar gazette"), (2, "Quarterly numbers"), (3, "Ostrich")):
            conn.execute(
                "INSERT INTO messages (num, id, server_id, account_id, mailbox_id, subject,"
                " sender_name, sender_email, date, is_read, is_flagged, keywords,"
                " has_attachments, snippet, headers) VALUES (?, ?, ?, 'a', 'box', ?, 'News',"
                " 'news@example.net', ?, 0, 0, '[]', 0, '', ?)",
                (num, f"m{num}", f"m{num}", subject, num, headers),
            )
        conn.execute(
            "INSERT INTO message_bodies (message_num, text_body, notes)"
            " VALUES (1, 'Fresh marmalade recipes', '[]')"
        )
        for num, subject, body in (
            (1, "Zanzibar gazette", "Fresh marmalade recipes"),
            (2, "Quarterly numbers", ""),
            (3, "Ostrich", ""),
        ):
            conn.execute(
                "INSERT INTO messages_fts (rowid, subject, sender, recipients, body)"
                " VALUES (?, ?, 'News news@example.net', 'Zebulon Quixote zq@example.org', ?)",
                (num, subject, body),
            )
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")


def test_upgrade_from_0010_keeps_finding_mail_with_and_without_bodies(store_path: Path) -> None:
    _store_at_0010(store_path)
    with open_store(store_path) as store:
        assert _found(store, "marmalade") == ["Zanzibar gazette"]
        assert _found(store, "quarterly") == ["Quarterly numbers"]
        assert _found(store, "zebulon news") == ["Ostrich", "Quarterly numbers", "Zanzibar gazette"]
        _sound(store)
        # The headers-only message's body arrives after the upgrade: indexed once, in full.
        store_bodies(store, {"m2": wire.MessageBody(text="Figures for the zeppelin", html=None)})
        assert _found(store, "zeppelin quarterly") == ["Quarterly numbers"]
        _sound(store)

    engine = create_engine(f"sqlite:///{store_path}")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0010")
    engine.dispose()
    with sqlite3.connect(store_path) as conn:
        conn.execute("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)")
        found = conn.execute(
            "SELECT rowid FROM messages_fts WHERE messages_fts MATCH 'zebulon' ORDER BY rowid"
        ).fetchall()
    assert found == [(1,), (2,), (3,)]

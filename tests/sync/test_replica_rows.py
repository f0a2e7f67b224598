"""What a change-feed page stores for a new message: the same rows and text as before the sync
path's shortcuts (documents encoded without re-sorting, 0/1 for booleans, addresses cleaned
by one validator), so triggers that compare text and readers that parse it see no difference."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, event

from mailapp import wire
from mailapp.store import codec, open_store
from mailapp.store.replica import apply_changes
from tests.support.accounts import synced_account

WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC).isoformat()


def _page(emails: list[dict[str, object]]) -> bytes:
    return json.dumps(
        {
            "oldState": "1",
            "newState": "2",
            "hasMore": False,
            "emails": {"created": emails, "updated": [], "destroyed": []},
        }
    ).encode()


def _email(email_id: str, **fields: object) -> dict[str, object]:
    return {
        "id": email_id,
        "createdModseq": 2,
        "updatedModseq": 2,
        "mailboxId": "inbox-1",
        "sentAt": WHEN,
        "receivedAt": WHEN,
        **fields,
    }


def _parse(body: bytes) -> wire.Changes:
    return wire.validate_json(wire.Changes, body)  # as the sync client reads a page


def test_a_synced_message_is_stored_as_any_writer_would_store_it(tmp_path: Path) -> None:
    store = open_store(tmp_path / "mail.sqlite3")
    account = synced_account(store)
    page = _page(
        [
            _email(
                "e1",
                subject="Quarterly numbers",
                keywords=["$seen", "Work", "$flagged"],
                messageId="<q@example.org>",
                inReplyTo=["<p@example.org>"],
                references=["<o@example.org>", "<p@example.org>"],
                **{"from": [{"name": "Jürgen Ä", "email": "j@example.org"}]},
                to=[{"name": None, "email": "alice@example.org"}, {"email": "b@example.org"}],
                cc=[{"name": "Carol", "email": "c@example.org"}],
                bcc=[{"name": "", "email": "d@example.org"}],
                replyTo=[{"name": "Lists", "email": "l@example.org"}],
                preview="Numbers attached",
                hasAttachment=True,
                attachments=[
                    {"partId": "2", "name": "q.pdf", "contentType": "application/pdf", "size": 9}
                ],
            ),
            _email("e2", subject="Plain"),
        ]
    )

    apply_changes(store, account, _parse(page))
    store.close()

    with sqlite3.connect(tmp_path / "mail.sqlite3") as conn:
        conn.row_factory = sqlite3.Row
        rows = {
            row["id"]: row
            for row in conn.execute(
                "SELECT id, base, keywords, headers, is_read, is_flagged, has_attachments, "
                "headers_first, thread_id FROM messages"
            )
        }
        parts = conn.execute("SELECT id, inline FROM attachments").fetchall()
    first = rows["e1"]
    # Every JSON column holds exactly what codec.dumps writes (sorted keys, compact): the
    # trigger body_queue_message_update compares `base` as text.
    for row in rows.values():
        for column in ("base", "keywords", "headers"):
            assert row[column] == codec.dumps(json.loads(row[column]))
    assert json.loads(first["base"]) == {
        "keywords": ["$flagged", "$seen", "Work"],
        "mailboxId": "inbox-1",
    }
    assert json.loads(first["headers"]) == {
        "to": [
            {"name": None, "email": "alice@example.org"},
            {"name": None, "email": "b@example.org"},
        ],
        "cc": [{"name": "Carol", "email": "c@example.org"}],
        "bcc": [{"name": None, "email": "d@example.org"}],
        "replyTo": [{"name": "Lists", "email": "l@example.org"}],
        "inReplyTo": "<p@example.org>",
        "references": ["<o@example.org>", "<p@example.org>"],
    }
    assert tuple(first)[4:8] == (1, 1, 1, 1)
    assert tuple(rows["e2"])[4:8] == (0, 0, 0, 1)
    # Thread ids are derived from the thread's first Message-ID as they always were: mail
    # synced or imported before this version joins the same conversations.
    namespace = uuid.UUID("6f1d7b52-3c1e-4b8e-9a52-2f0b1c4f7e11")
    assert first["thread_id"] == str(uuid.uuid5(namespace, f"{account}\0<o@example.org>"))
    assert rows["e2"]["thread_id"] == str(uuid.uuid5(namespace, f"{account}\0e2"))
    assert [tuple(part) for part in parts] == [("e1.2", 0)]


def test_a_control_character_in_a_received_address_becomes_a_space(tmp_path: Path) -> None:
    # Received mail is never refused for its headers: a NUL (escaped in the JSON) or a line
    # break in a name or address is shown as a space, and the page is applied.
    page = _page(
        [
            _email(
                "e1",
                subject="Hello",
                **{"from": [{"name": "Eve\u0000\r\nBcc: x@evil.example", "email": "e@x.org\n"}]},
                to=[{"name": "=?utf-8?q?Bob=0D=0AX-Evil:_1?=", "email": "b@example.org"}],
            )
        ]
    )
    assert b"\\u0000" in page
    store = open_store(tmp_path / "mail.sqlite3")
    account = synced_account(store)

    apply_changes(store, account, _parse(page))

    (message,) = store.page("inbox-1")
    assert (message.sender_name, message.sender_email) == ("Eve Bcc: x@evil.example", "e@x.org")
    full = store.message(message.id)
    assert full is not None
    assert [(a.name, a.email) for a in full.to] == [("Bob X-Evil: 1", "b@example.org")]
    store.close()


def test_pages_of_any_size_run_the_same_statements(tmp_path: Path) -> None:
    # SQLite parses a statement once per connection and text: an IN list with a placeholder
    # per id was a new text, parsed again, whenever a page's count of ids changed.
    store = open_store(tmp_path / "mail.sqlite3")
    account = synced_account(store)
    executed: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        executed.append(statement)

    def page(first: int, count: int) -> wire.Changes:
        return _parse(
            _page(
                [
                    _email(
                        f"e{n}",
                        subject=f"Re: plan {n}",
                        messageId=f"<m{n}@example.org>",
                        references=[f"<m{n - 1}@example.org>", f"<root{n % 7}@example.org>"],
                        keywords=["$seen"] if n % 3 else [],
                    )
                    for n in range(first, first + count)
                ]
            )
        )

    first, second = page(0, 40), page(40, 170)
    event.listen(Engine, "before_cursor_execute", record)
    try:
        apply_changes(store, account, first)
        statements_first = set(executed)
        executed.clear()
        apply_changes(store, account, second)
    finally:
        event.remove(Engine, "before_cursor_execute", record)

    assert set(executed) == statements_first
    assert len(store.page("inbox-1", limit=500)) == 210
    store.close()

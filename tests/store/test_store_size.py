"""A smaller store: the search index keeps no copy of the text, raw messages are compressed,
and search still follows every change (store migration 0008)."""

from __future__ import annotations

import sqlite3
from email.message import EmailMessage
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from mailapp.core.demo import generate_demo
from mailapp.mime.parse import parse_message
from mailapp.store import MailStore, open_store
from mailapp.store.fts import integrity_check
from mailapp.store.message_source import raw_source
from mailapp.store.migrate import alembic_config


def _index_is_sound(path: Path) -> None:
    """FTS5 compares every index entry with what the view shows now: a row indexed with text
    it no longer has (or never indexed) fails, as search would then answer wrongly."""
    with sqlite3.connect(path) as conn:
        integrity_check(conn)


def _html_only(subject: str, markup: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Newsletter <news@example.net>"
    message["To"] = "Zebulon Quixote <zq@example.org>"
    message["Cc"] = "yolanda@example.org"
    message["Subject"] = subject
    message.set_content(markup, subtype="html")
    return message.as_bytes()


def test_imported_mail_takes_far_less_room_and_keeps_its_raw_bytes(tmp_path: Path) -> None:
    items = list(generate_demo(1000, seed=3, with_raw=True))
    raw = sum(len(item.message.raw or b"") for item in items)
    path = tmp_path / "mail.sqlite3"
    with open_store(path) as store:
        account = store.create_account("me@example.org")
        store.import_messages(account, items)
        newest = store.page(store.mailbox_by_role(account, "inbox").id, limit=1)[0]  # type: ignore[union-attr]
    size = sum(p.stat().st_size for p in tmp_path.glob("mail.sqlite3*"))
    # Each text once (not in the index as well), raw mail compressed: 4.6× before.
    assert size < 3.4 * raw, size / raw
    with open_store(path) as store:
        with sqlite3.connect(path) as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM messages")]
        stored = [raw_source(store, message_id) for message_id in ids]
        assert sorted(stored) == sorted(item.message.raw for item in items)  # type: ignore[type-var]
        assert newest.id in {m.id for m in store.search(newest.subject)}


def test_search_follows_imports_bodies_and_deletes(store: MailStore, store_path: Path) -> None:
    account = store.create_account("me@example.org")
    inbox = store.mailbox_by_role(account, "inbox")
    assert inbox is not None
    markup = '<p class="plughclass">Fresh <b>marmalade</b> recipes</p>'
    letter = parse_message(_html_only("Zanzibar gazette", markup))
    store.import_messages(
        account,
        [
            (inbox.id, letter, frozenset()),
            *((inbox.id, item.message, item.keywords) for item in generate_demo(40, seed=5)),
        ],
    )
    # HTML-only mail is found by its text, by sender and recipients, never by its markup.
    for words in ("marmalade", "fresh recipes", "newsletter", "zebulon quixote", "yolanda@ex"):
        assert [m.subject for m in store.search(words)] == ["Zanzibar gazette"], words
    assert store.search("plughclass") == []
    _index_is_sound(store_path)

    # The body goes (a header-only copy): its words are not found any more, the subject is.
    with store._write() as conn:
        conn.exec_driver_sql(
            "DELETE FROM message_bodies WHERE message_num ="
            " (SELECT num FROM messages WHERE subject = 'Zanzibar gazette')"
        )
    assert store.search("marmalade") == []
    assert [m.subject for m in store.search("zanzibar gazette")] == ["Zanzibar gazette"]
    _index_is_sound(store_path)

    # Deleted for good (Trash, then deleted again): gone from search, the rest intact.
    [digest] = store.search("zanzibar gazette")
    store.delete([digest.id])
    store.delete([digest.id])
    assert store.search("zanzibar gazette") == []
    _index_is_sound(store_path)
    assert store.search("meeting")  # the demo's common term


def _store_at_0007(path: Path) -> bytes:
    """A store written by revision 0007 as its code wrote it: the index holding its own copy
    of the text, raw bytes uncompressed; one plain and one HTML-only message."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0007")
    engine.dispose()
    raw = _html_only("Zanzibar gazette", "<p>Fresh <b>marmalade</b> recipes</p>")
    headers = (
        '{"bcc":[],"cc":[{"email":"yolanda@example.org","name":null}],"inReplyTo":null,'
        '"references":[],"replyTo":[],"to":[{"email":"zq@example.org","name":"Zebulon Quixote"}]}'
    )
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO accounts (id, email, created_at) VALUES ('a', 'me@b.org', 0)")
        conn.execute(
            "INSERT INTO mailboxes (id, account_id, name, role)"
            " VALUES ('box', 'a', 'Inbox', 'inbox')"
        )
        for num, subject in ((1, "Zanzibar gazette"), (2, "Quarterly numbers")):
            conn.execute(
                "INSERT INTO messages (num, id, account_id, mailbox_id, subject, sender_name,"
                " sender_email, date, is_read, is_flagged, keywords, has_attachments, snippet,"
                " headers) VALUES (?, ?, 'a', 'box', ?, 'Newsletter', 'news@example.net', ?,"
                " 0, 0, '[]', 0, '', ?)",
                (num, f"m{num}", subject, num, headers),
            )
        conn.execute(
            "INSERT INTO message_bodies (message_num, html_body, notes, raw)"
            " VALUES (1, '<p>Fresh <b>marmalade</b> recipes</p>', '[]', ?)",
            (raw,),
        )
        conn.execute(
            "INSERT INTO message_bodies (message_num, text_body, notes)"
            " VALUES (2, 'See the figures for the zeppelin project', '[]')"
        )
        recipients = "Zebulon Quixote zq@example.org yolanda@example.org"
        for num, subject, body in (
            (1, "Zanzibar gazette", "Fresh marmalade recipes"),
            (2, "Quarterly numbers", "See the figures for the zeppelin project"),
        ):
            conn.execute(
                "INSERT INTO messages_fts (rowid, subject, sender, recipients, body)"
                " VALUES (?, ?, 'Newsletter news@example.net', ?, ?)",
                (num, subject, recipients, body),
            )
    return raw


def test_upgrade_from_0007_keeps_search_and_compresses_raw_mail(store_path: Path) -> None:
    raw = _store_at_0007(store_path)
    with open_store(store_path) as store:
        for words, subject in (
            ("marmalade", "Zanzibar gazette"),
            ("zeppelin", "Quarterly numbers"),
            ("zebulon quixote", None),
            ("newsletter", None),
        ):
            found = sorted(m.subject for m in store.search(words))
            assert found == ([subject] if subject else ["Quarterly numbers", "Zanzibar gazette"])
        # Mail arriving after the upgrade is indexed by the new triggers like the old mail.
        store.import_messages(
            "a", [("box", parse_message(_html_only("Later", "<i>zeppelin</i> news")), frozenset())]
        )
        assert sorted(m.subject for m in store.search("zeppelin")) == ["Later", "Quarterly numbers"]
        assert raw_source(store, "m1") == raw
    _index_is_sound(store_path)
    with sqlite3.connect(store_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert "messages_fts_content" not in tables  # the index's own copy of every text is gone

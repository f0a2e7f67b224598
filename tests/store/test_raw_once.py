"""Mail that keeps its raw bytes keeps its HTML part and attachments only there (store
migration 0010): stored once, and read back from the raw bytes when the message is opened."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from mailapp.core.addresses import Address
from mailapp.core.demo import generate_demo
from mailapp.mime.compose import compose_message
from mailapp.mime.parse import Attachment, parse_message
from mailapp.store import open_store
from mailapp.store.composer_reads import reply_source
from mailapp.store.fts import integrity_check, search_text
from mailapp.store.migrate import alembic_config
from tests.store.old_stores import add_message, store_at

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(200))


def _index_is_sound(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        integrity_check(conn)


def test_imported_mail_stores_html_and_attachments_once_and_reads_them_back(
    tmp_path: Path,
) -> None:
    items = list(generate_demo(300, seed=4, with_raw=True, realistic=True))
    by_message_id = {item.message.message_id: item.message for item in items}
    path = tmp_path / "mail.sqlite3"
    with open_store(path) as store:
        account = store.create_account("me@example.org")
        store.import_messages(account, items)
        with sqlite3.connect(path) as conn:
            assert conn.execute(
                "SELECT count(*) FROM message_bodies AS b WHERE html_body IS NOT NULL"
                " OR NOT EXISTS (SELECT 1 FROM message_raw WHERE message_num = b.message_num)"
            ).fetchone() == (0,)
            assert conn.execute(
                "SELECT count(*) FROM attachments WHERE data IS NOT NULL"
            ).fetchone() == (0,)
            ids = conn.execute("SELECT id, message_id_header FROM messages").fetchall()
        with_parts = 0
        for message_id, header_id in ids:
            original = by_message_id[header_id]
            detail = store.message(message_id)
            assert detail is not None
            assert detail.html_body == original.html_body
            assert detail.text_body == original.text_body
            assert [store.attachment_data(a.id) for a in detail.attachments] == [
                a.data for a in original.attachments
            ]
            if original.attachments:
                with_parts += 1
                source = reply_source(store, message_id)
                assert source is not None and source.html_body == original.html_body
                assert [a.data for a in source.attachments] == [
                    a.data for a in original.attachments
                ]
        assert with_parts > 10
    _index_is_sound(path)


def _raw(subject: str, html: str, attachments: list[Attachment]) -> bytes:
    return compose_message(
        Address("Ann", "ann@example.org"),
        [Address(None, "me@b.org")],
        subject=subject,
        text_body="",
        html_body=html,
        attachments=attachments,
        message_id=f"<{subject.replace(' ', '.')}@example.org>",
    )


def _store_at_0009(path: Path) -> dict[int, bytes]:
    """A store as revision 0009's code wrote it: imported mail with its raw bytes and, beside
    them, the HTML and the attachments' bytes; message 3's HTML is not what its raw holds."""
    store_at(path, "0009")
    parts = [
        Attachment("report.pdf", "application/pdf", len(PDF), None, False, PDF),
        Attachment("logo.png", "image/png", len(PNG), "logo@x", True, PNG),
    ]
    raws = {
        1: _raw("Zanzibar gazette", "<p>Fresh <b>marmalade</b> recipes</p>", parts),
        2: _raw("Quarterly numbers", "<p>The zeppelin figures</p>", []),
        3: _raw("Odd one", "<p>What the raw says</p>", parts[:1]),
    }
    with sqlite3.connect(path) as conn:
        for num, raw in raws.items():
            parsed = parse_message(raw)
            html = parsed.html_body if num != 3 else "<p>Something else</p>"
            text = parsed.text_body
            add_message(
                conn,
                num,
                parsed.subject,
                text=text,
                html=html,
                packed_raw=zlib.compress(raw),
                search_text=search_text(text, html),
                parts=parsed.attachments,
                part_data=True,
            )
    return raws


def test_upgrade_from_0009_drops_the_copies_the_raw_bytes_hold(store_path: Path) -> None:
    _store_at_0009(store_path)
    with open_store(store_path) as store:
        with sqlite3.connect(store_path) as conn:
            html = dict(conn.execute("SELECT message_num, html_body FROM message_bodies"))
            data = dict(conn.execute("SELECT id, data IS NOT NULL FROM attachments"))
        # Message 3's stored HTML is not what its raw bytes hold: it keeps it.
        assert html == {1: None, 2: None, 3: "<p>Something else</p>"}
        assert data == {"p1.0": 0, "p1.1": 0, "p3.0": 0}
        first = store.message("m1")
        assert first is not None and first.html_body == "<p>Fresh <b>marmalade</b> recipes</p>"
        assert {a.filename: store.attachment_data(a.id) for a in first.attachments} == {
            "report.pdf": PDF,
            "logo.png": PNG,
        }
        odd = store.message("m3")
        assert odd is not None and odd.html_body == "<p>Something else</p>"
        assert [m.subject for m in store.search("zeppelin")] == ["Quarterly numbers"]
        store.delete(["m2"])
        store.delete(["m2"])
        assert store.search("zeppelin") == []
    _index_is_sound(store_path)


def test_downgrade_to_0009_writes_the_copies_back(store_path: Path) -> None:
    _store_at_0009(store_path)
    open_store(store_path).close()
    engine = create_engine(f"sqlite:///{store_path}")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0009")
    engine.dispose()
    with sqlite3.connect(store_path) as conn:
        html = dict(conn.execute("SELECT message_num, html_body FROM message_bodies"))
        data = dict(conn.execute("SELECT id, data FROM attachments"))
    assert html == {
        1: "<p>Fresh <b>marmalade</b> recipes</p>",
        2: "<p>The zeppelin figures</p>",
        3: "<p>Something else</p>",
    }
    # The parser lists the inline image (multipart/related) before the attachment.
    assert data == {"p1.0": PNG, "p1.1": PDF, "p3.0": PDF}


def test_opening_plain_text_mail_parses_nothing(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only mail with an HTML part somewhere in its bytes is parsed when opened; the text of
    plain mail is in the store (a large message's attachments are not decoded for nothing)."""
    plain = parse_message(
        compose_message(
            Address("Ann", "ann@example.org"),
            [Address(None, "me@b.org")],
            subject="Plain",
            text_body="Just text",
            attachments=[Attachment("report.pdf", "application/pdf", len(PDF), None, False, PDF)],
        )
    )
    with open_store(store_path) as store:
        account = store.create_account("me@example.org")
        inbox = store.mailbox_by_role(account, "inbox")
        assert inbox is not None
        store.import_messages(account, [(inbox.id, plain, frozenset())])
        [summary] = store.page(inbox.id)
        with sqlite3.connect(store_path) as conn:
            kept = (
                "SELECT EXISTS (SELECT 1 FROM message_raw), html_body IS NULL FROM message_bodies"
            )
            assert conn.execute(kept).fetchone() == (1, 1)

        def no_parsing(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("parsed")

        monkeypatch.setattr("mailapp.mime.parse.parse_message", no_parsing)
        detail = store.message(summary.id)
        assert detail is not None
        assert detail.text_body == "Just text" and detail.html_body is None
        assert [a.filename for a in detail.attachments] == ["report.pdf"]
        monkeypatch.undo()
        assert store.attachment_data(detail.attachments[0].id) == PDF


def test_one_parse_serves_every_part_of_an_opened_message(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reading pane asks for each inline image, saving for each attachment: the message's
    raw bytes are parsed once for all of them."""
    import mailapp.mime.parse as mime_parse

    raw = _raw(
        "Pictures",
        '<p><img src="cid:logo@x"></p>',
        [
            Attachment("report.pdf", "application/pdf", len(PDF), None, False, PDF),
            Attachment("logo.png", "image/png", len(PNG), "logo@x", True, PNG),
        ],
    )
    calls: list[int] = []
    real = mime_parse.parse_message

    def counted(data: bytes, **kwargs: bool) -> object:
        calls.append(len(data))
        return real(data, **kwargs)

    with open_store(store_path) as store:
        account = store.create_account("me@example.org")
        inbox = store.mailbox_by_role(account, "inbox")
        assert inbox is not None
        store.import_messages(account, [(inbox.id, parse_message(raw), frozenset())])
        [summary] = store.page(inbox.id)
        monkeypatch.setattr(mime_parse, "parse_message", counted)
        detail = store.message(summary.id)
        assert detail is not None and detail.html_body is not None
        found = {a.filename: store.attachment_data(a.id) for a in detail.attachments}
        found |= {a.filename: store.attachment_data(a.id) for a in detail.attachments}
    assert found == {"report.pdf": PDF, "logo.png": PNG}
    assert len(calls) == 1

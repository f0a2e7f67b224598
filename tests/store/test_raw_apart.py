"""Raw messages in their own table, zstd with a dictionary of the store's own mail (store
migration 0014): smaller, and everything a user reads from them is the same."""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine

from mailapp.core.demo import DemoMessage, generate_demo
from mailapp.store import open_store
from mailapp.store.composer_reads import reply_source
from mailapp.store.fts import integrity_check, search_text
from mailapp.store.message_source import keep_raw_source, raw_source
from mailapp.store.migrate import alembic_config
from tests.store.old_stores import add_message, store_at


def _zlib(raw: bytes) -> bytes:
    # codec.pack as revisions 0008-0013 wrote message_bodies.raw.
    packer = zlib.compressobj(6, zlib.DEFLATED, 15 if len(raw) > 65536 else 13, 8)
    return packer.compress(raw) + packer.flush()


def _store_at_0013(path: Path, items: list[DemoMessage]) -> None:
    """A store as revision 0013's import wrote it: the raw message (zlib) in message_bodies,
    the HTML part and attachments' bytes only there, the text part beside it."""
    store_at(path, "0013")
    with sqlite3.connect(path) as conn:
        for num, item in enumerate(items, start=1):
            message = item.message
            add_message(
                conn,
                num,
                message.subject,
                text=message.text_body,
                html=None,
                packed_raw=_zlib(message.raw or b""),
                search_text=search_text(message.text_body, message.html_body),
                parts=message.attachments,
                part_data=False,
            )


def _size(path: Path) -> int:
    return sum(
        p.stat().st_size for p in path.parent.glob(path.name + "*") if "backup" not in p.name
    )


def test_upgrade_from_0013_keeps_every_message_readable_and_shrinks_the_store(
    store_path: Path,
) -> None:
    items = list(generate_demo(400, seed=14, with_raw=True, realistic=True))
    _store_at_0013(store_path, items)
    before = _size(store_path)
    with open_store(store_path) as store:
        for num, item in enumerate(items, start=1):
            message = item.message
            # View source, the reading pane, attachments offline, reply/forward: as before.
            assert raw_source(store, f"m{num}") == message.raw
            detail = store.message(f"m{num}")
            assert detail is not None
            assert (detail.text_body, detail.html_body) == (message.text_body, message.html_body)
            assert [store.attachment_data(a.id) for a in detail.attachments] == [
                a.data for a in message.attachments
            ]
        [first] = [i for i, item in enumerate(items, start=1) if item.message.attachments][:1]
        replied = reply_source(store, f"m{first}")
        assert replied is not None
        assert [a.data for a in replied.attachments] == [
            a.data for a in items[first - 1].message.attachments
        ]
        word = items[7].message.subject.split()[0]
        assert {m.id for m in store.search(word, limit=len(items))} >= {"m8"}
    assert (store_path.parent / f"{store_path.name}.backup-0013").exists()
    with sqlite3.connect(store_path) as conn:
        integrity_check(conn)
        columns = {row[1] for row in conn.execute("PRAGMA table_info(message_bodies)")}
        [(dictionaries,)] = conn.execute("SELECT count(*) FROM raw_dictionaries")
        [(with_one,)] = conn.execute(
            "SELECT count(*) FROM message_raw WHERE dictionary IS NOT NULL"
        )
    assert "raw" not in columns
    # Trained on the store's own mail: every message is compressed with it.
    assert (dictionaries, with_one) == (1, len(items))
    after = _size(store_path)
    assert after < 0.85 * before, (before, after)


def test_downgrade_to_0013_writes_zlib_back(store_path: Path) -> None:
    items = list(generate_demo(30, seed=15, with_raw=True, realistic=True))
    _store_at_0013(store_path, items)
    open_store(store_path).close()
    engine = create_engine(f"sqlite:///{store_path}")
    with engine.begin() as conn:
        command.downgrade(alembic_config(conn), "0013")
    engine.dispose()
    with sqlite3.connect(store_path) as conn:
        stored = dict(conn.execute("SELECT message_num, raw FROM message_bodies"))
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {num: zlib.decompress(packed) for num, packed in stored.items()} == {
        num: item.message.raw for num, item in enumerate(items, start=1)
    }
    assert not {"message_raw", "raw_dictionaries"} & tables


def test_a_large_import_trains_one_dictionary_a_small_one_none(tmp_path: Path) -> None:
    """A few messages are too few to learn from: stored with plain zstd. The first import
    with enough mail trains the store's dictionary; later imports use it."""
    few = list(generate_demo(20, seed=16, with_raw=True, realistic=True))
    many = list(generate_demo(600, seed=17, with_raw=True, realistic=True))
    path = tmp_path / "mail.sqlite3"
    with open_store(path) as store:
        account = store.create_account("me@example.org")
        store.import_messages(account, few)
        store.import_messages(account, many)
        store.import_messages(account, few)
        with sqlite3.connect(path) as conn:
            ids = [row[0] for row in conn.execute("SELECT id FROM messages ORDER BY num")]
            counts = conn.execute(
                "SELECT (SELECT count(*) FROM raw_dictionaries),"
                " sum(dictionary IS NULL), sum(dictionary IS NOT NULL) FROM message_raw"
            ).fetchone()
        assert counts == (1, 20, 620)
        originals = sorted(item.message.raw or b"" for item in [*few, *many, *few])
        assert sorted(raw_source(store, i) or b"" for i in ids) == originals


def test_a_fetched_source_is_kept_beside_a_synced_body_and_goes_with_it(tmp_path: Path) -> None:
    items = list(generate_demo(3, seed=18, with_raw=True, realistic=True))
    path = tmp_path / "mail.sqlite3"
    with open_store(path) as store:
        account = store.create_account("me@example.org")
        store.import_messages(account, items)
        [message_id, *_] = [m.id for m in store.page(store.mailbox_by_role(account, "inbox").id)]  # type: ignore[union-attr]
        keep_raw_source(store, message_id, b"Subject: replaced\r\n\r\nnew bytes\r\n")
        assert raw_source(store, message_id) == b"Subject: replaced\r\n\r\nnew bytes\r\n"
        # Without its body a message is not offline: its source goes with the body.
        with store._write() as conn:
            conn.exec_driver_sql(
                "DELETE FROM message_bodies WHERE message_num ="
                " (SELECT num FROM messages WHERE id = ?)",
                (message_id,),
            )
        assert raw_source(store, message_id) is None
        keep_raw_source(store, message_id, b"Subject: x\r\n\r\ny\r\n")
        assert raw_source(store, message_id) is None

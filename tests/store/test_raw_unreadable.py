"""A stored raw message that cannot be read back (damaged bytes, or its dictionary gone) is
treated as not on this computer: the message still opens with its text, nothing raises."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from mailapp.core.demo import generate_demo
from mailapp.store import open_store
from mailapp.store.composer_reads import reply_source
from mailapp.store.message_source import raw_source


def test_a_damaged_raw_row_or_a_missing_dictionary_reads_as_no_source(tmp_path: Path) -> None:
    items = list(generate_demo(12, seed=31, with_raw=True, realistic=True))
    path = tmp_path / "mail.sqlite3"
    with open_store(path) as store:
        account = store.create_account("me@example.org")
        store.import_messages(account, items)
    with sqlite3.connect(path) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM messages ORDER BY num")]
        nums = [row[0] for row in conn.execute("SELECT num FROM messages ORDER BY num")]
        # One row's bytes damaged, another naming a dictionary the file no longer has.
        conn.execute(
            "UPDATE message_raw SET raw = x'28b52ffd00deadbeef' WHERE message_num = ?", (nums[0],)
        )
        conn.execute("UPDATE message_raw SET dictionary = 12345 WHERE message_num = ?", (nums[1],))
    with open_store(path) as store:
        for message_id, item in zip(ids[:2], items[:2], strict=True):
            assert raw_source(store, message_id) is None
            detail = store.message(message_id)
            assert detail is not None
            assert detail.text_body == item.message.text_body
            for part in detail.attachments:
                assert store.attachment_data(part.id) is None
            assert reply_source(store, message_id) is not None
        # The others are untouched.
        assert raw_source(store, ids[2]) == items[2].message.raw

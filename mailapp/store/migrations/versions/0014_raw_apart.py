"""Raw messages in a table of their own, compressed with zstd and a dictionary of the store's mail.

Revision ID: 0014
Revises: 0013

Until 0013 ``message_bodies.raw`` held the raw message (zlib), beside the text search needs.
An imported message's row was then 2-3 KB: one to a 4 KB page, a quarter of the pages left
empty, and zlib kept a few-KB message at about half its size (issue 11: a store ≤ 1.5× the
raw mail; imported mail was at 1.68×). From here:

- ``message_raw`` (message_num, dictionary, raw) holds the raw bytes, a row hanging off its
  body row (deleting the body deletes it), so body rows of a few hundred bytes fill their
  pages, and raw rows are written in key order.
- ``raw_dictionaries`` holds zstd dictionaries trained on the store's own mail; each
  ``message_raw`` row names the one it was compressed with (NULL: none). Its id is derived
  from its bytes (store/raw_codec.py).

Existing raw messages are decompressed, a dictionary is trained on up to 2,000 of them (when
there are at least 200), and each is compressed again with it: the store's copy of every
message shrinks by about a third. The freed pages are given back by the VACUUM after an
upgrade (migrate.py). Downgrading writes zlib into ``message_bodies.raw`` again.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
import zstandard
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

_BATCH = 500
# As store/raw_codec.py has them at this revision (a migration never imports code that may
# change).
_LEVEL = 3
_DICTIONARY_SIZE = 112_640
_TRAIN_MIN, _TRAIN_MAX, _SAMPLE_BYTES = 200, 2000, 16_384
_SEGMENT, _DMER = 1024, 8


def _dictionary_id(data: bytes) -> int:
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") >> 1


def _rows(conn: sa.Connection, sql: str, total_sql: str) -> Iterator[list[Any]]:
    """(message_num, packed) rows of `sql` in key order, in batches, reporting progress."""
    from mailapp.store.migrate import report

    total = conn.exec_driver_sql(total_sql).scalar_one()
    done = 0
    report(done, total)
    last = -(2**63)
    while rows := conn.exec_driver_sql(sql, (last, _BATCH)).all():
        yield rows
        last = rows[-1][0]
        done += len(rows)
        report(done, total)


def upgrade() -> None:
    conn = op.get_bind()
    op.create_table(
        "raw_dictionaries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
    )
    op.create_table(
        "message_raw",
        sa.Column(
            "message_num",
            sa.Integer,
            sa.ForeignKey("message_bodies.message_num", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("dictionary", sa.Integer, sa.ForeignKey("raw_dictionaries.id")),
        sa.Column("raw", sa.LargeBinary, nullable=False),
    )
    select = (
        "SELECT message_num, raw FROM message_bodies WHERE raw IS NOT NULL AND message_num > ?"
        " ORDER BY message_num LIMIT ?"
    )
    count = "SELECT count(*) FROM message_bodies WHERE raw IS NOT NULL"
    samples = [
        zlib.decompress(packed)[:_SAMPLE_BYTES]
        for (packed,) in conn.exec_driver_sql(
            "SELECT raw FROM message_bodies WHERE raw IS NOT NULL"
            " ORDER BY message_num DESC LIMIT ?",
            (_TRAIN_MAX,),
        )
    ]
    dictionary: int | None = None
    compressor = zstandard.ZstdCompressor(level=_LEVEL)
    if len(samples) >= _TRAIN_MIN:
        try:
            data = zstandard.train_dictionary(
                _DICTIONARY_SIZE, samples, k=_SEGMENT, d=_DMER, level=_LEVEL
            ).as_bytes()
        except zstandard.ZstdError:
            data = None
        if data is not None:
            dictionary = _dictionary_id(data)
            conn.exec_driver_sql(
                "INSERT INTO raw_dictionaries (id, data) VALUES (?, ?)", (dictionary, data)
            )
            compressor = zstandard.ZstdCompressor(
                level=_LEVEL, dict_data=zstandard.ZstdCompressionDict(data)
            )
    del samples
    for rows in _rows(conn, select, count):
        conn.exec_driver_sql(
            "INSERT INTO message_raw (message_num, dictionary, raw) VALUES (?, ?, ?)",
            [
                (num, dictionary, compressor.compress(zlib.decompress(packed)))
                for num, packed in rows
            ],
        )
    # Rewrites message_bodies without the column (SQLite 3.35+).
    op.execute("ALTER TABLE message_bodies DROP COLUMN raw")


def _zlib(raw: bytes) -> bytes:
    # codec.pack as of 0008-0013.
    packer = zlib.compressobj(6, zlib.DEFLATED, 15 if len(raw) > 65536 else 13, 8)
    return packer.compress(raw) + packer.flush()


def downgrade() -> None:
    conn = op.get_bind()
    op.add_column("message_bodies", sa.Column("raw", sa.LargeBinary))
    dictionaries = dict(conn.exec_driver_sql("SELECT id, data FROM raw_dictionaries").all())
    decompressors = {
        key: zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(data))
        for key, data in dictionaries.items()
    }
    plain = zstandard.ZstdDecompressor()
    select = (
        "SELECT message_num, raw, dictionary FROM message_raw WHERE message_num > ?"
        " ORDER BY message_num LIMIT ?"
    )
    for rows in _rows(conn, select, "SELECT count(*) FROM message_raw"):
        conn.exec_driver_sql(
            "UPDATE message_bodies SET raw = ? WHERE message_num = ?",
            # Every row is zstd: the upgrade compressed each zlib row again.
            [
                (_zlib(decompressors.get(key, plain).decompress(packed)), num)
                for num, packed, key in rows
            ],
        )
    op.drop_table("message_raw")
    op.drop_table("raw_dictionaries")

"""Raw messages as the store keeps them: zstd, with a dictionary trained on the store's own mail
(store migration 0014, table ``message_raw``).

Most mail is a few KB, too little for a compressor to learn from one message alone: zlib kept
it at 0.52× of its size. What repeats is across messages (header names, the relays, MIME
boilerplate, the HTML of the same senders), and a dictionary trained on a sample of the store's
own mail carries that: 0.35× on the benchmark's demo mail, at a fifth of zlib's CPU per message
(tests/bench/bench_index.py). A dictionary is trained once, from the first import batch with
enough raw messages (`TRAIN_MIN`), in the transaction that stores the batch; until then, and
for the few messages stored before it, plain zstd. Dictionaries stay for good (a few hundred KB
at most): every row names the one it was written with, and its id is derived from its bytes,
so a cache keyed by the id can never hand one store's dictionary to another's rows.

Migration 0014 compressed the zlib of the rows before it again this way.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import zstandard

if TYPE_CHECKING:
    from sqlalchemy import Connection

LEVEL = 3  # zstd's default: with a dictionary level 6 saves 3% more for 3.5x the CPU
DICTIONARY_SIZE = 112_640  # zstd's default dictionary size
TRAIN_MIN = 200  # raw messages a batch needs to train from (fewer give a poorer dictionary)
TRAIN_MAX = 2000
# zstd's fast-cover parameters (segment and d-mer sizes), given so that it does not try
# dozens of pairs: what that search picks on the benchmark's mail, at a quarter of the CPU
# (0.08 s for 2,000 messages; the search took 0.31 s for the same dictionary).
_SEGMENT, _DMER = 1024, 8
# The start of each sample only: what repeats is in the headers and the text, not in the
# attachments, which would make training slower for nothing.
SAMPLE_BYTES = 16_384

# A store has one dictionary (trained once); were there more, the choice stays the same.
_CURRENT = "SELECT id, data FROM raw_dictionaries ORDER BY id LIMIT 1"
_ONE = "SELECT data FROM raw_dictionaries WHERE id = ?"

# Decompressors per thread (zstandard's are not thread-safe), keyed by the dictionary's id
# (None: no dictionary); the last few only (one holds ~100 KB).
_local = threading.local()
_CACHED = 4

log = logging.getLogger(__name__)


def dictionary_id(data: bytes) -> int:
    """A dictionary's id: its bytes' SHA-256, as a positive 63-bit integer."""
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big") >> 1


def _decompressors() -> dict[int | None, zstandard.ZstdDecompressor]:
    cache = getattr(_local, "decompressors", None)
    if cache is None:
        cache = _local.decompressors = {}
    return cache  # type: ignore[no-any-return]


def unpack(conn: Connection, num: int, packed: bytes, dictionary: int | None) -> bytes | None:
    """The raw message of message `num`'s ``message_raw`` row (``raw``, ``dictionary``);
    ``conn`` reads the dictionary the first time this thread needs it. None, logged, when the
    row cannot be read back (damaged bytes, or its dictionary gone): callers then act as for
    mail that keeps no source (its text still shows; a synced one's source is fetched again
    and replaces the row) rather than fail in the reading pane."""
    cache = _decompressors()
    found = cache.get(dictionary)
    try:
        if found is None:
            if dictionary is None:
                found = zstandard.ZstdDecompressor()
            else:
                data = conn.exec_driver_sql(_ONE, (dictionary,)).scalar()
                if data is None:
                    log.warning(
                        "message %d: its raw bytes need dictionary %d, which the store lacks",
                        num,
                        dictionary,
                    )
                    return None
                found = zstandard.ZstdDecompressor(dict_data=zstandard.ZstdCompressionDict(data))
            if len(cache) >= _CACHED:
                del cache[next(iter(cache))]  # the oldest
            cache[dictionary] = found
        return found.decompress(packed)  # type: ignore[no-any-return]
    except zstandard.ZstdError as error:
        log.warning("message %d: its raw bytes cannot be decompressed (%s)", num, error)
        return None


def read(conn: Connection, num: int) -> bytes | None:
    """The raw message of message `num`, None when the store does not have it (or cannot
    read it back: `unpack`)."""
    row = conn.exec_driver_sql(
        "SELECT raw, dictionary FROM message_raw WHERE message_num = ?", (num,)
    )
    found = row.first()
    return None if found is None else unpack(conn, num, found[0], found[1])


def train(raws: Sequence[bytes]) -> bytes | None:
    """A dictionary trained on `raws`, or None when they are too few or too alike for zstd."""
    samples = [raw[:SAMPLE_BYTES] for raw in raws[:TRAIN_MAX]]
    if len(samples) < TRAIN_MIN:
        return None
    try:
        trained = zstandard.train_dictionary(
            DICTIONARY_SIZE, samples, k=_SEGMENT, d=_DMER, level=LEVEL
        )
    except zstandard.ZstdError:
        return None
    return trained.as_bytes()  # type: ignore[no-any-return]


class Packer:
    """Compresses the raw messages one write transaction stores (`conn`): with the store's
    dictionary, trained from the first batch that has enough mail when there is none."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        row = conn.exec_driver_sql(_CURRENT).first()
        self.dictionary: int | None = None if row is None else row[0]
        self._data: bytes | None = None if row is None else row[1]

    def pack(self, raws: Sequence[bytes]) -> list[bytes]:
        """Each of `raws` compressed with `self.dictionary` (trained now if there is none)."""
        if self.dictionary is None and len(raws) >= TRAIN_MIN:
            data = train(raws)
            if data is not None:
                self.dictionary, self._data = dictionary_id(data), data
                self._conn.exec_driver_sql(
                    "INSERT OR IGNORE INTO raw_dictionaries (id, data) VALUES (?, ?)",
                    (self.dictionary, data),
                )
        # A compressor per call, not kept: it holds ~1 MB once used, and a call compresses
        # a whole batch (loading the dictionary costs far less than the batch).
        if self._data is None:
            compressor = zstandard.ZstdCompressor(level=LEVEL)
        else:
            compressor = zstandard.ZstdCompressor(
                level=LEVEL, dict_data=zstandard.ZstdCompressionDict(self._data)
            )
        return [compressor.compress(raw) for raw in raws]


def keep(conn: Connection, rows: Sequence[tuple[int, bytes]]) -> None:
    """Stores (message_num, raw message) pairs in ``message_raw``, in key order (appended rows
    fill their pages), replacing what a message had. Each message must have its body row."""
    if not rows:
        return
    rows = sorted(rows, key=lambda row: row[0])
    packer = Packer(conn)
    packed = packer.pack([raw for _num, raw in rows])
    conn.exec_driver_sql(
        "INSERT OR REPLACE INTO message_raw (message_num, dictionary, raw) VALUES (?, ?, ?)",
        [(num, packer.dictionary, data) for (num, _raw), data in zip(rows, packed, strict=True)],
    )

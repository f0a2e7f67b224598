"""`kill -9` of an import while it trains the store's zstd dictionary and stores raw mail:
the dictionary and the messages compressed with it commit together or not at all."""

from __future__ import annotations

import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mailapp.store import open_store
from mailapp.store.fts import integrity_check
from mailapp.store.message_source import raw_source

ROOT = Path(__file__).resolve().parents[2]

# The child imports 400 demo messages (their raw bytes written beside the store first: the
# demo's dates follow the clock) in two calls (250 then 150: the first trains the
# dictionary). With a pause set, it says "trained" once the dictionary is trained and
# inserted, inside the first import's transaction, and waits there to be killed.
_CHILD = textwrap.dedent(
    """
    import pickle, sys, time
    from mailapp.core.demo import generate_demo
    from mailapp.store import open_store, raw_codec

    path, seed, pause = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "pause"
    items = list(generate_demo(400, seed=seed, with_raw=True, realistic=True))
    with open(path + ".raws", "wb") as out:  # what the test compares the sources with
        pickle.dump([item.message.raw for item in items], out)
    real = raw_codec.train

    def train(raws):
        data = real(raws)
        print("trained", flush=True)
        if pause:
            time.sleep(60)
        return data

    raw_codec.train = train
    store = open_store(path)
    account = store.accounts()[0][0] if store.accounts() else store.create_account("me@b.org")
    print("ready", flush=True)
    store.import_messages(account, items[:250])
    store.import_messages(account, items[250:])
    print("done", flush=True)
    """
)


def _run_child(path: Path, seed: int, pause: bool) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(path), str(seed), "pause" if pause else "go"],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip


def _wait_for_line(child: subprocess.Popen[str], line: str) -> None:
    assert child.stdout is not None
    for got in child.stdout:
        if got.strip() == line:
            return
    child.stdout.close()
    pytest.fail(f"the child ended before saying {line!r} (exit {child.wait()})")


def _end(child: subprocess.Popen[str], kill: bool) -> int:
    if kill:
        child.send_signal(signal.SIGKILL)
    assert child.stdout is not None
    child.stdout.close()
    return child.wait()


def _originals(path: Path) -> list[bytes]:
    return pickle.loads(path.with_name(path.name + ".raws").read_bytes())  # type: ignore[no-any-return]


def _stored(path: Path) -> tuple[int, list[bytes | None]]:
    """(dictionaries, every stored message's source), checking the file is sound."""
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        integrity_check(conn)
        [(dictionaries,)] = conn.execute("SELECT count(*) FROM raw_dictionaries")
        ids = [row[0] for row in conn.execute("SELECT id FROM messages")]
    with open_store(path) as store:
        return dictionaries, [raw_source(store, message_id) for message_id in ids]


@pytest.mark.slow
def test_killed_while_training_leaves_neither_dictionary_nor_messages(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    child = _run_child(path, seed=21, pause=True)
    try:
        _wait_for_line(child, "trained")
    finally:
        _end(child, kill=True)
    # The first import's transaction held the dictionary and its 250 messages: all gone.
    assert _stored(path) == (0, [])

    # The next import trains again and stores every message readable.
    child = _run_child(path, seed=22, pause=False)
    try:
        _wait_for_line(child, "done")
    finally:
        assert _end(child, kill=False) == 0
    dictionaries, sources = _stored(path)
    assert dictionaries == 1
    assert sorted(sources) == sorted(_originals(path))  # type: ignore[type-var]


@pytest.mark.slow
def test_killed_between_imports_keeps_what_was_committed(tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    child = _run_child(path, seed=23, pause=False)
    try:
        _wait_for_line(child, "trained")
    finally:
        _end(child, kill=True)  # inside the first import or just after it
    dictionaries, sources = _stored(path)
    originals = _originals(path)[:250]
    # Either the first import committed (its dictionary, 250 readable messages), or nothing.
    assert (dictionaries, len(sources)) in {(0, 0), (1, 250), (1, 400)}
    if len(sources) == 250:
        assert sorted(sources) == sorted(originals)  # type: ignore[type-var]

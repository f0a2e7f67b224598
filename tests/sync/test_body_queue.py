"""A sync cycle with nothing to do does the same small work whatever the mailbox's size, and a
body the server does not have is not asked for again every cycle."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from mailapp.server.db import session_scope
from mailapp.server.models import EmailBlob
from mailapp.server.modseq import ModseqAllocator
from mailapp.server.upstream import records
from mailapp.store import codec
from mailapp.store.replica_bodies import RETRY_FIRST
from mailapp.store.store import MailStore
from tests.server.conftest import RunningServer
from tests.support.faultproxy import FaultProxy
from tests.sync.conftest import DeviceFactory


@contextmanager
def sqlite_work(store: MailStore) -> Iterator[dict[str, int]]:
    """SQL statements run and SQLite virtual-machine steps taken on the store while inside:
    the steps grow with every row a query visits, so they show a scan whatever the clock says."""
    seen = {"statements": 0, "steps": 0}
    hooked: dict[int, Any] = {}

    def tick() -> int:
        seen["steps"] += 1
        return 0

    def before(_conn: Any, cursor: Any, *_args: Any) -> None:
        seen["statements"] += 1
        raw = cursor.connection
        if id(raw) not in hooked:
            raw.set_progress_handler(tick, 1)
            hooked[id(raw)] = raw

    event.listen(store._engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(store._engine, "before_cursor_execute", before)
        for raw in hooked.values():
            raw.set_progress_handler(None, 1)


def test_a_cycle_with_nothing_changed_does_the_same_work_at_10_and_at_150_messages(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    work = []
    for count in (10, 150):
        user = sync_server.new_user("flat")
        for n in range(count):
            sync_server.deliver(user.account_id, subject=f"Note {n}")
        device = device_factory(user)
        first = device.sync()
        assert first.bodies_fetched == count  # recent mail: every body is prefetched
        device.sync()  # settles anything the first cycle left (none expected)
        with sqlite_work(device.store) as seen:
            report = device.sync()
        assert report.pulled == 0 and report.bodies_fetched == 0
        work.append(seen)
    small, large = work
    assert large["statements"] == small["statements"]
    # Fifteen times the mail, the same work: finding what is left to download reads an index
    # of missing bodies, not every message (which cost about 20 steps per message).
    assert large["steps"] <= small["steps"] + 200, work


def _drop_server_body(sync_server: RunningServer, email_id: str) -> dict[str, Any]:
    """Remove a message's stored bytes on the server, as if only its headers had arrived
    (an upstream import brings headers first); returns the row to put back."""
    with session_scope(sync_server.engine) as session:
        row = session.execute(select(EmailBlob.__table__).where(EmailBlob.email_id == email_id))
        kept = dict(row.mappings().one())
        session.execute(delete(EmailBlob).where(EmailBlob.email_id == email_id))
    return kept


def _body_arrives(sync_server: RunningServer, account_id: str, kept: dict[str, Any]) -> None:
    """Store a dropped body again the way an upstream import's body pass does
    (upstream/bodies.py): the message gets a new version, its keywords and mailbox unchanged."""
    raw = bytes(kept["raw"])
    row = records.body_row(kept["email_id"], raw)
    with session_scope(sync_server.engine) as session:
        alloc = ModseqAllocator(session, account_id)
        records.store_bodies(alloc, [row], {kept["email_id"]: raw})
        alloc.finish()


def test_bodies_the_server_lacks_are_asked_for_again_only_after_a_change_or_a_delay(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    proxy: FaultProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = sync_server.new_user("alice")
    ids = [sync_server.deliver(alice.account_id, subject=f"Note {n}") for n in range(3)]
    later, never = ids[1], ids[2]
    kept = _drop_server_body(sync_server, later)
    _drop_server_body(sync_server, never)
    laptop = device_factory(alice, "laptop")

    assert laptop.sync().bodies_fetched == 1
    before = len(proxy.stats.paths)
    assert laptop.sync().bodies_fetched == 0
    assert laptop.sync().bodies_fetched == 0
    # The server said it has neither body: no cycle asks again for them.
    assert "/v1/bodies" not in proxy.stats.paths[before:]

    # The body reaches the server (a new version, keywords and mailbox unchanged): the next
    # cycle asks for that one and gets it; the other stays waiting.
    _body_arrives(sync_server, alice.account_id, kept)
    asked: list[list[str]] = []
    original = laptop.client.message_bodies

    def recording(message_ids: list[str]) -> Any:
        asked.append(list(message_ids))
        return original(message_ids)

    laptop.client.message_bodies = recording  # type: ignore[method-assign]
    assert laptop.sync().bodies_fetched == 1
    assert asked == [[later]]
    detail = laptop.store.message(later)
    assert detail is not None and detail.body_available and detail.text_body == "Body of Note 1"

    # Past the retry delay the one still missing is asked for again, once.
    asked.clear()
    now = codec.now_micros()
    monkeypatch.setattr(codec, "now_micros", lambda: now + RETRY_FIRST + 1)
    assert laptop.sync().bodies_fetched == 0
    assert laptop.sync().bodies_fetched == 0
    assert asked == [[never]]
    missing = laptop.store.message(never)
    assert missing is not None and not missing.body_available


def test_flag_changes_and_moves_keep_a_lacking_body_deferred(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    """Another device flags, reads and files the messages whose bodies the server lacks: this
    device pulls those changes without asking the server for the bodies again (store 0012;
    before it, every new version of a message asked again)."""
    bob = sync_server.new_user("bob")
    ids = [sync_server.deliver(bob.account_id, subject=f"Note {n}") for n in range(4)]
    lacking = ids[1:]
    kept = {email_id: _drop_server_body(sync_server, email_id) for email_id in lacking}
    laptop, phone = device_factory(bob, "laptop"), device_factory(bob, "phone")
    assert laptop.sync().bodies_fetched == 1
    phone.sync()

    asked: list[list[str]] = []
    original = laptop.client.message_bodies

    def recording(message_ids: list[str]) -> Any:
        asked.append(list(message_ids))
        return original(message_ids)

    laptop.client.message_bodies = recording  # type: ignore[method-assign]
    before = len(proxy.stats.paths)
    phone.store.set_flagged(lacking)
    phone.store.mark_read(lacking[:2])
    phone.store.move([lacking[2]], phone.mailbox("archive"))
    phone.sync()
    report = laptop.sync()
    assert report.pulled >= len(lacking) and report.bodies_fetched == 0
    flagged = laptop.store.message(lacking[0])
    assert flagged is not None and flagged.summary.is_flagged and not flagged.body_available
    assert laptop.sync().bodies_fetched == 0
    assert asked == []
    assert "/v1/bodies" not in proxy.stats.paths[before:]

    # One body reaches the server: only that message is asked for, and it arrives.
    _body_arrives(sync_server, bob.account_id, kept[lacking[0]])
    assert laptop.sync().bodies_fetched == 1
    assert asked == [[lacking[0]]]
    detail = laptop.store.message(lacking[0])
    assert detail is not None and detail.body_available and detail.text_body == "Body of Note 1"

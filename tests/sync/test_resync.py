"""After a 410 from the change feed the copy is rebuilt, and queued local changes survive."""

from __future__ import annotations

from mailapp.server.db import prune_tombstones, session_scope
from tests.server.conftest import RunningServer
from tests.sync.conftest import DeviceFactory


def test_resync_after_410_keeps_pending_changes_and_drops_what_the_server_lost(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    keep = sync_server.deliver(alice.account_id, subject="Keep me")
    gone = sync_server.deliver(alice.account_id, subject="Deleted elsewhere")
    laptop = device_factory(alice, "laptop")
    phone = device_factory(alice, "phone", direct_url=sync_server.url)
    laptop.sync()
    phone.sync()

    laptop.store.mark_read([keep])  # queued, not pushed yet
    phone.store.delete([gone])  # to Trash...
    phone.store.delete([gone])  # ...and destroyed
    phone.sync()
    sync_server.deliver(alice.account_id, subject="Arrived meanwhile")
    with session_scope(sync_server.engine) as session:
        assert prune_tombstones(session, alice.account_id, 10**9) >= 1

    report = laptop.sync()

    assert report.resynced and report.pushed == 1
    assert laptop.subjects("inbox") == ["Arrived meanwhile", "Keep me"]
    assert laptop.subjects("trash") == []
    (kept,) = [m for m in laptop.store.page(laptop.mailbox("inbox")) if m.id == keep]
    assert kept.is_read
    phone.sync()
    (on_phone,) = [m for m in phone.store.page(phone.mailbox("inbox")) if m.id == keep]
    assert on_phone.is_read


def test_a_new_device_finishes_its_first_sync_after_the_server_pruned_tombstones(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    # Housekeeping raises the watermark to state - retention: every account with a long
    # history has one, so a first sync's page states soon fall below it.
    bob = sync_server.new_user("bob")
    ids = [sync_server.deliver(bob.account_id, subject=f"Note {n}") for n in range(12)]
    old = device_factory(bob, "old", direct_url=sync_server.url)
    old.sync()
    old.store.delete([ids[0]])
    old.store.delete([ids[0]])
    old.sync()
    with session_scope(sync_server.engine) as session:
        assert prune_tombstones(session, bob.account_id, 10**9) >= 1
    new = device_factory(bob, "new")
    new.engine.page_size = 4
    seen: list[tuple[int, int]] = []

    report = new.engine.run_cycle(lambda done, total: seen.append((done, total)))

    assert not report.resynced
    assert new.subjects("inbox") == sorted(f"Note {n}" for n in range(1, 12))
    assert len(seen) > 3 and seen[-1][0] == seen[-1][1]
    assert new.sync().pulled == 0

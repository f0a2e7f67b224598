"""What a sync reports as arrived (ChangeSet.arrived, what the desktop may announce as new mail):
mail new to this device after the account's first sync, never the first sync's whole mailbox,
a rebuild after the server forgot our state, nor changes to mail already here."""

from __future__ import annotations

from mailapp.server.db import prune_tombstones, session_scope
from mailapp.store import ChangeSet
from tests.server.conftest import RunningServer
from tests.sync.conftest import Device, DeviceFactory


def _arrived_in_next_sync(device: Device) -> set[str]:
    heard: list[ChangeSet] = []
    unsubscribe = device.store.subscribe(heard.append)
    try:
        device.sync()
    finally:
        unsubscribe()
    return {message_id for changes in heard for message_id in changes.arrived}


def test_only_mail_after_the_first_sync_has_arrived(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    user = sync_server.new_user("alice")
    for n in range(3):
        sync_server.deliver(user.account_id, subject=f"Before {n}")
    device = device_factory(user)
    assert _arrived_in_next_sync(device) == set()  # the first sync: a whole mailbox
    assert device.subjects("inbox") == ["Before 0", "Before 1", "Before 2"]

    new_id = sync_server.deliver(user.account_id, subject="Lunch?")
    assert _arrived_in_next_sync(device) == {new_id}

    # Another device reads it: an update of mail already here, not an arrival.
    phone = device_factory(user, "phone")
    phone.sync()
    phone.store.mark_read([new_id], True)
    phone.sync()
    assert _arrived_in_next_sync(device) == set()
    summary = next(m for m in device.store.page(device.mailbox("inbox")) if m.id == new_id)
    assert summary.is_read


def test_a_rebuild_announces_nothing(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    """After a 410 every message is read again; none of it is news (the rebuild may bring
    mail that arrived meanwhile, which is then not announced: the price of a rare event)."""
    user = sync_server.new_user("bob")
    sync_server.deliver(user.account_id, subject="Kept")
    gone = sync_server.deliver(user.account_id, subject="Destroyed")
    device = device_factory(user)
    phone = device_factory(user, "phone")
    device.sync()
    phone.sync()
    phone.store.delete([gone])
    phone.store.delete([gone])
    phone.sync()
    with session_scope(sync_server.engine) as session:
        assert prune_tombstones(session, user.account_id, 10**9) >= 1
    sync_server.deliver(user.account_id, subject="Arrived meanwhile")
    assert _arrived_in_next_sync(device) == set()
    assert device.reports[-1].resynced
    assert device.subjects("inbox") == ["Arrived meanwhile", "Kept"]

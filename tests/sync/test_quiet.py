"""`mailapp sync --once` answers "nothing changed" on its own quick path only when the full
cycle would have had nothing to do: every kind of pending work still takes the full cycle."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailapp.core.addresses import Address
from mailapp.server.auth import revoke_all_tokens
from mailapp.server.db import session_scope
from mailapp.store import DraftInput, replica_blobs, replica_bodies
from mailapp.sync.quiet import sync_once_if_quiet
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import Device, DeviceFactory

NOTHING = "synced: pushed 0, pulled 0, conflicts 0, failed 0"
PDF = b"%PDF-1.4 " + bytes(range(256)) * 4


def profile(device: Device) -> Path:
    return device.store.path.parent


def last_sync(device: Device) -> datetime | None:
    return device.store.sync_state(device.account_id)[1]


def test_nothing_changed_is_answered_quickly_and_noted(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    sync_server.deliver(alice.account_id, subject="Hello")
    laptop = device_factory(alice)
    laptop.sync()
    before = last_sync(laptop)
    assert sync_once_if_quiet(profile(laptop), insecure=False) == NOTHING
    after = last_sync(laptop)
    # The window's "last synced" moves on, as after a full cycle that found nothing.
    assert before is not None and after is not None and after > before
    assert laptop.sync().pulled == 0  # and the full cycle agrees there was nothing


def _queued_change(server: RunningServer, device: Device) -> Callable[[], bool]:
    inbox = device.store.page(device.mailbox("inbox"))
    device.store.set_flagged([inbox[0].id])
    return lambda: bool(device.store.pending_mutations())


def _server_change(server: RunningServer, device: Device) -> Callable[[], bool]:
    server.deliver(device.user.account_id, subject="Newer")
    return lambda: device.sync().pulled > 0


def _missing_body(server: RunningServer, device: Device) -> Callable[[], bool]:
    server.deliver(device.user.account_id, subject="Headers only so far")
    device.engine.run_cycle(prefetch=False)

    def store_agrees() -> bool:
        return bool(replica_bodies.missing_bodies(device.store, device.account_id, None, 10))

    return store_agrees


def _old_body_outside_the_window(server: RunningServer, device: Device) -> Callable[[], bool]:
    old = (datetime.now(UTC) - timedelta(days=400)).strftime("%a, %d %b %Y %H:%M:%S +0000")
    server.deliver(device.user.account_id, subject="Last year", date=old)
    device.engine.run_cycle(prefetch=False)
    since = datetime.now(UTC) - timedelta(days=30)
    # Outside the 30-day window: nothing to fetch, so this one stays quiet.
    return lambda: bool(replica_bodies.missing_bodies(device.store, device.account_id, since, 10))


def _missing_draft_attachment(server: RunningServer, device: Device) -> Callable[[], bool]:
    device.store.save_draft(
        DraftInput(
            None, device.account_id, subject="Report", to=[Address(None, "bob@example.org")],
            body="Attached.", attachments=[("report.pdf", "application/pdf", PDF)],
        )
    )  # fmt: skip
    device.sync()  # uploaded: the draft now names the server's blob
    with sqlite3.connect(device.store.path) as db:
        db.execute("DELETE FROM blobs")  # as on a device that has not fetched it yet
    return lambda: bool(replica_blobs.missing_draft_blobs(device.store, device.account_id))


@pytest.mark.parametrize(
    ("situation", "quiet"),
    [
        (_queued_change, False),
        (_server_change, False),
        (_missing_body, False),
        (_old_body_outside_the_window, True),
        (_missing_draft_attachment, False),
    ],
)
def test_the_quick_path_agrees_with_the_full_cycle(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    situation: Callable[[RunningServer, Device], Callable[[], bool]],
    quiet: bool,
) -> None:
    alice = sync_server.new_user("alice")
    sync_server.deliver(alice.account_id, subject="Hello")
    laptop = device_factory(alice)
    laptop.sync()
    assert sync_once_if_quiet(profile(laptop), insecure=False) == NOTHING
    full_cycle_has_work = situation(sync_server, laptop)
    answer = sync_once_if_quiet(profile(laptop), insecure=False)
    assert answer == (NOTHING if quiet else None)
    assert full_cycle_has_work() is not quiet


def test_never_synced_offline_or_signed_out_take_the_full_cycle(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy, tmp_path: Path
) -> None:
    assert sync_once_if_quiet(tmp_path / "no-profile", insecure=False) is None
    alice = sync_server.new_user("alice")
    laptop = device_factory(alice)
    assert sync_once_if_quiet(profile(laptop), insecure=False) is None  # never synced
    laptop.sync()
    proxy.set_fault(Fault.REFUSE)
    assert sync_once_if_quiet(profile(laptop), insecure=False) is None  # offline
    proxy.clear()
    with session_scope(sync_server.engine) as session:  # signed out everywhere (a lost laptop)
        assert revoke_all_tokens(session, alice.account_id) >= 1
    assert sync_once_if_quiet(profile(laptop), insecure=False) is None

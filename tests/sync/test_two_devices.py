"""Two devices of one user: merging, conflicts, and read state that never reverts."""

from __future__ import annotations

import pytest

from mailapp.store import DraftInput, OutboxState
from mailapp.store.replica import apply_changes
from mailapp.sync.errors import OfflineError
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import Device, DeviceFactory


def _pair(server: RunningServer, device_factory: DeviceFactory) -> tuple[Device, Device, str]:
    """A laptop behind the fault proxy and a phone talking to the server directly."""
    alice = server.new_user("alice")
    email_id = server.deliver(alice.account_id, subject="Shared")
    laptop = device_factory(alice, "laptop")
    phone = device_factory(alice, "phone", direct_url=server.url)
    laptop.sync()
    phone.sync()
    return laptop, phone, email_id


def test_edits_to_different_fields_merge(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    laptop, phone, email_id = _pair(sync_server, device_factory)
    laptop.store.set_flagged([email_id])
    phone.store.mark_read([email_id])
    phone.store.move([email_id], phone.mailbox("archive"))

    assert laptop.sync().pushed == 1
    report = phone.sync()
    laptop.sync()

    assert report.pushed == 2 and report.conflicts == 0
    for device in (laptop, phone):
        (summary,) = device.store.page(device.mailbox("archive"))
        assert summary.is_read and summary.is_flagged
        assert device.store.open_conflicts() == []


def test_the_same_field_changed_on_both_devices_is_a_conflict_the_user_sees(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    laptop, phone, email_id = _pair(sync_server, device_factory)
    inbox = laptop.mailbox("inbox")
    laptop.store.move([email_id], laptop.mailbox("archive"))
    phone.store.move([email_id], phone.mailbox("junk"))

    laptop.sync()
    report = phone.sync()

    assert report.conflicts == 1
    (conflict,) = phone.store.open_conflicts()
    assert conflict.record_type == "email" and conflict.record_id == email_id
    assert conflict.base == {"mailboxId": inbox}
    assert conflict.local == {"mailboxId": phone.mailbox("junk")}
    assert conflict.server["mailboxId"] == phone.mailbox("archive")
    # The server kept its value, and so does the phone until the user decides.
    assert phone.subjects("archive") == ["Shared"] and phone.subjects("junk") == []
    assert [r.state for r in phone.store.pending_mutations()] == [OutboxState.CONFLICT]


def test_draft_edited_on_two_devices_merges_fields_and_conflicts_on_the_same_one(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    laptop, phone = device_factory(alice, "laptop"), device_factory(alice, "phone")
    draft_id = laptop.write_draft("Plan", "team@example.org", body="v1")
    laptop.sync()
    phone.sync()
    assert phone.store.draft(draft_id) is not None

    def edit(device: Device, **changes: str) -> None:
        row = device.store.draft(draft_id)
        assert row is not None
        values = {"subject": row.subject, "body": row.body, **changes}
        device.store.save_draft(
            DraftInput(draft_id, device.account_id, to=row.to, **values)  # type: ignore[arg-type]
        )

    edit(laptop, subject="Plan B")
    edit(phone, body="v2 from phone")
    laptop.sync()
    assert phone.sync().conflicts == 0
    laptop.sync()
    for device in (laptop, phone):
        row = device.store.draft(draft_id)
        assert row is not None and (row.subject, row.body) == ("Plan B", "v2 from phone")

    edit(laptop, subject="Laptop title")
    edit(phone, subject="Phone title")
    laptop.sync()
    assert phone.sync().conflicts == 1
    (conflict,) = phone.store.open_conflicts()
    assert conflict.local == {"subject": "Phone title"}
    assert conflict.server["subject"] == "Laptop title"
    row = phone.store.draft(draft_id)
    assert row is not None and row.subject == "Laptop title"


def test_read_mail_never_turns_unread_again(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    laptop, phone, email_id = _pair(sync_server, device_factory)
    stale_feed = phone.client.changes(None, 1000)  # the server's view: still unread

    proxy.set_fault(Fault.REFUSE)
    laptop.store.mark_read([email_id])
    with pytest.raises(OfflineError):
        laptop.sync()
    phone.store.set_flagged([email_id])
    phone.sync()  # the server's record changes (flagged, unread) while the laptop is offline

    fresh_feed = phone.client.changes(None, 1000)
    apply_changes(laptop.store, laptop.account_id, fresh_feed)
    (summary,) = laptop.store.page(laptop.mailbox("inbox"))
    assert summary.is_read and summary.is_flagged  # rebased: server's flag + local read

    proxy.clear()
    laptop.sync()
    apply_changes(laptop.store, laptop.account_id, stale_feed)  # a late, older page
    (summary,) = laptop.store.page(laptop.mailbox("inbox"))
    assert summary.is_read and summary.is_flagged
    phone.sync()
    (summary,) = phone.store.page(phone.mailbox("inbox"))
    assert summary.is_read

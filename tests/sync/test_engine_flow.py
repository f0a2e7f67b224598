"""The engine against the real server: first sync, bodies, sending while offline, lost answers."""

from __future__ import annotations

import pytest

from mailapp.store import OutboxState
from mailapp.sync.errors import OfflineError
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import DeviceFactory, wait_for


def test_first_sync_brings_mail_with_recent_bodies_and_progress(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    for n in range(3):
        sync_server.deliver(alice.account_id, subject=f"Welcome {n}")
    device = device_factory(alice)
    seen: list[tuple[int, int]] = []

    report = device.engine.run_cycle(progress=lambda done, total: seen.append((done, total)))

    assert device.subjects("inbox") == ["Welcome 0", "Welcome 1", "Welcome 2"]
    assert report.pulled >= 3 and report.state is not None
    assert seen and seen[-1][0] == seen[-1][1]
    assert report.bodies_fetched == 3  # recent mail: bodies prefetched in the same cycle
    message = device.store.page(device.mailbox("inbox"))[0]
    detail = device.store.message(message.id)
    assert detail is not None and detail.body_available
    assert detail.text_body is not None and "Body of Welcome" in detail.text_body
    assert [m.subject for m in device.store.search("Body")]  # bodies are searchable


def test_old_mail_is_headers_only_until_opened(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    sync_server.deliver(alice.account_id, subject="Ancient", date="Mon, 01 Jan 2001 10:00:00 +0000")
    device = device_factory(alice)
    device.sync()
    assert device.engine.prefetch_bodies() == 0
    (old,) = device.store.page(device.mailbox("inbox"))
    detail = device.store.message(old.id)
    assert detail is not None and not detail.body_available  # "not available offline"

    proxy.set_fault(Fault.REFUSE)
    with pytest.raises(OfflineError):
        device.engine.fetch_body(old.id)
    proxy.clear()
    assert device.engine.fetch_body(old.id)
    detail = device.store.message(old.id)
    assert detail is not None and detail.body_available and "Ancient" in (detail.text_body or "")


def test_mail_written_offline_is_delivered_once_after_reconnecting(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice, bob = sync_server.new_user("alice"), sync_server.new_user("bob")
    sender, recipient = device_factory(alice), device_factory(bob)
    sender.sync()
    recipient.sync()

    proxy.set_fault(Fault.REFUSE)
    draft = sender.write_draft("Lunch?", f"{bob.name}@example.org")
    sender.store.queue_send(draft)
    with pytest.raises(OfflineError):
        sender.sync()
    with pytest.raises(OfflineError):
        sender.sync()
    assert [r.state for r in sender.store.pending_mutations()] == [OutboxState.IN_FLIGHT] * 2
    proxy.clear()

    report = sender.sync()
    assert report.pushed == 2 and report.failed == 0
    assert sender.store.pending_mutations() == []

    def delivered() -> bool:
        recipient.sync()
        return "Lunch?" in recipient.subjects("inbox")

    wait_for(delivered, "delivery to the recipient")
    wait_for(lambda: bool(sender.sync()) and "Lunch?" in sender.subjects("sent"), "Sent copy")
    sender.sync()
    recipient.sync()
    assert recipient.subjects("inbox").count("Lunch?") == 1
    assert sender.subjects("sent").count("Lunch?") == 1
    assert sender.store.drafts(sender.account_id) == []  # the server destroyed the sent draft


def test_lost_acknowledgement_is_retried_without_duplicates(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice, bob = sync_server.new_user("alice"), sync_server.new_user("bob")
    sender, recipient = device_factory(alice), device_factory(bob)
    sender.sync()
    draft = sender.write_draft("Exactly once", f"{bob.name}@example.org")
    sender.store.queue_send(draft)

    proxy.set_fault(Fault.CUT_AFTER_REQUEST, times=1)
    with pytest.raises(OfflineError):
        sender.sync()
    assert proxy.stats.faults_injected == 1
    ids_before = [r.mutation_id for r in sender.store.pending_mutations()]
    report = sender.sync()  # same mutation ids again: the server replays its stored results
    assert report.pushed == len(ids_before) == 2

    def delivered() -> bool:
        recipient.sync()
        return "Exactly once" in recipient.subjects("inbox")

    wait_for(delivered, "delivery")
    wait_for(lambda: bool(sender.sync()) and "Exactly once" in sender.subjects("sent"), "Sent")
    assert recipient.subjects("inbox").count("Exactly once") == 1
    assert sender.subjects("sent").count("Exactly once") == 1
    submissions = sender.user.client.get("/v1/submissions").json()["items"]
    assert len(submissions) == 1 and submissions[0]["state"] == "sent"


def test_a_send_the_server_gives_up_on_shows_as_failed_with_its_reason(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    device = device_factory(alice)
    device.sync()
    draft = device.write_draft("To nowhere", "nobody-at-all@example.org")
    device.store.queue_send(draft)
    assert device.sync().pushed == 2

    def failed() -> bool:
        device.sync()
        return any(r.state == OutboxState.FAILED for r in device.store.pending_mutations())

    wait_for(failed, "the server to give up on the send")
    (row,) = device.store.pending_mutations()
    assert row.type == "submission.create"
    assert row.last_error is not None and row.last_error.startswith("sending failed:")
    assert device.store.draft(draft) is not None  # kept, so the user can fix it and resend


def test_flush_only_pushes_without_pulling(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    email_id = sync_server.deliver(alice.account_id, subject="Flush me")
    device = device_factory(alice)
    device.sync()
    device.store.mark_read([email_id])
    device.store.set_flagged([email_id])
    requests_before = len(proxy.stats.paths)

    report = device.engine.flush_only()

    assert report.pushed == 1  # both keyword changes of one message fold into one patch
    assert device.store.pending_mutations() == []
    assert proxy.stats.paths[requests_before:] == ["/v1/sync"]
    server_keywords = alice.client.get(f"/v1/messages/{email_id}").json()["keywords"]
    assert {"$seen", "$flagged"} <= set(server_keywords)

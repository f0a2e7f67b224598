"""A pull that lands between two local actions on one record must not let the fold drop them.

Each test: device B changes a record and syncs; device A acts on the same record, pulls B's
change, acts again, then syncs. In the end A must show what the server has, and either A's
last action won or A shows a conflict; never a silent difference with an empty outbox.
"""

from __future__ import annotations

from typing import Any

import pytest

from mailapp.store import DraftInput, OutboxState
from mailapp.store.replica import apply_changes
from mailapp.sync.errors import OfflineError
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import Device, DeviceFactory


def pull(device: Device) -> None:
    """Apply the change feed only (what a cycle does after its push, while the user acts)."""
    state = device.store.sync_state(device.account_id)[0]
    for _ in range(100):
        changes = device.client.changes(state, 1000)
        apply_changes(device.store, device.account_id, changes)
        state = changes.new_state
        if not changes.has_more:
            return
    raise AssertionError("the change feed did not end")


def _pair(server: RunningServer, device_factory: DeviceFactory) -> tuple[Device, Device, str]:
    alice = server.new_user("alice")
    email_id = server.deliver(alice.account_id, subject="Shared")
    a, b = device_factory(alice, "a"), device_factory(alice, "b")
    a.sync()
    b.sync()
    return a, b, email_id


def _server_email(device: Device, email_id: str) -> dict[str, Any]:
    record: dict[str, Any] = device.user.client.get(f"/v1/messages/{email_id}").json()
    return record


def _local_email(device: Device, email_id: str) -> tuple[str, bool]:
    detail = device.store.message(email_id)
    assert detail is not None
    return detail.summary.mailbox_id, detail.summary.is_read


def _unsent(device: Device) -> list[Any]:
    return [
        row
        for row in device.store.pending_mutations()
        if row.state in (OutboxState.PENDING, OutboxState.IN_FLIGHT)
    ]


def test_read_then_unread_with_the_other_devices_read_pulled_in_between(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    a, b, email_id = _pair(sync_server, device_factory)
    b.store.mark_read([email_id])
    b.sync()

    a.store.mark_read([email_id])
    pull(a)  # B's read arrives: the server base is now "read"
    a.store.mark_read([email_id], read=False)
    assert _local_email(a, email_id)[1] is False
    a.sync()
    b.sync()

    # A's last action (unread, made while A knew the server said read) reaches the server.
    assert "$seen" not in _server_email(a, email_id)["keywords"]
    assert _local_email(a, email_id)[1] is False
    assert _local_email(b, email_id)[1] is False
    assert _unsent(a) == [] and a.store.open_conflicts() == []


def test_move_to_junk_and_back_with_the_other_devices_move_pulled_in_between(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    a, b, email_id = _pair(sync_server, device_factory)
    inbox, junk = a.mailbox("inbox"), a.mailbox("junk")
    b.store.move([email_id], b.mailbox("junk"))
    b.sync()

    a.store.move([email_id], junk)
    pull(a)  # B's move to junk arrives
    a.store.move([email_id], inbox)
    a.sync()
    b.sync()

    assert _server_email(a, email_id)["mailboxId"] == inbox
    assert _local_email(a, email_id)[0] == inbox
    assert _local_email(b, email_id)[0] == inbox
    assert _unsent(a) == [] and a.store.open_conflicts() == []


def test_draft_edited_and_edited_back_with_the_other_devices_edit_pulled_in_between(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    a, b = device_factory(alice, "a"), device_factory(alice, "b")
    draft_id = a.store.save_draft(DraftInput(None, a.account_id, subject="Plan", body="v0"))
    a.sync()
    b.sync()

    def edit(device: Device, body: str) -> None:
        device.store.save_draft(DraftInput(draft_id, device.account_id, subject="Plan", body=body))

    edit(a, "v1")
    edit(b, "from B")
    b.sync()
    pull(a)  # B's body arrives; A still shows its own unsent "v1"
    edit(a, "v0")
    a.sync()

    server_body = alice.client.get(f"/v1/drafts/{draft_id}").json()["body"]
    local = a.store.draft(draft_id)
    assert local is not None
    # B's text and A's text both exist; the user must be asked, and A must show the server's
    # version meanwhile, not a silently different one.
    assert local.body == server_body
    conflicts = a.store.open_conflicts()
    assert conflicts, "A's edits differ from the server and no conflict is shown"
    assert {c.record_id for c in conflicts} == {draft_id}
    assert server_body == "from B"
    assert any(c.local.get("body") == "v0" for c in conflicts)  # A's last text is kept
    assert _unsent(a) == []


def test_a_lost_answer_replayed_after_a_pull_leaves_no_stale_view(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    # A marks read and renames a draft; the server applies both but the answer is lost. B then
    # changes both back on the server, A pulls B's changes, and A's resend is answered from the
    # server's stored results. No page brings the records again: A must not keep showing its
    # own, since superseded, values.
    a, b, email_id = _pair(sync_server, device_factory)
    draft_id = a.store.save_draft(DraftInput(None, a.account_id, subject="v0", body="text"))
    a.sync()
    b.sync()

    a.store.mark_read([email_id])
    a.store.save_draft(DraftInput(draft_id, a.account_id, subject="v1", body="text"))
    proxy.set_fault(Fault.CUT_AFTER_REQUEST, times=1)
    with pytest.raises(OfflineError):
        a.sync()
    b.sync()
    b.store.mark_read([email_id], read=False)
    b.store.save_draft(DraftInput(draft_id, b.account_id, subject="from B", body="text"))
    b.sync()
    pull(a)
    a.sync()

    assert "$seen" not in _server_email(a, email_id)["keywords"]
    assert _local_email(a, email_id)[1] is False
    assert a.user.client.get(f"/v1/drafts/{draft_id}").json()["subject"] == "from B"
    draft = a.store.draft(draft_id)
    assert draft is not None and draft.subject == "from B"
    assert _unsent(a) == [] and a.store.open_conflicts() == []


@pytest.mark.parametrize("batch_size", [1000, 1])
def test_actions_made_on_top_of_an_unanswered_one_are_not_folded_away(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    proxy: FaultProxy,
    batch_size: int,
) -> None:
    # A's read reaches the server but its answer is lost. B marks the message unread; A pulls
    # that, yet still shows read (its read is unanswered), and the user marks it unread and
    # read again. The server must end read, as A shows: folding A's last two actions into
    # nothing would leave B's unread, since the server does not apply A's first read twice.
    a, b, email_id = _pair(sync_server, device_factory)
    a.engine.batch_size = batch_size  # 1: the two actions go out after the first is answered
    a.store.mark_read([email_id])
    proxy.set_fault(Fault.CUT_AFTER_REQUEST, times=1)
    with pytest.raises(OfflineError):
        a.sync()
    b.sync()
    b.store.mark_read([email_id], read=False)
    b.sync()
    pull(a)
    assert _local_email(a, email_id)[1] is True
    a.store.mark_read([email_id], read=False)
    a.store.mark_read([email_id])
    a.sync()

    assert "$seen" in _server_email(a, email_id)["keywords"]
    assert _local_email(a, email_id)[1] is True
    b.sync()
    assert _local_email(b, email_id)[1] is True
    assert _unsent(a) == []


def test_discarding_a_queued_action_after_a_pull_shows_the_servers_values(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    # A moves and flags a message; B's move to the archive and B's flag arrive; the user then
    # discards A's queued changes in the Outbox. A must show what the server has (archive,
    # flagged), not the values from before A's changes, with nothing left to send.
    from mailapp.store.outbox_admin import discard

    a, b, email_id = _pair(sync_server, device_factory)
    a.store.move([email_id], a.mailbox("junk"))
    a.store.set_flagged([email_id])
    b.store.move([email_id], b.mailbox("archive"))
    b.store.set_flagged([email_id])
    b.sync()
    pull(a)
    discard(a.store, [row.mutation_id for row in _unsent(a)])
    a.sync()

    server = _server_email(a, email_id)
    assert server["mailboxId"] == a.mailbox("archive") and "$flagged" in server["keywords"]
    detail = a.store.message(email_id)
    assert detail is not None
    assert detail.summary.mailbox_id == a.mailbox("archive") and detail.summary.is_flagged
    assert _unsent(a) == [] and a.store.open_conflicts() == []

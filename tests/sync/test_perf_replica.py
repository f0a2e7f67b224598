"""Against the real server: a bulk push with a refusal, null draft fields, the feed read ahead."""

from __future__ import annotations

import threading
import uuid

import pytest

from mailapp import wire
from mailapp.core.addresses import Address
from mailapp.store import DraftInput, OutboxState
from mailapp.sync.errors import OfflineError
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import DeviceFactory


def test_many_flags_flush_in_one_round_trip_and_a_refused_one_falls_back(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    for n in range(30):
        sync_server.deliver(alice.account_id, subject=f"Note {n}")
    laptop, phone = device_factory(alice, "laptop"), device_factory(alice, "phone")
    laptop.sync()
    phone.sync()
    inbox = laptop.mailbox("inbox")
    ids = [m.id for m in laptop.store.page(inbox, limit=100)]
    # The phone moves one message to the trash; the laptop, not yet knowing, flags them all
    # and also moves that one elsewhere: that move conflicts, the flags go through.
    moved = ids[0]
    phone.store.move([moved], phone.mailbox("trash"))
    phone.sync()
    laptop.store.set_flagged(ids)
    laptop.store.move([moved], laptop.mailbox("archive"))
    before = proxy.stats.requests

    report = laptop.engine.flush_only()

    assert proxy.stats.requests - before == 1
    assert report.pushed == 30 and report.conflicts == 1
    flagged = {m.id for m in laptop.store.page(inbox, limit=100) if m.is_flagged}
    assert flagged == set(ids) - {moved}
    # The refused move falls back to where the server has the message.
    assert [m.id for m in laptop.store.page(laptop.mailbox("trash"))] == [moved]
    states = [m.state for m in laptop.store.pending_mutations()]
    assert OutboxState.PENDING not in states and OutboxState.IN_FLIGHT not in states
    assert laptop.store.open_conflicts()[0].record_id == moved


def test_editing_a_draft_whose_fields_are_null_on_the_server_is_not_a_conflict(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    draft_id = str(uuid.uuid4())
    # Another program saved a draft with only a body: subject, recipients and the rest are null.
    made = alice.client.put(
        f"/v1/drafts/{draft_id}", json={"body": "Notes so far"}, headers={"If-None-Match": "*"}
    )
    assert made.status_code == 201 and made.json()["subject"] is None
    laptop = device_factory(alice, "laptop")
    laptop.sync()
    shown = laptop.store.draft(draft_id)
    assert shown is not None and shown.subject == "" and shown.to == []

    laptop.store.save_draft(
        DraftInput(
            draft_id,
            laptop.account_id,
            subject="Trip plans",
            to=[Address(None, "bob@example.org")],
            body="Notes so far, and more",
        )
    )
    report = laptop.sync()

    assert report.conflicts == 0 and laptop.store.open_conflicts() == []
    server = alice.client.get(f"/v1/drafts/{draft_id}").json()
    assert server["subject"] == "Trip plans"
    assert [a["email"] for a in server["to"]] == ["bob@example.org"]
    assert server["body"] == "Notes so far, and more"
    assert server["cc"] is None  # untouched fields stay null on the server


def test_a_page_fetched_ahead_failing_keeps_the_pages_already_applied(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    for n in range(12):
        sync_server.deliver(alice.account_id, subject=f"Report {n:02d}")
    laptop = device_factory(alice, "laptop")
    laptop.engine.page_size = 10  # the mailboxes and a few messages, then the rest
    asked: list[str | None] = []
    pages: list[wire.Changes] = []
    fetch = laptop.client.changes_text

    def changes_text(since: str | None, limit: int) -> bytes:
        asked.append(since)
        if len(asked) == 2:
            proxy.set_fault(Fault.REFUSE)  # the connection drops when the 2nd page is asked for
        body = fetch(since, limit)
        pages.append(laptop.client.parse_changes(body))
        return body

    laptop.client.changes_text = changes_text  # type: ignore[method-assign]

    with pytest.raises(OfflineError):
        laptop.engine.run_cycle(prefetch=False)

    # The first page arrived before the network went away: it is applied, with its state,
    # so the next sync continues from there instead of starting over.
    first = sorted(email.subject for email in pages[0].emails.created)
    assert len(pages) == 1 and first and pages[0].has_more
    assert laptop.subjects("inbox") == first
    state = laptop.store.sync_state(laptop.account_id)[0]
    assert state == pages[0].new_state == asked[1]
    proxy.clear()
    laptop.engine.run_cycle(prefetch=False)
    assert laptop.subjects("inbox") == [f"Report {n:02d}" for n in range(12)]
    assert asked[2] == state


def test_pages_read_ahead_are_parsed_on_the_syncing_thread_not_the_helper(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    """The helper thread that reads the next page ahead only waits for its bytes: parsing there
    made it a third thread wanting the GIL beside the sync and UI threads (issue 11)."""
    alice = sync_server.new_user("alice")
    for n in range(25):
        sync_server.deliver(alice.account_id, subject=f"Page {n:02d}")
    laptop = device_factory(alice, "laptop")
    laptop.engine.page_size = 5
    fetched_on: list[str] = []
    parsed_on: list[str] = []
    fetch, parse = laptop.client.changes_text, laptop.client.parse_changes

    def changes_text(since: str | None, limit: int) -> bytes:
        fetched_on.append(threading.current_thread().name)
        return fetch(since, limit)

    def parse_changes(body: bytes) -> wire.Changes:
        parsed_on.append(threading.current_thread().name)
        return parse(body)

    laptop.client.changes_text = changes_text  # type: ignore[method-assign]
    laptop.client.parse_changes = parse_changes  # type: ignore[method-assign]
    laptop.engine.run_cycle(prefetch=False)

    here = threading.current_thread().name
    assert len(parsed_on) == len(fetched_on) > 5
    assert any(name.startswith("mailapp-feed") for name in fetched_on)  # read ahead...
    assert set(parsed_on) == {here}  # ...but parsed where the pages are applied
    assert laptop.subjects("inbox") == [f"Page {n:02d}" for n in range(25)]

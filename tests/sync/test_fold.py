"""Folding the queue: fewer mutations on the wire, the same end result, sent ids untouched."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.store import DraftInput, OutboxState
from mailapp.store.fold import Queued, plan_fold
from mailapp.store.replica_take import take_batch
from mailapp.sync.errors import OfflineError
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import DeviceFactory


def _apply_keywords(state: set[str], args: dict[str, list[str]]) -> set[str]:
    return (state - set(args["remove"])) | set(args["add"])


@settings(max_examples=60, deadline=None)
@given(
    start=st.frozensets(st.sampled_from(["$seen", "$flagged", "work"])),
    toggles=st.lists(st.sampled_from(["$seen", "$flagged", "work"]), min_size=1, max_size=12),
)
def test_a_folded_keyword_chain_ends_where_the_whole_chain_ends(
    start: frozenset[str], toggles: list[str]
) -> None:
    # The store queues a change only when it flips the local state; replay that here.
    state, queue = set(start), []
    for n, keyword in enumerate(toggles, start=1):
        args = {"emailId": "e1", "add": [], "remove": []}
        args["remove" if keyword in state else "add"].append(keyword)
        state = _apply_keywords(state, args)
        queue.append(Queued(n, "email.keywords", args))
    plan = plan_fold(queue)
    kept = [q for q in queue if q.mutation_id not in plan.drop]
    assert len(kept) <= 1
    folded = set(start)
    for item in kept:
        folded = _apply_keywords(folded, plan.rewrite.get(item.mutation_id, item.args))
    assert folded == state
    # Whatever is kept is the newest id, so nothing jumps ahead of later work.
    assert all(item.mutation_id == len(queue) for item in kept)


def test_moves_chain_from_the_first_old_to_the_last_new() -> None:
    queue = [
        Queued(1, "email.move", {"emailId": "e", "mailboxId": {"old": "inbox", "new": "a"}}),
        Queued(2, "mailbox.create", {"mailboxId": "b", "name": "B"}),
        Queued(3, "email.move", {"emailId": "e", "mailboxId": {"old": "a", "new": "b"}}),
        Queued(4, "email.move", {"emailId": "x", "mailboxId": {"old": "inbox", "new": "a"}}),
    ]
    plan = plan_fold(queue)
    assert plan.drop == {1}
    assert plan.rewrite == {3: {"emailId": "e", "mailboxId": {"old": "inbox", "new": "b"}}}
    back = plan_fold(
        [
            Queued(1, "email.move", {"emailId": "e", "mailboxId": {"old": "inbox", "new": "a"}}),
            Queued(2, "email.move", {"emailId": "e", "mailboxId": {"old": "a", "new": "inbox"}}),
        ]
    )
    assert back.drop == {1, 2}


def test_draft_saves_fold_but_never_across_sending_it() -> None:
    def save(n: int, subject_old: str | None, subject_new: str) -> Queued:
        fields = {"subject": {"old": subject_old, "new": subject_new}}
        return Queued(n, "draft.upsert", {"draftId": "d", "fields": fields})

    queue = [
        save(1, None, "a"),
        save(2, "a", "ab"),
        save(3, "ab", "abc"),
        Queued(4, "submission.create", {"submissionId": "s", "draftId": "d"}),
        save(5, "abc", "abcd"),
        save(6, "abcd", "abcde"),
    ]
    plan = plan_fold(queue)
    assert plan.drop == {1, 2, 5}
    assert plan.rewrite[3]["fields"] == {"subject": {"old": None, "new": "abc"}}
    assert plan.rewrite[6]["fields"] == {"subject": {"old": "abc", "new": "abcde"}}


def test_ten_saves_go_out_as_one_and_sent_mutations_keep_their_ids(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    alice = sync_server.new_user("alice")
    device = device_factory(alice)
    device.sync()
    email_id = sync_server.deliver(alice.account_id, subject="Note")
    device.sync()

    device.store.mark_read([email_id])  # sent once, answer lost: must go out unchanged again
    proxy.set_fault(Fault.CUT_AFTER_REQUEST, times=1)
    with pytest.raises(OfflineError):
        device.sync()
    (in_flight,) = device.store.pending_mutations()
    assert in_flight.state == OutboxState.IN_FLIGHT

    draft_id = None
    for n in range(10):
        draft_id = device.store.save_draft(
            DraftInput(draft_id, device.account_id, subject=f"Draft v{n}", body="x" * n)
        )
    device.store.mark_read([email_id], read=False)
    device.store.mark_read([email_id], read=True)  # unread then read again: cancels out
    assert len(device.store.pending_mutations()) == 13

    batch = take_batch(device.store, device.account_id, 500)
    assert batch[0].mutation_id == in_flight.mutation_id
    assert batch[0].payload == in_flight.payload
    assert [row.type for row in batch] == ["email.keywords", "draft.upsert"]
    assert batch[1].args["fields"]["subject"] == {"old": None, "new": "Draft v9"}

    report = device.sync()
    assert report.pushed == 2 and report.failed == 0
    server_draft = alice.client.get(f"/v1/drafts/{draft_id}").json()
    assert server_draft["subject"] == "Draft v9" and server_draft["body"] == "x" * 9
    (summary,) = device.store.page(device.mailbox("inbox"))
    assert summary.is_read

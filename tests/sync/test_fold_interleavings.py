"""Random interleavings on one message and one draft: device A's actions, device B's changes
pulled in between, and A's flushes that fold the queue (some lost on the way). After a full
sync A equals the server or shows a conflict; and what A did last, knowing the server's value,
is what the server has, unless that became a conflict."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from mailapp.store import DraftInput
from mailapp.sync.errors import SyncError
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import Device, DeviceFactory
from tests.sync.test_fold_pull import pull

# Keywords and the mailbox are toggled (an action that always changes something); the draft's
# fields take one of a few texts, B's texts partly differ from A's.
TOGGLES = ("$seen", "$flagged", "mailbox")
TEXTS = {"a": ("v0", "v1"), "b": ("v1", "from B")}


def _edits(device: str, names: tuple[str, ...]) -> st.SearchStrategy[tuple[str, str]]:
    options = [st.tuples(st.just(n), st.just("")) for n in names if n in TOGGLES]
    options += [
        st.tuples(st.just(n), st.sampled_from(TEXTS[device]))
        for n in names
        if n in ("subject", "body")
    ]
    return st.one_of(*options)


FIELDS = ("$seen", "$flagged", "mailbox", "subject", "body")
FLUSHES = [Fault.NONE, Fault.REFUSE, Fault.CUT_AFTER_REQUEST]


def _round(name: str) -> st.SearchStrategy[list[tuple[str, Any]]]:
    """B maybe changes ``name``; A acts, maybe pulls, acts again, maybe flushes.

    Any interleaving is a sequence of such rounds (parts may be empty); the shape makes "A acts,
    B's change is pulled, A acts again on the same field" common instead of rare.
    """
    return st.tuples(
        st.lists(st.tuples(st.just("b"), _edits("b", (name,))), max_size=1),
        st.lists(st.tuples(st.just("a"), _edits("a", (name,))), max_size=2),
        st.lists(st.just(("pull", None)), max_size=1),
        st.lists(st.tuples(st.just("a"), _edits("a", (name,))), max_size=2),
        # A folds and pushes: the answer arrives, never leaves (refused), or is lost (cut).
        st.lists(st.tuples(st.just("flush"), st.sampled_from(FLUSHES)), max_size=1),
    ).map(lambda parts: [step for part in parts for step in part])


def scripts(max_rounds: int) -> st.SearchStrategy[list[tuple[str, Any]]]:
    rounds = st.lists(st.sampled_from(FIELDS).flatmap(_round), min_size=1, max_size=max_rounds)
    return rounds.map(lambda parts: [step for part in parts for step in part])


# The three sequences of issue 9: B's change is pulled between A's action and its undo.
ISSUE_SEQUENCES = [
    [("b", ("$seen", "")), ("a", ("$seen", "")), ("pull", None), ("a", ("$seen", ""))],
    [("b", ("mailbox", "")), ("a", ("mailbox", "")), ("pull", None), ("a", ("mailbox", ""))],
    [("a", ("body", "v1")), ("b", ("body", "from B")), ("pull", None), ("a", ("body", "v0"))],
]


@dataclass
class Intent:
    """Per field: whether A has seen B's last change to it, and A's last value made so."""

    current: dict[str, bool] = field(default_factory=lambda: dict.fromkeys(FIELDS, True))
    wanted: dict[str, Any] = field(default_factory=dict)

    def caught_up(self) -> None:
        self.current = dict.fromkeys(FIELDS, True)

    def a_did(self, name: str, value: Any) -> None:
        if self.current[name]:
            self.wanted[name] = value
        else:
            self.wanted.pop(name, None)

    def b_did(self, name: str) -> None:
        self.current[name] = False
        self.wanted.pop(name, None)


def _act(device: Device, email_id: str, draft_id: str, name: str, text: str) -> Any:
    """Do one edit; returns the value it set (what the user now sees)."""
    store = device.store
    if name in TOGGLES:
        detail = store.message(email_id)
        assert detail is not None
        summary = detail.summary
        if name == "$seen":
            store.mark_read([email_id], read=not summary.is_read)
            return not summary.is_read
        if name == "$flagged":
            store.set_flagged([email_id], flagged=not summary.is_flagged)
            return not summary.is_flagged
        inbox = device.mailbox("inbox")
        target = device.mailbox("junk") if summary.mailbox_id == inbox else inbox
        store.move([email_id], target)
        return target
    row = store.draft(draft_id)
    assert row is not None
    values = {"subject": row.subject, "body": row.body, name: text}
    store.save_draft(DraftInput(draft_id, device.account_id, **values))
    return text


def _server(device: Device, email_id: str, draft_id: str) -> dict[str, Any]:
    email = device.user.client.get(f"/v1/messages/{email_id}").json()
    draft = device.user.client.get(f"/v1/drafts/{draft_id}").json()
    return {
        "$seen": "$seen" in email["keywords"],
        "$flagged": "$flagged" in email["keywords"],
        "mailbox": email["mailboxId"],
        "subject": draft["subject"] or "",
        "body": draft["body"] or "",
    }


def _local(device: Device, email_id: str, draft_id: str) -> dict[str, Any]:
    detail = device.store.message(email_id)
    draft = device.store.draft(draft_id)
    assert detail is not None and draft is not None
    summary = detail.summary
    return {
        "$seen": summary.is_read,
        "$flagged": summary.is_flagged,
        "mailbox": summary.mailbox_id,
        "subject": draft.subject,
        "body": draft.body,
    }


def _conflicted(device: Device) -> set[str]:
    """Fields of the two records that have an open conflict on ``device``."""
    found: set[str] = set()
    for conflict in device.store.open_conflicts():
        if conflict.record_type == "email":
            found.update(("$seen", "$flagged", "mailbox"))
        else:
            found.update(("subject", "body"))
    return found


def _run(
    server: RunningServer, factory: DeviceFactory, proxy: FaultProxy, n: int, script: list[Any]
) -> None:
    note(f"script: {script!r}")
    alice = server.new_user("alice")
    email_id = server.deliver(alice.account_id, subject="One record")
    a = factory(alice, f"a{n}")
    b = factory(alice, f"b{n}", direct_url=server.url)
    draft_id = a.store.save_draft(DraftInput(None, a.account_id, subject="v0", body="v0"))
    a.sync()
    b.sync()
    intent = Intent()
    for kind, arg in script:
        if kind == "a":
            intent.a_did(arg[0], _act(a, email_id, draft_id, *arg))
        elif kind == "b":
            b.sync()
            _act(b, email_id, draft_id, *arg)
            b.sync()
            intent.b_did(arg[0])
        elif kind == "pull":
            pull(a)
            intent.caught_up()
        else:
            if arg is not Fault.NONE:
                proxy.set_fault(arg, 1)
            try:
                a.sync()
                intent.caught_up()
            except SyncError:
                pass
            finally:
                proxy.clear()
    a.sync()
    b.sync()
    a.sync()

    on_server = _server(a, email_id, draft_id)
    conflicted = _conflicted(a)
    local = _local(a, email_id, draft_id)
    for name in FIELDS:
        if name not in conflicted:
            assert local[name] == on_server[name], (name, "A differs from the server silently")
            if name in intent.wanted:
                assert on_server[name] == intent.wanted[name], (name, "A's last action was lost")
    b_local, b_conflicted = _local(b, email_id, draft_id), _conflicted(b)
    for name in FIELDS:
        if name not in b_conflicted:
            assert b_local[name] == on_server[name], (name, "B differs from the server silently")
    unsent = [r for r in a.store.pending_mutations() if r.state.value in ("pending", "in_flight")]
    assert unsent == []


SUPPRESS = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
_examples = itertools.count()


@pytest.mark.slow
@settings(max_examples=4, deadline=None, suppress_health_check=SUPPRESS, derandomize=True)
@given(script=scripts(3))
@example(script=ISSUE_SEQUENCES[0])
@example(script=ISSUE_SEQUENCES[1])
@example(script=ISSUE_SEQUENCES[2])
def test_pulls_between_actions_never_leave_a_device_silently_different(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    proxy: FaultProxy,
    script: list[Any],
) -> None:
    _run(sync_server, device_factory, proxy, next(_examples), script)


@pytest.mark.soak
@settings(
    max_examples=int(os.environ.get("MAILAPP_SOAK_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=SUPPRESS,
)
@given(script=scripts(10))
def test_pulls_between_actions_never_leave_a_device_silently_different_soak(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    proxy: FaultProxy,
    script: list[Any],
) -> None:
    _run(sync_server, device_factory, proxy, next(_examples), script)

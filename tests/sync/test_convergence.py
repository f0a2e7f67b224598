"""Randomised convergence: three clients act offline and online under random faults; in the end
every client equals the server, every mutation is accounted for, and nothing was sent twice."""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.store import OutboxState, open_store
from mailapp.sync.account import add_account, client_for
from mailapp.sync.engine import SyncEngine
from mailapp.sync.errors import SyncError
from tests.server.conftest import RunningServer, User
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import Device, wait_for
from tests.sync.keyring_backend import FileKeyring

ROLES = ("inbox", "archive", "junk", "trash")
FAULTS = (Fault.NONE, Fault.REFUSE, Fault.CUT_AFTER_REQUEST, Fault.HTTP_500, Fault.HTTP_429)

action = st.one_of(
    st.tuples(st.sampled_from(["read", "unread", "flag", "unflag", "delete"]), st.integers(0, 9)),
    st.tuples(st.just("move"), st.tuples(st.integers(0, 9), st.sampled_from(ROLES))),
    st.tuples(st.sampled_from(["draft", "send"]), st.integers(0, 3)),
    st.tuples(st.just("sync"), st.just(0)),
    st.tuples(st.just("fault"), st.sampled_from(FAULTS)),
    st.tuples(st.just("deliver"), st.integers(0, 1)),
)
steps = st.lists(st.tuples(st.integers(0, 2), action), min_size=4, max_size=18)


@dataclass
class World:
    server: RunningServer
    proxies: list[FaultProxy]
    root: Path
    counter: Iterator[int] = field(default_factory=itertools.count)


@pytest.fixture
def world(sync_server: RunningServer, tmp_path: Path, test_keyring: FileKeyring) -> Iterator[World]:
    port = int(sync_server.url.rsplit(":", 1)[1])
    with contextlib.ExitStack() as stack:
        proxies = [stack.enter_context(FaultProxy(port)) for _ in range(3)]
        yield World(sync_server, proxies, tmp_path)


def _device(world: World, user: User, index: int, example: int) -> Device:
    store = open_store(world.root / f"ex{example}" / f"client{index}" / "mail.sqlite3")
    url = world.proxies[index].url
    signed = add_account(store, url, user.name, user.password)
    client = client_for(store, signed.account_id)
    engine = SyncEngine(store, client, signed.account_id, batch_size=3)
    return Device(f"client{index}", store, signed.account_id, user, client, engine)


def _try_sync(device: Device) -> None:
    with contextlib.suppress(SyncError):
        device.sync()


def _server_messages(user: User) -> dict[str, tuple[str, bool, bool]]:
    found: dict[str, tuple[str, bool, bool]] = {}
    for mailbox in user.client.get("/v1/mailboxes").json()["items"]:
        cursor: str | None = None
        for _ in range(100):
            params: dict[str, Any] = {"limit": 500, **({"after": cursor} if cursor else {})}
            page = user.client.get(f"/v1/mailboxes/{mailbox['id']}/messages", params=params).json()
            for m in page["items"]:
                kws = set(m["keywords"])
                found[m["id"]] = (m["mailboxId"], "$seen" in kws, "$flagged" in kws)
            cursor = page["nextCursor"]
            if cursor is None:
                break
    return found


def _local_messages(device: Device) -> dict[str, tuple[str, bool, bool]]:
    found: dict[str, tuple[str, bool, bool]] = {}
    for mailbox in device.store.mailboxes(device.account_id):
        for m in device.store.page(mailbox.id, limit=100_000):
            found[m.id] = (m.mailbox_id, m.is_read, m.is_flagged)
    return found


def _run(world: World, script: list[tuple[int, tuple[str, Any]]]) -> None:
    example = next(world.counter)
    server = world.server
    alice, bob = server.new_user("alice"), server.new_user("bob")
    users = [alice, alice, bob]
    for user in (alice, bob):
        for n in range(3):
            server.deliver(user.account_id, subject=f"seed {n}")
    devices = [_device(world, users[i], i, example) for i in range(3)]
    drafts: dict[tuple[int, int], str] = {}
    sent: set[str] = set()
    try:
        for device in devices:
            device.sync()
        for index, (kind, arg) in script:
            device, proxy = devices[index], world.proxies[index]
            ids = sorted(_local_messages(device))
            if kind in ("read", "unread", "flag", "unflag", "delete") and ids:
                target = [ids[arg % len(ids)]]
                if kind == "delete":
                    device.store.delete(target)
                elif kind in ("read", "unread"):
                    device.store.mark_read(target, read=kind == "read")
                else:
                    device.store.set_flagged(target, flagged=kind == "flag")
            elif kind == "move" and ids:
                number, role = arg
                device.store.move([ids[number % len(ids)]], device.mailbox(role))
            elif kind == "draft":
                draft_id = drafts.get((index, arg))
                if draft_id in sent:
                    continue
                other = bob if users[index] is alice else alice
                subject = f"ex{example} c{index} d{arg} v{next(world.counter)}"
                drafts[(index, arg)] = device.write_draft(subject, f"{other.name}@example.org")
                if draft_id is not None and draft_id != drafts[(index, arg)]:
                    device.store.delete_draft(draft_id)
            elif kind == "send":
                draft_id = drafts.get((index, arg))
                if draft_id is not None and draft_id not in sent:
                    device.store.queue_send(draft_id)
                    sent.add(draft_id)
            elif kind == "sync":
                _try_sync(device)
            elif kind == "fault":
                proxy.clear()
                if arg is not Fault.NONE:
                    proxy.set_fault(arg, None if arg is Fault.REFUSE else 1)
            elif kind == "deliver":
                server.deliver(users[arg * 2].account_id, subject=f"ex{example} late")
        for proxy in world.proxies:
            proxy.clear()
        _settle(devices, alice, bob)
        _check(devices, alice, bob)
    finally:
        for device in devices:
            device.client.close()
            device.store.close()


def _settle(devices: list[Device], alice: User, bob: User) -> None:
    for device in devices:
        device.sync()

    def delivered() -> bool:
        states = [
            s["state"]
            for user in (alice, bob)
            for s in user.client.get("/v1/submissions").json()["items"]
        ]
        return all(state not in ("scheduled", "sending") for state in states)

    wait_for(delivered, "the server to finish delivering")
    for _ in range(2):
        for device in devices:
            device.sync()


def _check(devices: list[Device], alice: User, bob: User) -> None:
    for device in devices:
        assert _local_messages(device) == _server_messages(device.user), device.name
        server_drafts = {
            d["id"]: (d["subject"], d["body"])
            for d in device.user.client.get("/v1/drafts").json()["items"]
        }
        local_drafts = {d.id: (d.subject, d.body) for d in device.store.drafts(device.account_id)}
        assert local_drafts == server_drafts, device.name
        open_conflicts = {c.mutation_id for c in device.store.open_conflicts()}
        for row in device.store.pending_mutations():
            assert row.state in (OutboxState.CONFLICT, OutboxState.FAILED), row
            if row.state == OutboxState.CONFLICT:
                assert row.mutation_id in open_conflicts  # shown to the user
            else:
                assert row.last_error  # the server's reason, for the user
    for user in (alice, bob):
        submissions = user.client.get("/v1/submissions").json()["items"]
        assert len({s["draftId"] for s in submissions}) == len(submissions)
    subjects = [
        m["subject"]
        for user in (alice, bob)
        for mailbox in user.client.get("/v1/mailboxes").json()["items"]
        if mailbox["role"] != "sent"
        for m in user.client.get(f"/v1/mailboxes/{mailbox['id']}/messages").json()["items"]
        if " d" in m["subject"]
    ]
    assert len(subjects) == len(set(subjects)), "a message was delivered twice"


@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
@given(script=steps)
def test_clients_converge_under_random_faults(
    world: World, script: list[tuple[int, tuple[str, Any]]]
) -> None:
    _run(world, script)


@pytest.mark.soak
@settings(
    max_examples=int(os.environ.get("MAILAPP_SOAK_EXAMPLES", "200")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=st.lists(st.tuples(st.integers(0, 2), action), min_size=10, max_size=80))
def test_clients_converge_under_random_faults_soak(
    world: World, script: list[tuple[int, tuple[str, Any]]]
) -> None:
    _run(world, script)

"""A window's big first sync pulls and applies its change feed in a child process of its own
(mailapp.sync.feed_process), against the real server: the window's process applies nothing,
hears of every page, and stopping the sync stops the child."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from mailapp.store import ChangeSet, replica
from mailapp.sync import feed_process
from mailapp.sync.abortable import AbortableSession
from mailapp.sync.account import client_for
from mailapp.sync.engine import SyncEngine
from mailapp.sync.errors import OfflineError
from tests.bench.bench_support import fill_messages
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import Device, DeviceFactory

BIG = feed_process.CHILD_OVER + 500  # messages: a first sync big enough for the child


def window_engine(
    device: Device, session: AbortableSession | None = None, page_size: int = 200
) -> SyncEngine:
    """The engine as the window's sync thread makes it (sync_factories.default_engine)."""
    client = client_for(device.store, device.account_id, session=session)
    return SyncEngine(
        device.store, client, device.account_id, page_size=page_size, feed_in_child=True
    )


def slow_listing(proxy: FaultProxy) -> None:
    """Each feed page 50 ms late: a test that acts on page k (the user's changes on page 1,
    a kill on page 3-12) then finds the child still listing, whatever the machine's load (its
    relay lags the child: a fast child finished a 28-page listing before a busy test's third
    page once)."""
    proxy.latency_path, proxy.latency = "/v1/changes", 0.05


def fast_again(proxy: FaultProxy) -> None:
    proxy.latency, proxy.latency_path = 0.0, None


@pytest.fixture
def applied_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Pages applied by this process (the child's are not: it is another process)."""
    pages: list[int] = []
    apply = replica.apply_changes

    def counting(*args: Any, **kwargs: Any) -> ChangeSet:
        pages.append(1)
        return apply(*args, **kwargs)

    monkeypatch.setattr(replica, "apply_changes", counting)
    return pages


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """The feed children started (real processes), to see whether they are still running."""
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        child = popen(*args, **kwargs)
        started.append(child)
        return child

    monkeypatch.setattr(feed_process.subprocess, "Popen", recording)
    return started


def test_a_big_first_sync_is_applied_by_a_child_and_the_window_hears_of_every_page(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    applied_here: list[int],
    children: list[subprocess.Popen[bytes]],
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device)
    heard: list[ChangeSet] = []
    device.store.subscribe(heard.append)
    progress: list[tuple[int, int]] = []

    report = engine.run_cycle(progress=lambda done, total: progress.append((done, total)))

    inbox = device.mailbox("inbox")
    assert device.store.count(inbox) == BIG
    assert len(children) == 1 and children[0].returncode == 0
    assert applied_here == []  # the window's process applied no page itself
    listed = {m.id for m in device.store.page(inbox, limit=BIG)}
    assert listed <= frozenset().union(*(changes.messages for changes in heard))
    assert len(heard) >= BIG // 200  # page by page, as the views refresh
    assert not any(changes.arrived for changes in heard)  # a first sync announces nothing
    assert report.pulled >= BIG and report.state == device.store.sync_state(device.account_id)[0]
    assert progress and progress[-1][0] == progress[-1][1]

    # Later cycles are small and stay in the sync thread.
    sync_server.deliver(alice.account_id, subject="After the first sync")
    engine.run_cycle(progress=lambda done, total: None, prefetch=False)
    assert "After the first sync" in {m.subject for m in device.store.page(inbox, limit=5)}
    assert len(children) == 1 and applied_here == [1]


def test_a_small_first_sync_stays_in_the_sync_thread(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    applied_here: list[int],
    children: list[subprocess.Popen[bytes]],
) -> None:
    alice = sync_server.new_user("alice")
    sync_server.deliver(alice.account_id, subject="Welcome")
    device = device_factory(alice)

    window_engine(device).run_cycle(progress=lambda done, total: None, prefetch=False)

    assert device.subjects("inbox") == ["Welcome"]
    assert children == [] and applied_here  # a child's start-up would cost more than it saves


def test_stopping_a_first_sync_stops_its_child_and_the_next_sync_finishes_it(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    session = AbortableSession()
    engine = window_engine(device, session)

    with pytest.raises(OfflineError):
        # Work offline (or quit) as the first page arrives.
        engine.run_cycle(progress=lambda done, total: session.abort())

    assert len(children) == 1 and children[0].poll() is not None  # not left running
    inbox = device.mailbox("inbox")
    assert device.store.count(inbox) < BIG
    session.resume()
    engine.run_cycle(progress=lambda done, total: None, prefetch=False)
    assert device.store.count(inbox) == BIG


def test_the_childs_failure_is_the_sync_error_the_window_shows(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    proxy: FaultProxy,
    children: list[subprocess.Popen[bytes]],
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device)
    asked = engine.client.session_info

    def then_offline() -> Any:
        answer = asked()
        proxy.set_fault(Fault.REFUSE)  # the network goes before the child's first request
        return answer

    engine.client.session_info = then_offline  # type: ignore[method-assign]

    with pytest.raises(OfflineError, match="Cannot reach"):
        engine.run_cycle(progress=lambda done, total: None)

    assert len(children) == 1 and children[0].returncode == 1
    assert device.store.count(device.mailbox("inbox")) == 0


def test_the_child_ends_when_the_window_goes(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    """A window that dies (killed, crashed) closes the child's stdin: it stops at once rather
    than writing on into the store behind the next start's back."""
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    command = feed_process.child_command(device.store.path, device.account_id, 200)
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert child.stdin is not None and child.stdout is not None
    child.stdin.write(f"{device.client.base_url}\n{device.client.token}\n".encode())
    child.stdin.close()  # as when its parent is gone

    lines = child.stdout.read().decode().splitlines()
    assert child.wait(timeout=60) == 0
    child.stdout.close()
    assert '{"done": true}' not in lines
    assert device.store.count(device.mailbox("inbox")) < BIG

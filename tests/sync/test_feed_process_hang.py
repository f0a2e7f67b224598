"""A feed child (mailapp.sync.feed_process) that hangs, against the real server: one the server
stopped answering ends on "work offline" or its own timeouts, one silent outside any request is
given up; neither holds the window's sync thread, and the next sync finishes the mailbox."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from mailapp.sync import feed_process
from mailapp.sync.abortable import AbortableSession
from mailapp.sync.errors import OfflineError, SyncError, TransientError
from tests.bench.bench_support import fill_messages
from tests.server.conftest import RunningServer
from tests.support.faultproxy import FaultProxy
from tests.sync.conftest import Device, DeviceFactory, wait_for
from tests.sync.test_feed_process import BIG, window_engine
from tests.sync.test_feed_process_kill import record_children


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    return record_children(monkeypatch)


def _hung_child(
    server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> tuple[Device, AbortableSession, Callable[[int, int], None]]:
    alice = server.new_user("alice")
    fill_messages(server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    session = AbortableSession()
    pages: list[int] = []

    def progress(_done: int, _total: int) -> None:
        pages.append(1)
        if len(pages) == 2:
            # The server stops answering the feed: the child's next request waits on.
            proxy.latency_path, proxy.latency = "/v1/changes", 3600.0

    return device, session, progress


def test_a_child_the_server_stopped_answering_ends_when_the_user_works_offline(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    proxy: FaultProxy,
    children: list[subprocess.Popen[bytes]],
) -> None:
    device, session, hang = _hung_child(sync_server, device_factory, proxy)
    engine = window_engine(device, session)
    requests_before: list[int] = []

    def progress(done: int, total: int) -> None:
        hang(done, total)
        if proxy.latency and not requests_before:
            requests_before.append(len(proxy.stats.paths))

    def offline_when_stuck() -> bool:
        # The child's request for the next page is held at the proxy: the user works offline.
        # (a request counts in `paths` as it arrives, before its latency)
        return bool(requests_before) and len(proxy.stats.paths) > requests_before[0]

    def user() -> None:
        wait_for(offline_when_stuck, "the child's request to hang", timeout=120)
        session.abort()

    clicker = threading.Thread(target=user, daemon=True)
    clicker.start()
    with pytest.raises(OfflineError):
        engine.run_cycle(progress=progress, prefetch=False)
    clicker.join(timeout=30)

    assert len(children) == 1 and children[0].poll() is not None
    proxy.latency = 0.0
    session.resume()
    engine.run_cycle(prefetch=False)
    assert device.store.count(device.mailbox("inbox")) == BIG


@pytest.mark.soak
def test_a_child_the_server_stopped_answering_times_out_by_itself(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    proxy: FaultProxy,
    children: list[subprocess.Popen[bytes]],
) -> None:
    """Nobody clicks anything: the child's read timeout (30 s) ends its request (or the
    connection drops: the proxy's idle upstream is closed by the server), and the window gets
    the error the thread's own request would have raised: offline, retried later."""
    device, session, progress = _hung_child(sync_server, device_factory, proxy)
    engine = window_engine(device, session)

    with pytest.raises(SyncError) as raised:
        engine.run_cycle(progress=progress, prefetch=False)

    assert isinstance(raised.value, (OfflineError, TransientError)), raised.value
    assert len(children) == 1 and children[0].returncode == 1
    proxy.latency = 0.0
    engine.run_cycle(prefetch=False)
    assert device.store.count(device.mailbox("inbox")) == BIG


def test_a_child_that_stops_saying_anything_is_given_up_and_the_next_sync_finishes(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A child frozen outside any request (stopped, stuck on a lock, a bug) has no client
    timeout to end it: the window's sync thread must not wait on its pipe forever (the
    account would never sync again until a restart, its spinner turning)."""
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    session = AbortableSession()
    engine = window_engine(device, session)
    pages: list[int] = []

    def progress(_done: int, _total: int) -> None:
        pages.append(1)
        if len(pages) == 2:
            os.kill(children[0].pid, signal.SIGSTOP)
            # Give up on silence sooner than the real limit (a request's whole deadline).
            monkeypatch.setattr(feed_process, "SILENT_S", 1.0)

    raised: list[BaseException] = []

    def cycle() -> None:
        try:
            engine.run_cycle(progress=progress, prefetch=False)
        except BaseException as exc:  # handed to the test thread
            raised.append(exc)

    sync_thread = threading.Thread(target=cycle, daemon=True)
    sync_thread.start()
    sync_thread.join(timeout=120)  # bounded: without a limit it would wait forever
    hung = sync_thread.is_alive()
    if hung:
        session.abort()  # clean up the stuck cycle
        sync_thread.join(timeout=30)
    assert not hung, "the sync thread still waits on a silent child"
    assert len(raised) == 1 and isinstance(raised[0], TransientError), raised
    assert children[0].poll() is not None  # killed, not left stopped

    monkeypatch.setattr(feed_process, "SILENT_S", 10_000.0)
    engine.run_cycle(prefetch=False)
    assert device.store.count(device.mailbox("inbox")) == BIG


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_the_child_runs_at_the_windows_priority(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
) -> None:
    """The child holds the store's write lock while it applies a page, and the window's UI
    thread waits for that lock when it writes (a message marked read as it opens). A child at
    a lower priority (it ran at nice 10) is preempted holding the lock by whatever else runs:
    with one busy process on its CPU the window's writes waited up to 1.2-1.5 s (0.24 s at the
    window's priority), and past the store's busy timeout (5 s) they fail."""
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    niceness: list[int] = []

    def progress(_done: int, _total: int) -> None:
        if not niceness:
            stat = Path(f"/proc/{children[0].pid}/stat").read_text()
            niceness.append(int(stat.rsplit(")", 1)[1].split()[16]))

    window_engine(device).run_cycle(progress=progress, prefetch=False)

    assert niceness == [os.getpriority(os.PRIO_PROCESS, 0)]

"""The sync after a big first sync was cut off (its child killed) while the user had queued
changes in the window: it finishes the first sync as one (nothing announced as new mail, with
progress, in a child when the rest is big), then pushes what the user did, once."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from mailapp.store import ChangeSet
from mailapp.sync.errors import TransientError
from tests.bench.bench_support import fill_messages
from tests.server.conftest import RunningServer
from tests.support.faultproxy import FaultProxy
from tests.sync.conftest import DeviceFactory
from tests.sync.test_feed_process import BIG, fast_again, slow_listing, window_engine
from tests.sync.test_feed_process_kill import Queued, record_children, server_has_everything_once


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    return record_children(monkeypatch)


@pytest.mark.parametrize("closed", [False, True], ids=["restarted", "closed-then-restarted"])
def test_the_rest_of_a_killed_first_sync_is_a_first_sync_though_changes_were_queued(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
    proxy: FaultProxy,
    closed: bool,
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device, page_size=50)
    queued = Queued(sync_server.new_user("bob"))
    pages: list[int] = []

    def progress(_done: int, _total: int) -> None:
        pages.append(1)
        if len(pages) == 1:
            queued.do(device, alice)  # the user reads, flags, moves, writes
        elif len(pages) == 3:
            os.kill(children[0].pid, signal.SIGKILL)

    slow_listing(proxy)
    with pytest.raises(TransientError):
        engine.run_cycle(progress=progress, prefetch=False)
    fast_again(proxy)
    if closed:
        # The window closed then: its last flush pushes the queue from the cut-off state.
        engine.flush_only()
    heard: list[ChangeSet] = []
    device.store.subscribe(heard.append)
    shown: list[tuple[int, int]] = []

    # The window's next sync (with its progress bar), e.g. after a restart.
    engine.run_cycle(progress=lambda done, total: shown.append((done, total)), prefetch=False)

    assert device.store.count(device.mailbox("inbox")) == BIG - 1
    # The old mail the rest of the first sync brought is not announced as new (pushed first,
    # the push's answer brought a page of it, announced), and it shows its progress.
    assert not [c.arrived for c in heard if c.arrived]
    assert shown and shown[-1][0] == shown[-1][1]
    assert device.store.pending_mutations() == []
    queued.assert_local(device)
    server_has_everything_once(sync_server, alice, device, queued)

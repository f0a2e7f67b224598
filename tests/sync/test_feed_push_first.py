"""What the user queued during a big first sync goes to the server first, not after the rest of
the mailbox: a first sync cut off midway (its child killed), then the next cycle pushes before
it lists the rest (with progress, nothing announced; in a child when the rest is big)."""

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


def test_what_the_user_did_reaches_the_server_before_the_rest_of_a_cut_off_first_sync(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
    proxy: FaultProxy,
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device, page_size=50)
    queued = Queued(sync_server.new_user("bob"))  # the user also sends bob a mail
    pages: list[int] = []

    def progress(_done: int, _total: int) -> None:
        pages.append(1)
        if len(pages) == 1:
            queued.do(device, alice)  # the user reads, flags, moves, writes, sends
        elif len(pages) == 3:
            os.kill(children[0].pid, signal.SIGKILL)

    slow_listing(proxy)
    with pytest.raises(TransientError):
        engine.run_cycle(progress=progress, prefetch=False)
    fast_again(proxy)
    heard: list[ChangeSet] = []
    device.store.subscribe(heard.append)
    on_server_during_the_rest: list[bool] = []

    def rest(done: int, total: int) -> None:
        if not on_server_during_the_rest:
            server_has_everything_once(sync_server, alice, device, queued)
            on_server_during_the_rest.append(True)

    engine.run_cycle(progress=rest, prefetch=False)

    assert on_server_during_the_rest == [True]  # pushed before the listing went on
    assert device.store.count(device.mailbox("inbox")) == BIG - 1
    assert not [c.arrived for c in heard if c.arrived]  # old mail is not announced as new
    assert device.store.pending_mutations() == []
    queued.assert_local(device)
    server_has_everything_once(sync_server, alice, device, queued)

"""The feed child (mailapp.sync.feed_process) when things go wrong around it, against the real
server: the window's own changes made during the child's sync, a revoked sign-in, a child that
cannot run at all."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from mailapp.server.auth import revoke_all_tokens
from mailapp.server.db import session_scope
from mailapp.store import ChangeSet, open_store
from mailapp.sync import feed_process
from mailapp.sync.abortable import AbortableSession
from mailapp.sync.engine import SyncEngine
from mailapp.sync.errors import AuthError, OfflineError, TransientError
from tests.bench.bench_support import fill_messages
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import DeviceFactory
from tests.sync.test_feed_process import BIG, window_engine


def test_local_changes_made_during_the_childs_sync_are_kept_and_pushed(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device)
    ui = open_store(device.store.path)  # the window's own store, beside the sync thread's
    done: list[str] = []

    def progress(_done: int, _total: int) -> None:
        # The child has applied its first page: the user reads and flags what has arrived.
        if done:
            return
        inbox = device.mailbox("inbox")
        first = ui.page(inbox, limit=3)
        ui.mark_read([first[0].id])
        ui.set_flagged([first[1].id])
        done.extend([first[0].id, first[1].id])

    engine.run_cycle(progress=progress, prefetch=False)
    ui.close()
    read_id, flagged_id = done
    listed = {m.id: m for m in device.store.page(device.mailbox("inbox"), limit=BIG + 10)}
    assert listed[read_id].is_read and listed[flagged_id].is_flagged  # the child's pages kept them
    engine.run_cycle(prefetch=False)  # pushes them
    other = device_factory(alice, "other")
    SyncEngine(other.store, other.client, other.account_id, page_size=2000).run_cycle(
        prefetch=False
    )
    there = {m.id: m for m in other.store.page(other.mailbox("inbox"), limit=BIG + 10)}
    assert there[read_id].is_read and there[flagged_id].is_flagged


def test_a_401_in_the_child_is_an_auth_error(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device)
    asked = engine.client.session_info

    def then_revoked() -> Any:
        answer = asked()
        with session_scope(sync_server.engine) as session:
            revoke_all_tokens(session, alice.account_id)
        return answer

    engine.client.session_info = then_revoked  # type: ignore[method-assign]

    # The window asks the user to sign in again (an AuthError), not "try again later".
    with pytest.raises(AuthError):
        engine.run_cycle(progress=lambda done, total: None)


def test_a_child_that_cannot_run_leaves_the_first_sync_to_the_sync_thread(
    sync_server: RunningServer, device_factory: DeviceFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that ends without a word (an interpreter or bundle that cannot run
    `mailapp sync`, a crash while importing) must not leave the account unsynced for good:
    every cycle would start it again, and fail again."""
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device)

    def broken(store_path: Path, account_id: str, page_size: int) -> list[str]:
        return [sys.executable, "-c", "import sys; sys.exit(1)"]

    monkeypatch.setattr(feed_process, "child_command", broken)

    engine.run_cycle(progress=lambda done, total: None, prefetch=False)

    assert device.store.count(device.mailbox("inbox")) == BIG


def test_a_busy_server_s_retry_after_reaches_the_window_from_the_child(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    """A 429 or 503 with Retry-After answered to the child: the window's scheduler must wait
    that long before the next try, as it does for the thread's own requests, rather than
    start a new child (and its requests) on its own shorter back-off."""
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device)
    asked = engine.client.session_info
    proxy.retry_after = 120

    def then_busy() -> Any:
        answer = asked()
        proxy.set_fault(Fault.HTTP_429)  # the server is busy by the child's first request
        return answer

    engine.client.session_info = then_busy  # type: ignore[method-assign]

    with pytest.raises(TransientError) as raised:
        engine.run_cycle(progress=lambda done, total: None)

    assert raised.value.retry_after == 120


def test_a_write_of_the_window_as_the_child_starts_is_waited_for(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    """The window writes the store (a user's action, another account's page) for a few
    seconds just as the child opens it: the sync thread would have waited that out, so the
    child does too, rather than fail with "in use by another program"."""
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device)
    asked = engine.client.session_info
    held = threading.Event()

    def hold_the_write_lock() -> None:
        conn = sqlite3.connect(device.store.path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(2.5)  # longer than open_store's 1 s, shorter than a write's 5 s wait
        conn.execute("ROLLBACK")
        conn.close()

    def then_locked() -> Any:
        answer = asked()
        threading.Thread(target=hold_the_write_lock, daemon=True).start()
        assert held.wait(10)
        return answer

    engine.client.session_info = then_locked  # type: ignore[method-assign]

    engine.run_cycle(progress=lambda done, total: None, prefetch=False)

    assert device.store.count(device.mailbox("inbox")) == BIG


def test_a_first_sync_cut_off_goes_on_in_a_child_and_announces_nothing(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Work offline, a restart or a network failure in the middle of a big first sync: the rest
    of the mailbox is not new mail (no "5,300 new messages" notice), and it is applied by a
    child with a progress bar, as the start was, not in the window's sync thread."""
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    session = AbortableSession()
    engine = window_engine(device, session)
    with pytest.raises(OfflineError):
        engine.run_cycle(progress=lambda done, total: session.abort())  # as page 1 arrives
    session.resume()
    started: list[list[str]] = []
    popen = subprocess.Popen

    def recording(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(command)
        return popen(command, **kwargs)

    monkeypatch.setattr(feed_process.subprocess, "Popen", recording)
    heard: list[ChangeSet] = []
    device.store.subscribe(heard.append)
    progress: list[tuple[int, int]] = []

    engine.run_cycle(progress=lambda done, total: progress.append((done, total)), prefetch=False)

    assert device.store.count(device.mailbox("inbox")) == BIG
    assert not any(changes.arrived for changes in heard)
    assert len(started) == 1
    assert progress and progress[-1][0] == progress[-1][1]


def test_a_first_sync_cut_off_with_changes_queued_still_goes_on_in_a_child(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The user flagged a message of a big first sync that was then cut off: the next cycle
    pushes the flag first, and the push's answer must not take the rest of the first sync
    over (in the sync thread, without progress), but leave it to the pull and its child."""
    alice = sync_server.new_user("alice")
    # Big enough that what is left after the push's answer (a page of 1,000) is still big.
    many = feed_process.CHILD_OVER + 2000
    fill_messages(sync_server.settings.database_url, alice.account_id, many)
    device = device_factory(alice)
    session = AbortableSession()
    engine = window_engine(device, session)
    with pytest.raises(OfflineError):
        engine.run_cycle(progress=lambda done, total: session.abort())  # as page 1 arrives
    session.resume()
    inbox = device.mailbox("inbox")
    flagged = device.store.page(inbox, limit=1)[0].id
    device.store.set_flagged([flagged])
    started: list[list[str]] = []
    popen = subprocess.Popen

    def recording(command: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(command)
        return popen(command, **kwargs)

    monkeypatch.setattr(feed_process.subprocess, "Popen", recording)
    progress: list[tuple[int, int]] = []

    engine.run_cycle(progress=lambda done, total: progress.append((done, total)), prefetch=False)

    assert device.store.count(inbox) == many
    assert len(started) == 1
    assert progress and progress[-1][0] == progress[-1][1]
    other = device_factory(alice, "other")
    SyncEngine(other.store, other.client, other.account_id, page_size=2000).run_cycle(
        prefetch=False
    )
    assert {m.id: m for m in other.store.page(inbox, limit=many)}[flagged].is_flagged

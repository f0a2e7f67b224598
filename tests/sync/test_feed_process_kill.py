"""`kill -9` around the feed child (mailapp.sync.feed_process), with real processes against the
real server: nothing the user did while a big first sync ran in the child is lost or pushed
twice, whichever process dies (a child that hangs: test_feed_process_hang.py)."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mailapp.core.addresses import Address
from mailapp.server.db import session_scope
from mailapp.server.models import ClientMutation, Draft, Email, Submission
from mailapp.store import DraftInput, MessageSummary, OutboxState, fts, open_store
from mailapp.sync import feed_process
from mailapp.sync.errors import TransientError
from tests.bench.bench_support import fill_messages
from tests.server.conftest import RunningServer, User
from tests.support.faultproxy import FaultProxy
from tests.sync.conftest import Device, DeviceFactory, wait_for
from tests.sync.keyring_backend import ENV as KEYRING_ENV
from tests.sync.test_feed_process import BIG, fast_again, slow_listing, window_engine
from tests.sync.test_headless import ROOT

DRAFT_SUBJECT = "Written while the first sync ran"
SENT_SUBJECT = "Sent while the first sync ran"


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    return record_children(monkeypatch)


def record_children(monkeypatch: pytest.MonkeyPatch) -> list[subprocess.Popen[bytes]]:
    """The feed children started (real processes), to kill them."""
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def recording(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(feed_process.subprocess, "Popen", recording)
    return started


class Queued:
    """What the user did in the window while the child applied the first pages."""

    def __init__(self, recipient: User) -> None:
        self.recipient = recipient
        self.read = self.flagged = self.moved = self.draft = ""
        self.mutations = 0

    def do(self, device: Device, user: User) -> None:
        ui = open_store(device.store.path)  # the window's own store, beside the sync thread's
        try:
            listed = ui.page(device.mailbox("inbox"), limit=50)
            unread = [m for m in listed if not m.is_read]
            self.read = unread[0].id
            self.flagged = next(m.id for m in listed if m.id != self.read and not m.is_flagged)
            self.moved = next(m.id for m in listed if m.id not in (self.read, self.flagged))
            ui.mark_read([self.read])
            ui.set_flagged([self.flagged])
            ui.move([self.moved], device.mailbox("archive"))
            self.draft = ui.save_draft(
                DraftInput(
                    None, device.account_id, subject=DRAFT_SUBJECT,
                    to=[Address(None, "bob@example.org")],
                )
            )  # fmt: skip
            sent = ui.save_draft(
                DraftInput(
                    None, device.account_id, subject=SENT_SUBJECT,
                    to=[Address(None, f"{self.recipient.name}@example.org")],
                )
            )  # fmt: skip
            ui.queue_send(sent)
            self.mutations = len(ui.pending_mutations())
        finally:
            ui.close()
        # Meanwhile another device flags the message read here: the pages that bring that
        # change must keep this device's queued $seen (the rebase), and the push keep theirs.
        answer = user.client.post(
            "/v1/sync",
            json={
                "clientId": "other-device",
                "mutations": [
                    {
                        "mutationId": 1,
                        "type": "email.keywords",
                        "args": {"emailId": self.read, "add": ["$flagged"], "remove": []},
                    }
                ],
            },
        )
        assert answer.status_code == 200, answer.text

    def assert_local(self, device: Device) -> None:
        """The window shows what the user did, whatever the feed brought since."""
        read, flagged, moved = (_summary(device, i) for i in (self.read, self.flagged, self.moved))
        assert read is not None and read.is_read
        assert flagged is not None and flagged.is_flagged
        assert moved is not None and moved.mailbox_id == device.mailbox("archive")
        draft = device.store.draft(self.draft)
        assert draft is not None and draft.subject == DRAFT_SUBJECT


def _summary(device: Device, message_id: str) -> MessageSummary | None:
    detail = device.store.message(message_id)
    return detail.summary if detail is not None else None


def server_has_everything_once(
    server: RunningServer, user: User, device: Device, queued: Queued
) -> None:
    with session_scope(server.engine) as session:
        read = session.get(Email, queued.read)
        flagged = session.get(Email, queued.flagged)
        moved = session.get(Email, queued.moved)
        assert read is not None and {"$seen", "$flagged"} <= set(read.keywords)
        assert flagged is not None and "$flagged" in flagged.keywords
        assert moved is not None and moved.mailbox_id == device.mailbox("archive")
        drafts = session.scalar(
            select(func.count()).where(
                Draft.account_id == user.account_id,
                Draft.subject == DRAFT_SUBJECT,
                Draft.destroyed_modseq.is_(None),
            )
        )
        assert drafts == 1
        applied = session.scalars(
            select(ClientMutation.mutation_id).where(
                ClientMutation.account_id == user.account_id,
                ClientMutation.client_id == device.store.client_id,
            )
        ).all()
    # Read, flag, move, the draft, the sent one and its sending: each applied once.
    assert len(applied) == len(set(applied)) == queued.mutations
    with session_scope(server.engine) as session:
        sendings = session.scalar(
            select(func.count()).where(Submission.account_id == user.account_id)
        )
    assert sendings == 1

    def delivered_once() -> bool:
        listed = queued.recipient.client.get("/v1/mailboxes").json()["items"]
        inbox = next(m["id"] for m in listed if m["role"] == "inbox")
        page = queued.recipient.client.get(f"/v1/mailboxes/{inbox}/messages").json()["items"]
        return [m["subject"] for m in page] == [SENT_SUBJECT]

    wait_for(delivered_once, "the mail sent during the first sync to arrive, once")


def _kill_child_mid_sync(
    server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
    rng: random.Random,
    proxy: FaultProxy,
) -> None:
    alice = server.new_user("alice")
    fill_messages(server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    engine = window_engine(device, page_size=50)
    queued = Queued(server.new_user("bob"))
    kill_at = rng.randint(2, 12)  # of ~110 pages: early, in the middle, later
    pages: list[int] = []

    def progress(_done: int, _total: int) -> None:
        pages.append(1)
        if len(pages) == 1:
            queued.do(device, alice)
        elif len(pages) == kill_at:
            # The relay lags the child by a page or so: it is somewhere in a page's request,
            # its apply or its commit.
            os.kill(children[0].pid, signal.SIGKILL)

    slow_listing(proxy)
    with pytest.raises(TransientError):
        engine.run_cycle(progress=progress, prefetch=False)
    fast_again(proxy)

    assert children[0].returncode == -signal.SIGKILL
    inbox = device.mailbox("inbox")
    assert device.store.count(inbox) < BIG - 1  # the child did not get to the end
    pending = device.store.pending_mutations()
    assert [row.state for row in pending] == [OutboxState.PENDING] * queued.mutations
    queued.assert_local(device)

    engine.run_cycle(prefetch=False)  # the next sync: pushes, then finishes the mailbox

    assert device.store.count(inbox) == BIG - 1
    assert device.store.count(device.mailbox("archive")) == 1
    assert device.store.pending_mutations() == []
    queued.assert_local(device)
    read = _summary(device, queued.read)
    assert read is not None and read.is_flagged  # the other device's change arrived too
    server_has_everything_once(server, alice, device, queued)


def test_kill_9_of_the_child_loses_nothing_queued_in_the_window(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
    proxy: FaultProxy,
) -> None:
    _kill_child_mid_sync(sync_server, device_factory, children, random.Random(20261204), proxy)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(6))
def test_kill_9_of_the_child_soak(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    children: list[subprocess.Popen[bytes]],
    seed: int,
    proxy: FaultProxy,
) -> None:
    _kill_child_mid_sync(sync_server, device_factory, children, random.Random(seed), proxy)


# -- the window killed --------------------------------------------------------------------------

WINDOW = """
import subprocess, sys
from pathlib import Path
from mailapp.store import open_store
from mailapp.sync import feed_process
from mailapp.sync.account import client_for
from mailapp.sync.engine import SyncEngine

started = []
popen = subprocess.Popen
def recording(*args, **kwargs):
    started.append(popen(*args, **kwargs))
    return started[-1]
feed_process.subprocess.Popen = recording

store = open_store(Path(sys.argv[1]))
((account_id, _email),) = store.accounts()
client = client_for(store, account_id)
engine = SyncEngine(store, client, account_id, page_size=200, feed_in_child=True)
def progress(done, total):
    print(f"page {started[0].pid}", flush=True)
engine.run_cycle(progress=progress, prefetch=False)
print("done", flush=True)
"""


def _exited(pid: int) -> bool:
    """Gone, or a zombie nobody reaped yet (it was reparented when its window died)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def _consistent(path: Path) -> None:
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        fts.integrity_check(conn)
    conn.close()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_kill_9_of_the_window_ends_its_child_and_the_store_stays_whole(
    sync_server: RunningServer,
    device_factory: DeviceFactory,
    test_keyring: Any,
    tmp_path: Path,
) -> None:
    alice = sync_server.new_user("alice")
    fill_messages(sync_server.settings.database_url, alice.account_id, BIG)
    device = device_factory(alice)
    path = device.store.path
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "tests.sync.keyring_backend.FileKeyring",
           KEYRING_ENV: str(tmp_path / "keyring.json")}  # fmt: skip
    window = subprocess.Popen(
        [sys.executable, "-c", WINDOW, str(path)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert window.stdout is not None
    child_pid = 0
    for _ in range(3):  # three pages applied by the child, then the window dies
        line = window.stdout.readline()
        assert line.startswith("page "), line
        child_pid = int(line.split()[1])
    window.send_signal(signal.SIGKILL)
    window.communicate(timeout=30)

    wait_for(lambda: _exited(child_pid), "the child to end with its window")
    count = device.store.count(device.mailbox("inbox"))
    state = device.store.sync_state(device.account_id)
    assert 0 < count < BIG
    _consistent(path)
    assert device.store.count(device.mailbox("inbox")) == count  # nothing wrote on
    assert device.store.sync_state(device.account_id) == state

    window_engine(device).run_cycle(prefetch=False)  # the next start finishes it
    assert device.store.count(device.mailbox("inbox")) == BIG
    _consistent(path)

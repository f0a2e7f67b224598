"""`kill -9` of a headless sync in the middle of a flush: nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MessageSummary, OutboxState, open_store
from tests.server.conftest import RunningServer, User
from tests.support.faultproxy import FaultProxy
from tests.sync.conftest import wait_for
from tests.sync.keyring_backend import ENV as KEYRING_ENV
from tests.sync.test_headless import ROOT, mailapp, sign_in


def _start_sync(profile: Path, keys: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "tests.sync.keyring_backend.FileKeyring",
        KEYRING_ENV: str(keys),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mailapp", "sync", "--profile", str(profile), "--once",
         "--batch-size", "4"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _server_view(user: User) -> dict[str, tuple[str, tuple[str, ...]]]:
    items = []
    for mailbox in user.client.get("/v1/mailboxes").json()["items"]:
        page = user.client.get(f"/v1/mailboxes/{mailbox['id']}/messages?limit=500").json()
        items.extend(page["items"])
    return {m["id"]: (m["mailboxId"], tuple(sorted(m["keywords"]))) for m in items}


def _kill_repeatedly(
    server: RunningServer, proxy: FaultProxy, tmp_path: Path, kills: int, seed: int
) -> None:
    rng = random.Random(seed)
    alice, bob = server.new_user("alice"), server.new_user("bob")
    ids = [server.deliver(alice.account_id, subject=f"m{n}") for n in range(24)]
    profile, keys = tmp_path / "alice", tmp_path / "keys.json"
    sign_in(profile, proxy.url, alice, keys)
    assert mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys).returncode == 0
    proxy.latency = 0.03  # every round trip takes a while, so kills land mid-flush

    interrupted = 0
    for round_ in range(kills):
        with open_store(profile / "mail.sqlite3") as store:
            ((account_id, _email),) = store.accounts()
            archive = store.mailbox_by_role(account_id, "archive")
            assert archive is not None
            picked = rng.sample(ids, 8)
            store.mark_read(picked[:4], read=rng.random() < 0.7)
            store.set_flagged(picked[4:], flagged=rng.random() < 0.5)
            store.move(picked[2:5], archive.id)
            if round_ == 0:
                draft = store.save_draft(_draft(account_id, f"{bob.name}@example.org"))
                store.queue_send(draft)
        pushes_before = proxy.stats.paths.count("/v1/sync")
        process = _start_sync(profile, keys)
        # Kill after a random number of pushes reached the proxy, at a random instant around
        # it: before the server saw it, while it applied it, or before the answer was stored.
        target = pushes_before + rng.randint(1, 3)
        wait_for(
            lambda target=target, process=process: (
                proxy.stats.paths.count("/v1/sync") >= target or process.poll() is not None
            ),
            "the headless sync to start pushing",
        )
        time.sleep(rng.uniform(0.0, 0.08))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
        with open_store(profile / "mail.sqlite3") as store:
            states = [row.state for row in store.pending_mutations()]
        in_flight = states.count(OutboxState.IN_FLIGHT)
        print(f"kill {round_}: {in_flight} in flight, {len(states)} unfinished")
        interrupted += OutboxState.IN_FLIGHT in states

    assert interrupted, "no kill landed in the middle of a flush"
    proxy.latency = 0.0
    final = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
    assert final.returncode == 0, final.stdout + final.stderr
    with open_store(profile / "mail.sqlite3") as store:
        assert store.pending_mutations() == []  # every mutation applied; none failed
        assert store.open_conflicts() == []
        ((account_id, _email),) = store.accounts()
        local: dict[str, tuple[str, tuple[str, ...]]] = {}
        for mailbox in store.mailboxes(account_id):
            for summary in store.page(mailbox.id, limit=1000):
                local[summary.id] = (summary.mailbox_id, _keywords(summary))
    server_view = _server_view(alice)
    received = {k: v for k, v in server_view.items() if k in ids}
    assert {k: v for k, v in local.items() if k in ids} == {
        k: (mailbox, tuple(kw for kw in kws if kw in ("$seen", "$flagged")))
        for k, (mailbox, kws) in received.items()
    }

    def delivered_once() -> bool:
        inbox = bob.client.get("/v1/mailboxes").json()["items"]
        inbox_id = next(m["id"] for m in inbox if m["role"] == "inbox")
        page = bob.client.get(f"/v1/mailboxes/{inbox_id}/messages").json()["items"]
        return [m["subject"] for m in page] == ["Survives kill -9"]

    wait_for(delivered_once, "the mail to arrive once")
    submissions = alice.client.get("/v1/submissions").json()["items"]
    assert len(submissions) == 1


def _draft(account_id: str, to: str) -> DraftInput:
    return DraftInput(None, account_id, subject="Survives kill -9", to=[Address(None, to)])


def _keywords(summary: MessageSummary) -> tuple[str, ...]:
    return tuple(
        k for k, on in (("$flagged", summary.is_flagged), ("$seen", summary.is_read)) if on
    )


@pytest.mark.slow
def test_kill_9_during_flush_loses_and_duplicates_nothing(
    sync_server: RunningServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    _kill_repeatedly(sync_server, proxy, tmp_path, kills=5, seed=20261126)


@pytest.mark.soak
@pytest.mark.parametrize("seed", range(5))
def test_kill_9_soak(
    sync_server: RunningServer, proxy: FaultProxy, tmp_path: Path, seed: int
) -> None:
    _kill_repeatedly(sync_server, proxy, tmp_path, kills=25, seed=seed)

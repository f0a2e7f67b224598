"""IDLE on several folders of an account, one connection each, within the configured limit
and the host's connection cap: mail another client files into Sent or Drafts reaches the
server's change feed within 2 s, without waiting for a poll."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Account, Email, Mailbox
from mailapp.server.upstream import connection
from mailapp.server.upstream.worker import UpstreamWorker
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.imap.messages import message

WAIT = 30.0


@contextmanager
def running(worker: UpstreamWorker, woken: threading.Event) -> Iterator[None]:
    """The worker's loop on a thread, woken by IDLE as in the server (BackgroundLoop)."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            worker.run_once()
            woken.wait(1.0)
            woken.clear()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        woken.set()
        thread.join(WAIT)
        worker.stop_watchers()
        worker.release_all()


def watching(worker: UpstreamWorker, linked: Linked, count: int) -> list[str]:
    """The folders being watched, once `count` IDLE connections are up."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        owned = worker.owned.get(linked.upstream_id)
        watchers = owned.watchers if owned is not None else None
        if watchers is not None:
            up = [n for n, w in list(watchers.watchers.items()) if w.connected.is_set()]
            if len(up) >= count:
                return up
        time.sleep(0.02)
    raise AssertionError(f"{count} IDLE connections did not come up in {WAIT} s")


def arrival(linked: Linked, subject: str, role: str) -> tuple[float, int]:
    """Seconds until the email is in the change feed (an email with a modseq, in the mailbox
    of that role), and the account's modseq then."""
    start = time.monotonic()
    while time.monotonic() - start < WAIT:
        with session_scope(linked.engine, write=False) as session:
            found = session.execute(
                select(Email.created_modseq, Account.modseq)
                .join(Mailbox, Mailbox.id == Email.mailbox_id)
                .join(Account, Account.id == Email.account_id)
                .where(
                    Email.account_id == linked.account_id,
                    Email.subject == subject,
                    Mailbox.role == role,
                )
            ).first()
        if found is not None:
            return time.monotonic() - start, int(found[1])
        time.sleep(0.02)
    raise AssertionError(f"{subject!r} did not reach the server in {WAIT} s")


def test_mail_filed_into_sent_and_drafts_upstream_arrives_within_2_s(
    engine: Engine, mail_user: MailUser, tmp_path: Path
) -> None:
    linked = link_user(engine, mail_user)
    woken = threading.Event()
    # Polling is off in effect (an hour): only IDLE on those folders can be this quick.
    worker = UpstreamWorker(
        engine, linked.write_key(tmp_path / "upstream.key"), poll_interval=3600.0, wake=woken.set
    )
    with running(worker, woken):
        assert sorted(watching(worker, linked, 3)) == ["Drafts", "INBOX", "Sent"]
        before = 0
        for index, (folder, role) in enumerate([("Sent", "sent"), ("Drafts", "drafts")]):
            raw = message(index, tag=f"into-{folder}")
            mail_user.append(folder, [raw])
            subject = f"into-{folder} message {index}: status report ✓"
            latency, modseq = arrival(linked, subject, role)
            print(f"APPEND into {folder} → change feed: {latency:.2f} s (goal 2 s)")
            assert latency < 2.0
            assert modseq > before
            before = modseq


def test_idle_connections_stay_within_the_limit_and_the_hosts_cap(
    engine: Engine, mail_user: MailUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    linked = link_user(engine, mail_user)
    key_file = linked.write_key(tmp_path / "upstream.key")
    # Five folders wanted, but the host allows 4 connections, 2 of them for IDLE: the Inbox
    # and Sent are watched, the rest polled; syncs still get their connections.
    monkeypatch.setattr(connection, "MAX_CONNECTIONS_PER_HOST", 4)
    monkeypatch.setattr(connection, "_slots", {})
    woken = threading.Event()
    worker = UpstreamWorker(engine, key_file, poll_interval=3600.0, idle_folders=5, wake=woken.set)
    with running(worker, woken):
        assert sorted(watching(worker, linked, 2)) == ["INBOX", "Sent"]
        owned = worker.owned[linked.upstream_id]
        assert owned.watchers is not None and owned.watchers.connections == 2
        mail_user.append("Sent", [message(1, tag="still-synced")])
        arrival(linked, "still-synced message 1: status report ✓", "sent")

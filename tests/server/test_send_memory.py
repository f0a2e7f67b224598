"""Sending a large message holds it in memory about once (issue 13): building it, relaying it
and filing it into local inboxes each peak under 3 times the attachment's size.

Measured with tracemalloc, which counts Python allocations exactly and repeatably (unlike time,
memory is deterministic enough to assert). tests/bench/bench_send_memory.py prints the figures.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.mime.parse import attachment_at, parse_message
from mailapp.server.auth import create_user
from mailapp.server.config import Settings
from mailapp.server.db import make_engine, migrate, session_scope
from mailapp.server.delivery import DeliveryWorker
from mailapp.server.delivery_prepare import prepare_next
from mailapp.server.models import Account, Blob, Draft, Email, Submission

SIZE = 4 * 2**20
LIMIT = 3.0  # times the attachment's size; today's figures are in the bench
# Random-looking but cheap to make: every byte value, shuffled by a multiplicative step.
ATTACHMENT = bytes((n * 167 + n // 256) % 256 for n in range(65536)) * (SIZE // 65536)


@contextlib.contextmanager
def relay_process(port: int) -> Iterator[str]:
    """An aiosmtpd sink in its own process: tracemalloc counts every thread of this one, and
    what the receiving side copies is no part of what sending holds."""
    sink = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-c",
                             "aiosmtpd.handlers.Sink", "-s", "0", "-l", f"127.0.0.1:{port}"])
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or sink.poll() is not None:
                    raise RuntimeError("the test relay did not start") from None
                time.sleep(0.05)
        yield f"smtp://127.0.0.1:{port}"
    finally:
        sink.terminate()
        sink.wait(timeout=10)


def peak(step: Callable[[], Any]) -> tuple[Any, float]:
    """The step's value, and its peak of Python allocations as a multiple of SIZE."""
    tracemalloc.start()
    try:
        value = step()
        return value, tracemalloc.get_traced_memory()[1] / SIZE
    finally:
        tracemalloc.stop()


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Engine, Settings, DeliveryWorker]]:
    settings = Settings(data_dir=tmp_path)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with relay_process(port) as relay_url:
        with session_scope(engine) as session:
            sender = create_user(session, "sender", "pw")
            local = create_user(session, "local", "pw").email
            blob = Blob(account_id=sender.id, content_type="application/pdf", size=SIZE)
            blob.data = ATTACHMENT
            session.add(blob)
            session.flush()
            draft = Draft(id="d1", account_id=sender.id, subject="Big", body="See it.",
                          to=[{"name": None, "email": e} for e in ["far@remote.example", local]])
            draft.attachments = [{"name": "big.pdf", "contentType": "application/pdf",
                                  "size": SIZE, "blobId": blob.id}]
            draft.created_modseq = draft.updated_modseq = 1
            session.add(draft)
            sub = Submission(account_id=sender.id, draft_id="d1", send_at=datetime.now(UTC))
            sub.created_modseq = sub.updated_modseq = 2
            session.add(sub)
        worker = DeliveryWorker(engine, local_domain="example.org", relay_url=relay_url)
        yield engine, settings, worker
    engine.dispose()


def test_building_a_large_message_holds_it_about_once(
    setup: tuple[Engine, Settings, DeliveryWorker],
) -> None:
    engine, settings, worker = setup
    prepared, times = peak(lambda: prepare_next(engine, worker.clock(), settings))
    assert prepared is not None and prepared.error is None
    assert times < LIMIT, f"building peaked at {times:.1f} times the attachment's size"
    parsed = parse_message(prepared.mime)
    assert [(a.filename, a.size) for a in parsed.attachments] == [("big.pdf", SIZE)]
    assert parsed.attachments[0].data == ATTACHMENT
    assert parsed.text_body == "See it." and not parsed.notes


def test_relaying_and_filing_a_large_message_holds_it_about_once(
    setup: tuple[Engine, Settings, DeliveryWorker],
) -> None:
    engine, _settings, worker = setup
    assert worker.dispatch_next()
    for _job in range(2):  # the relay's job and the local inboxes' job
        done, times = peak(worker.relay_next)
        assert done
        assert times < LIMIT, f"a delivery job peaked at {times:.1f} times the attachment"
    with session_scope(engine) as session:
        local = session.scalars(select(Account).where(Account.email.like("local@%"))).one()
        inbox = session.scalars(select(Email).where(Email.account_id == local.id)).one()
        assert inbox.subject == "Big" and inbox.preview == "See it."
        assert [(a["name"], a["size"]) for a in inbox.attachments] == [("big.pdf", SIZE)]
        raw = inbox.blob.raw
        fetched = attachment_at(raw, inbox.attachments[0]["partId"])
    assert fetched is not None and fetched.data == ATTACHMENT

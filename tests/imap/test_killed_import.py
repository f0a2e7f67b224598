"""A server process killed (SIGKILL) in the middle of an import's batch: after its fetch, before
or during its write. The next run imports the rest, none twice and none missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import SyncLimits
from tests.imap.conftest import MailUser
from tests.imap.helpers import link_user
from tests.imap.messages import messages

ROOT = Path(__file__).resolve().parents[2]

# The import in a process of its own, which kills itself with SIGKILL at the third batch of
# whole messages: `before` once the batch is fetched and parsed, `during` once its emails and
# blobs are written in the open transaction (not committed).
_CHILD = """
import os, signal, sys
from cryptography.fernet import Fernet
from mailapp.server.db import make_engine
from mailapp.server.upstream import records
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import SyncLimits

url, key, upstream_id, where = sys.argv[1:]
calls = 0
insert_emails, insert_blobs = records.insert_emails, records.insert_blobs

def counted(rows):
    global calls
    if rows:
        calls += 1
    return calls == 3

def emails_then(alloc, rows):
    if counted(rows) and where == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    insert_emails(alloc, rows)

def blobs_then(alloc, blobs):
    insert_blobs(alloc, blobs)
    if calls == 3 and where == "during":
        os.kill(os.getpid(), signal.SIGKILL)

records.insert_emails, records.insert_blobs = emails_then, blobs_then
sync_link(make_engine(url), Fernet(key.encode()), upstream_id, limits=SyncLimits(body_batch=40))
sys.exit(3)  # not killed: the test fails
"""


@pytest.mark.parametrize("where", ["before", "during"])
def test_an_import_killed_mid_batch_resumes_without_duplicates_or_gaps(
    engine: Engine, mail_user: MailUser, where: str
) -> None:
    mail_user.append("INBOX", messages(250))
    linked = link_user(engine, mail_user)
    url = engine.url.render_as_string(hide_password=False)
    child = subprocess.run(
        [sys.executable, "-c", _CHILD, url, linked.key_bytes.decode(), linked.upstream_id, where],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )
    assert child.returncode == -9, child.stderr.decode()
    # Two batches of 40 committed; the third died with its transaction.
    assert len(linked.emails()) == linked.blob_count() == 80

    stats = sync_link(engine, linked.key, linked.upstream_id, limits=SyncLimits(body_batch=40))

    assert stats is not None and stats.headers == stats.bodies == 250 - 80
    emails = linked.emails()
    assert len(emails) == 250 and linked.blob_count() == 250
    assert len({e.message_id for e in emails}) == 250  # every message once
    assert all(e.preview for e in emails)
    assert linked.link_row().state == "ok"

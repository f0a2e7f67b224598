"""Writes the provider refuses until the user acts: a read-only folder and a full mailbox
(Dovecot's ACL and quota plugins). Each has its own link state and message, the sync goes on
reading, nothing queued is lost, and the write goes through once the condition clears."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from mailapp.server.config import Settings
from mailapp.server.db import session_scope
from mailapp.server.delivery import DeliveryWorker
from mailapp.server.models import Submission, SubmissionState
from mailapp.server.upstream.links import statuses
from mailapp.server.upstream.models import UpstreamFolder
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.sent_copy import UpstreamSentCopy
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.imap.messages import message, messages
from tests.imap.test_provider_send import copy_rows, provider, queue_send, sent_upstream, set_smtp
from tests.imap.test_writeback import change_here, keywords_here
from tests.support.dovecot import Dovecot


def time_passes(linked: Linked) -> None:
    """The blocked folders' retry time comes (instead of waiting minutes for it)."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    with session_scope(linked.engine) as session:
        session.execute(
            update(UpstreamFolder)
            .where(UpstreamFolder.upstream_id == linked.upstream_id)
            .values(blocked_retry_at=past)
        )
        session.execute(update(UpstreamSentCopy).values(next_attempt_at=past))


def archive_flags(mail_user: MailUser) -> list[set[bytes]]:
    with mail_user.connect() as client:
        client.select_folder("Archive", readonly=True)
        return [set(flags) for flags in client.get_flags(client.search(["ALL"])).values()]


def test_a_read_only_folder_keeps_changes_here_and_takes_them_once_writable(
    engine: Engine, mail_user: MailUser
) -> None:
    mail_user.append("Archive", messages(2, tag="old"))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    mail_user.dovecot.set_acl(mail_user.name, "Archive", "lr")  # e.g. a shared folder

    change_here(linked, "old message 0: status report ✓", add=["$seen"])
    mail_user.append("INBOX", messages(1, tag="new"))
    stats = sync_link(engine, linked.key, linked.upstream_id)

    # Reading goes on: the new Inbox mail is here although the write into Archive was refused.
    assert stats is not None and stats.blocked == 1
    assert linked.subjects("inbox") == ["new message 0: status report ✓"]
    row = linked.link_row()
    assert row.state == "read_only"
    assert "the folder Archive is read-only at the provider" in (row.last_error or "")
    assert "kept here" in (row.last_error or "")
    (status,) = statuses(engine, linked.user)
    assert "state read_only" in status.line() and "Archive is read-only" in status.line()
    # The change is still shown here and still pending; nothing was written upstream.
    assert keywords_here(linked, "old message 0: status report ✓") == ["$seen"]
    assert archive_flags(mail_user) == [set(), set()]

    # The folder becomes writable; before the retry time nothing is asked again …
    mail_user.dovecot.set_acl(mail_user.name, "Archive", None)
    sync_link(engine, linked.key, linked.upstream_id)
    assert linked.link_row().state == "read_only"
    # … after it, the change goes through and the link is fine again.
    time_passes(linked)
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.written_back == 1 and stats.blocked == 0
    row = linked.link_row()
    assert (row.state, row.last_error) == ("ok", None)
    assert sorted(len(flags) for flags in archive_flags(mail_user)) == [0, 1]
    assert keywords_here(linked, "old message 0: status report ✓") == ["$seen"]


def full_user(dovecot: Dovecot, quota_bytes: int) -> MailUser:
    name, password = f"u{uuid.uuid4().hex[:12]}", f"pw-{uuid.uuid4().hex}"
    dovecot.add_user(name, password, quota_bytes=quota_bytes)
    return MailUser(dovecot, name, password)


def test_a_full_mailbox_keeps_the_sent_copy_queued_and_files_it_once_there_is_room(
    engine: Engine, dovecot: Dovecot, tmp_path: Path
) -> None:
    mail_user = full_user(dovecot, quota_bytes=6000)
    big = message(0, tag="big", attachment=True)  # ~4 kB of the 6 kB: no room for more
    (big_uid,) = mail_user.append("INBOX", [big])
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    key_file = linked.write_key(tmp_path / "upstream.key")
    settings = Settings(data_dir=tmp_path, upstream_key_file=str(key_file))
    with provider(mail_user.name, mail_user.password) as smtp:
        set_smtp(engine, linked, smtp.port)
        sub_id = queue_send(engine, linked.account_id, "bob@elsewhere.example", "Too big " * 300)
        worker = DeliveryWorker(engine, local_domain="example.org", relay_url=None, limits=settings)
        for _ in range(5):
            worker.run_once()

        # Sent: the provider took it. Its copy in Sent waits, with the reason on the link.
        assert len(smtp.received) == 1
        with session_scope(engine, write=False) as session:
            sub = session.execute(select(Submission).where(Submission.id == sub_id)).scalar_one()
            assert sub.state == SubmissionState.sent
        (row,) = copy_rows(engine)
        assert row.state == "pending" and row.attempts == 0
        assert "the mailbox at the provider is full (quota exceeded)" in (row.last_error or "")
        link = linked.link_row()
        assert link.state == "quota_exceeded"
        assert "the copy of a sent message (Sent)" in (link.last_error or "")
        # A sync meanwhile keeps saying so (reading works; the mailbox is still full).
        assert sync_link(engine, linked.key, linked.upstream_id) is not None
        assert linked.link_row().state == "quota_exceeded"

        # The user makes room at the provider; in time the copy is filed, once.
        with mail_user.connect() as client:
            client.select_folder("INBOX")
            client.delete_messages([big_uid])
            client.expunge()
        time_passes(linked)
        for _ in range(3):
            worker.run_once()
    (row,) = copy_rows(engine)
    assert row.state == "done", row.last_error
    assert len(sent_upstream(mail_user, "Too big")) == 1
    link = linked.link_row()
    assert (link.state, link.last_error) == ("ok", None)
    assert len(smtp.received) == 1


def test_a_draft_waits_while_the_mailbox_is_full_and_the_rest_syncs(
    engine: Engine, dovecot: Dovecot
) -> None:
    from mailapp.server.upstream.syncer import SyncLimits
    from tests.imap.test_drafts import save_draft, upstream_drafts

    now = SyncLimits(draft_delay=0.0)
    mail_user = full_user(dovecot, quota_bytes=5000)
    (big_uid,) = mail_user.append("INBOX", [message(0, tag="big", attachment=True)])
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id, limits=now)

    save_draft(linked, "d1", subject="Plans", body="Long notes. " * 200, to=[])
    stats = sync_link(engine, linked.key, linked.upstream_id, limits=now)

    # The sync itself went through (bodies included); the draft waits, and the link says why.
    assert stats is not None and stats.blocked == 1 and stats.drafts_saved == 0
    link = linked.link_row()
    assert link.state == "quota_exceeded"
    assert "a draft saved here (Drafts)" in (link.last_error or "")
    assert upstream_drafts(mail_user) == []

    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.delete_messages([big_uid])
        client.expunge()
    time_passes(linked)
    stats = sync_link(engine, linked.key, linked.upstream_id, limits=now)
    assert stats is not None and stats.drafts_saved == 1
    ((_uid, _flags, copy),) = upstream_drafts(mail_user)
    assert copy["Subject"] == "Plans"
    assert (linked.link_row().state, linked.link_row().last_error) == ("ok", None)

"""Initial import from the real Dovecot: folders and roles, headers then bodies, resume."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import EmailBlob, Mailbox
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import SyncLimits
from tests.imap.conftest import MailUser
from tests.imap.helpers import link_user
from tests.imap.messages import message, messages
from tests.support.dovecot import Dovecot


def test_folders_map_to_mailboxes_with_their_roles(engine: Engine, mail_user: MailUser) -> None:
    with mail_user.connect() as client:
        client.create_folder("Projects")
        client.create_folder("Projects/Alpha")
    mail_user.append("INBOX", messages(3))
    mail_user.append("Sent", messages(2, tag="sent"), flags=(b"\\Seen",))
    mail_user.append("Projects/Alpha", messages(1, tag="alpha"))
    linked = link_user(engine, mail_user)

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.headers == 6 and stats.bodies == 6
    assert len(linked.subjects("inbox")) == 3
    assert linked.subjects("sent") == [
        "sent message 0: status report ✓",
        "sent message 1: status report ✓",
    ]
    assert all("$seen" in e.keywords for e in linked.emails("sent"))
    with session_scope(engine, write=False) as session:
        boxes = {
            m.name: m
            for m in session.scalars(
                select(Mailbox).where(
                    Mailbox.account_id == linked.account_id, Mailbox.destroyed_modseq.is_(None)
                )
            )
        }
    # The account's role mailboxes are the provider's; other folders are nested mailboxes.
    assert {"Inbox", "Sent", "Drafts", "Trash", "Junk", "Archive", "Projects", "Alpha"} == set(
        boxes
    )
    assert boxes["Alpha"].parent_id == boxes["Projects"].id and boxes["Alpha"].role is None
    row = linked.link_row()
    assert row.state == "ok" and row.last_error is None and row.last_sync_at is not None


def test_bodies_follow_the_headers(engine: Engine, mail_user: MailUser) -> None:
    mail_user.append("INBOX", [message(7)])  # every 7th has an attachment
    linked = link_user(engine, mail_user)
    seen_after_headers: list[tuple[str, int]] = []

    def after_batch(phase: str, _count: int) -> None:
        if phase == "headers":
            email = linked.emails("inbox")[0]
            seen_after_headers.append((email.preview, len(email.attachments)))

    sync_link(engine, linked.key, linked.upstream_id, after_batch=after_batch)

    # Listed (sender, subject, date, size) before any body was fetched …
    assert seen_after_headers == [("", 0)]
    email = linked.emails("inbox")[0]
    # … and complete afterwards.
    assert email.subject == "m message 7: status report ✓"
    assert email.from_ == [{"name": None, "email": "noreply@example.org"}]
    assert email.preview.startswith("Hello, this is m message number 7.")
    assert [a["name"] for a in email.attachments] == ["data-7.bin"]
    assert linked.blob_count() == 1
    with session_scope(engine, write=False) as session:
        blob = session.get(EmailBlob, email.id)
        assert blob is not None and blob.bodies_parsed  # readers need not parse it again
        assert (blob.text_body or "").startswith("Hello,\n\nthis is m message number 7.")


class Crash(Exception):
    pass


@pytest.mark.parametrize("phase", ["headers", "bodies"])
def test_an_interrupted_import_resumes_without_fetching_twice(
    engine: Engine, mail_user: MailUser, phase: str
) -> None:
    mail_user.append("INBOX", messages(250))
    linked = link_user(engine, mail_user)
    limits = SyncLimits(header_batch=50, body_batch=40)
    batches = 0

    def crash_after_two(done_phase: str, _count: int) -> None:
        nonlocal batches
        if done_phase == phase:
            batches += 1
            if batches == 2:
                raise Crash

    with pytest.raises(Crash):
        sync_link(
            engine, linked.key, linked.upstream_id, limits=limits, after_batch=crash_after_two
        )
    assert linked.link_row().state == "importing"

    stats = sync_link(engine, linked.key, linked.upstream_id, limits=limits)

    assert stats is not None
    if phase == "headers":
        assert stats.headers == 250 - 2 * 50
        assert stats.bodies == 250
    else:
        assert stats.headers == 0
        assert stats.bodies == 250 - 2 * 40
    assert len(linked.emails()) == 250
    assert len({e.message_id for e in linked.emails()}) == 250
    assert linked.blob_count() == 250


@pytest.mark.slow
def test_initial_import_of_two_thousand_messages(engine: Engine, mail_user: MailUser) -> None:
    mail_user.append("INBOX", messages(1500))
    mail_user.append("Archive", messages(500, tag="old"), flags=(b"\\Seen",))
    linked = link_user(engine, mail_user)

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.headers == stats.bodies == 2000
    assert len(linked.emails("inbox")) == 1500
    archived = linked.emails("archive")
    assert len(archived) == 500 and all(e.keywords == ["$seen"] for e in archived)
    assert len({e.message_id for e in linked.emails()}) == 2000
    assert linked.blob_count() == 2000
    with_attachment = [e for e in linked.emails("inbox") if e.attachments]
    assert len(with_attachment) == len(range(0, 1500, 7))


def _statements_of_import(engine: Engine, mail_user: MailUser, batch: int) -> int:
    linked = link_user(engine, mail_user)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        stats = sync_link(
            engine,
            linked.key,
            linked.upstream_id,
            limits=SyncLimits(header_batch=batch, body_batch=batch),
        )
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert stats is not None and stats.bodies == stats.headers == 2 * batch
    return len(statements)


def test_the_import_runs_the_same_statements_for_a_batch_of_any_size(
    engine: Engine, mail_user: MailUser, dovecot: Dovecot
) -> None:
    # Every batch's rows go in with one statement per table (executemany), so the import's
    # database work is a few statements per batch, however many messages a batch holds.
    mail_user.append("INBOX", messages(20))
    small = _statements_of_import(engine, mail_user, batch=10)  # 2 + 2 batches of 10
    larger = MailUser(dovecot, f"u{uuid.uuid4().hex[:12]}", f"pw-{uuid.uuid4().hex}")
    dovecot.add_user(larger.name, larger.password)
    larger.append("INBOX", messages(80))
    assert _statements_of_import(engine, larger, batch=40) == small  # 2 + 2 batches of 40

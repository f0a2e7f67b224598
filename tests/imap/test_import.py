"""Initial import from the real Dovecot: folders and roles, small messages whole and newest
first, a large message's headers before its body, resume."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

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


def test_new_mail_arrives_whole_newest_first(engine: Engine, mail_user: MailUser) -> None:
    mail_user.append("INBOX", [message(5), message(6), message(7)])  # 7 has an attachment
    linked = link_user(engine, mail_user)
    seen: list[list[tuple[str, str, int]]] = []

    def after_batch(phase: str, _count: int) -> None:
        assert phase == "messages"  # small messages: no header pass, no body pass
        seen.append(
            sorted((e.subject, e.preview[:33], len(e.attachments)) for e in linked.emails())
        )

    stats = sync_link(
        engine,
        linked.key,
        linked.upstream_id,
        limits=SyncLimits(body_batch=2),
        after_batch=after_batch,
    )

    assert stats is not None and stats.headers == stats.bodies == 3
    # The newest two first, each complete (its preview and attachments) with its first write …
    assert seen[0] == [
        ("m message 6: status report ✓", "Hello, this is m message number 6", 0),
        ("m message 7: status report ✓", "Hello, this is m message number 7", 1),
    ]
    # … then the oldest.
    assert len(seen) == 2 and len(seen[1]) == 3
    email = next(e for e in linked.emails("inbox") if e.message_id == "<m-7@test.mailapp.invalid>")
    assert email.from_ == [{"name": None, "email": "noreply@example.org"}]
    assert email.preview.startswith("Hello, this is m message number 7.")
    assert [a["name"] for a in email.attachments] == ["data-7.bin"]
    assert linked.blob_count() == 3
    with session_scope(engine, write=False) as session:
        blob = session.get(EmailBlob, email.id)
        assert blob is not None and blob.bodies_parsed  # readers need not parse it again
        assert (blob.text_body or "").startswith("Hello,\n\nthis is m message number 7.")


def _large(index: int) -> bytes:
    """A message over the whole-message threshold (SyncLimits.whole_message_bytes, 1 MiB)."""
    msg = EmailMessage()
    msg["From"] = "Ada Lovelace <ada@example.net>"
    msg["To"] = "owner@example.org"
    msg["Subject"] = f"large message {index}"
    msg["Message-ID"] = f"<large-{index}@test.mailapp.invalid>"
    msg.set_content(f"The photos, number {index}.\n")
    msg.add_attachment(
        bytes(range(256)) * 6000, maintype="image", subtype="jpeg", filename="photos.jpg"
    )
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def test_a_large_messages_body_follows_its_headers(engine: Engine, mail_user: MailUser) -> None:
    mail_user.append("INBOX", [message(1), _large(2)])
    linked = link_user(engine, mail_user)
    seen: dict[str, list[tuple[str, str, int]]] = {}

    def after_batch(phase: str, _count: int) -> None:
        seen.setdefault(phase, []).extend(
            sorted((e.subject, e.preview[:24], len(e.attachments)) for e in linked.emails())
        )

    stats = sync_link(engine, linked.key, linked.upstream_id, after_batch=after_batch)

    assert stats is not None and stats.headers == stats.bodies == 2
    # The large message is listed (sender, subject, date, size) before its body is fetched …
    assert seen["headers"] == [("large message 2", "", 0)]
    # … the small one comes whole after it …
    assert seen["messages"] == [
        ("large message 2", "", 0),
        ("m message 1: status report ✓", "Hello, this is m message", 0),
    ]
    # … and the large one's body follows.
    assert seen["bodies"][0] == ("large message 2", "The photos, number 2.", 1)
    large = next(e for e in linked.emails() if e.subject == "large message 2")
    assert large.size > 1024 * 1024 and [a["name"] for a in large.attachments] == ["photos.jpg"]
    assert linked.blob_count() == 2


class Crash(Exception):
    pass


@pytest.mark.parametrize(
    ("phase", "limits"),
    [
        ("messages", SyncLimits(body_batch=40)),
        # Every message over the whole-message threshold: headers first, bodies after.
        ("headers", SyncLimits(header_batch=50, body_batch=40, whole_message_bytes=0)),
        ("bodies", SyncLimits(header_batch=50, body_batch=40, whole_message_bytes=0)),
    ],
)
def test_an_interrupted_import_resumes_without_fetching_twice(
    engine: Engine, mail_user: MailUser, phase: str, limits: SyncLimits
) -> None:
    mail_user.append("INBOX", messages(250))
    linked = link_user(engine, mail_user)
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
    if phase == "messages":
        assert stats.headers == stats.bodies == 250 - 2 * 40
    elif phase == "headers":
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
    small = _statements_of_import(engine, mail_user, batch=10)  # 2 batches of 10 whole
    larger = MailUser(dovecot, f"u{uuid.uuid4().hex[:12]}", f"pw-{uuid.uuid4().hex}")
    dovecot.add_user(larger.name, larger.password)
    larger.append("INBOX", messages(80))
    assert _statements_of_import(engine, larger, batch=40) == small  # 2 batches of 40

"""Keyword changes made in mailapp reach the upstream, merged with other IMAP clients' changes."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from imapclient import IMAPClient
from sqlalchemy.engine import Engine

from mailapp.server import merge
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.models import Email
from mailapp.server.upstream.run import sync_link
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.imap.messages import messages


def change_here(
    linked: Linked, subject: str, add: Iterable[str] = (), remove: Iterable[str] = ()
) -> None:
    """What a client's `email.keywords` mutation does on the server."""
    (email,) = [e for e in linked.emails() if e.subject == subject]
    with session_scope(linked.engine) as session:
        row = session.get(Email, email.id)
        assert row is not None
        row.keywords = sorted(merge.apply_keywords(row.keywords, list(add), list(remove)))
        row.updated_modseq = bump_modseq(session, row.account_id)


def upstream_flags(mail_user: MailUser, uid: int) -> set[bytes]:
    with mail_user.connect() as client:
        client.select_folder("INBOX", readonly=True)
        return set(client.get_flags([uid])[uid])


def keywords_here(linked: Linked, subject: str) -> list[str]:
    (email,) = [e for e in linked.emails() if e.subject == subject]
    return list(email.keywords)


SUBJECT = "m message {}: status report ✓"


def test_read_and_flagged_here_are_stored_upstream(engine: Engine, mail_user: MailUser) -> None:
    uids = mail_user.append("INBOX", messages(3), flags=(b"\\Seen",))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)

    change_here(linked, SUBJECT.format(0), add=["$flagged", "$label-work"])
    change_here(linked, SUBJECT.format(1), remove=["$seen"])
    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.written_back == 2
    assert upstream_flags(mail_user, uids[0]) == {b"\\Seen", b"\\Flagged", b"$label-work"}
    assert upstream_flags(mail_user, uids[1]) == set()
    assert upstream_flags(mail_user, uids[2]) == {b"\\Seen"}
    # Written once: the next sync has nothing to write and changes nothing here.
    again = sync_link(engine, linked.key, linked.upstream_id)
    assert again is not None and again.written_back == 0 and again.flag_changes == 0
    assert keywords_here(linked, SUBJECT.format(0)) == ["$flagged", "$label-work", "$seen"]


def test_changes_on_both_sides_are_merged(engine: Engine, mail_user: MailUser) -> None:
    uids = mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)

    change_here(linked, SUBJECT.format(0), add=["$flagged"])  # here: flagged
    with mail_user.connect() as client:  # meanwhile another IMAP client reads it
        client.select_folder("INBOX")
        client.add_flags([uids[0]], [b"\\Seen"])
    sync_link(engine, linked.key, linked.upstream_id)

    assert keywords_here(linked, SUBJECT.format(0)) == ["$flagged", "$seen"]
    assert upstream_flags(mail_user, uids[0]) == {b"\\Seen", b"\\Flagged"}


def test_a_store_racing_another_client_is_refused_then_merged(
    engine: Engine, mail_user: MailUser
) -> None:
    uids = mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    change_here(linked, SUBJECT.format(0), add=["$flagged"])
    with mail_user.connect() as client:  # something to pull, so the sync looks at changes
        client.select_folder("INBOX")
        client.add_flags([uids[1]], [b"\\Seen"])

    def other_client_races(phase: str, _count: int) -> None:
        # After this sync merged the upstream's changes and before it stores ours.
        if phase == "changes":
            with mail_user.connect() as client:
                client.select_folder("INBOX")
                client.add_flags([uids[0]], [b"$Important"])

    stats = sync_link(engine, linked.key, linked.upstream_id, after_batch=other_client_races)

    # UNCHANGEDSINCE refused our STORE: the other client's change is not overwritten blindly …
    assert stats is not None and stats.refused_writes == 1 and stats.written_back == 0
    assert upstream_flags(mail_user, uids[0]) == {b"$Important"}
    # … the next sync merges it with ours and stores the result.
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.written_back == 1
    assert keywords_here(linked, SUBJECT.format(0)) == ["$flagged", "$important"]
    assert upstream_flags(mail_user, uids[0]) == {b"\\Flagged", b"$Important"}


def move_here(linked: Linked, subject: str, role: str) -> str:
    """What a client's `email.move` mutation does on the server; returns the email id."""
    from sqlalchemy import select

    from mailapp.server.models import Mailbox

    (email,) = [e for e in linked.emails() if e.subject == subject]
    with session_scope(linked.engine) as session:
        target = session.scalars(
            select(Mailbox.id).where(Mailbox.account_id == linked.account_id, Mailbox.role == role)
        ).one()
        row = session.get(Email, email.id)
        assert row is not None
        row.mailbox_id = target
        row.updated_modseq = bump_modseq(session, row.account_id)
    return email.id


@pytest.mark.parametrize("with_move", [True, False], ids=["MOVE", "COPY+EXPUNGE"])
def test_a_move_here_is_moved_upstream_and_keeps_its_email(
    engine: Engine, mail_user: MailUser, with_move: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not with_move:
        original = IMAPClient.has_capability
        monkeypatch.setattr(
            IMAPClient,
            "has_capability",
            lambda self, name: name.upper() != "MOVE" and original(self, name),
        )
    mail_user.append("INBOX", messages(3))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)

    email_id = move_here(linked, SUBJECT.format(1), "archive")
    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.moved == 1
    with mail_user.connect() as client:
        client.select_folder("INBOX", readonly=True)
        inbox = client.fetch(client.search(["ALL"]), ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"])
        client.select_folder("Archive", readonly=True)
        archive_uids = client.search(["ALL"])
    assert len(inbox) == 2 and len(archive_uids) == 1
    # Nothing imported twice, nothing removed: the same email, now in Archive.
    again = sync_link(engine, linked.key, linked.upstream_id)
    assert again is not None and again.headers == 0 and again.expunged == 0
    archived = linked.emails("archive")
    assert [e.id for e in archived] == [email_id]
    assert len(linked.emails()) == 3
    # It is followed in its new folder: another client flags it there.
    with mail_user.connect() as client:
        client.select_folder("Archive")
        client.add_flags(archive_uids, [b"\\Flagged"])
    sync_link(engine, linked.key, linked.upstream_id)
    assert linked.emails("archive")[0].keywords == ["$flagged"]


def test_mail_deleted_here_for_good_is_expunged_upstream(
    engine: Engine, mail_user: MailUser
) -> None:
    uids = mail_user.append("INBOX", messages(3))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    with mail_user.connect() as client:  # another client's mark must survive our expunge
        client.select_folder("INBOX")
        client.add_flags([uids[2]], [b"\\Deleted"])

    (email,) = [e for e in linked.emails() if e.subject == SUBJECT.format(1)]
    with session_scope(engine) as session:  # what the `email.destroy` mutation does
        row = session.get(Email, email.id)
        assert row is not None
        row.destroyed_modseq = row.updated_modseq = bump_modseq(session, row.account_id)
    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.deleted == 1
    with mail_user.connect() as client:
        client.select_folder("INBOX", readonly=True)
        assert sorted(client.search(["ALL"])) == [uids[0], uids[2]]
    again = sync_link(engine, linked.key, linked.upstream_id)
    assert again is not None and again.deleted == 0 and again.headers == 0
    assert sorted(e.subject for e in linked.emails()) == [SUBJECT.format(0), SUBJECT.format(2)]

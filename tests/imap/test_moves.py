"""A move made upstream by another IMAP client arrives as a move of the same email (its id,
body, read state and pending changes kept), not as a delete and a new message; merged with a
move made here like another device's change."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Email
from mailapp.server.upstream.run import sync_link
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.imap.messages import messages
from tests.imap.test_incremental import extensions  # noqa: F401  (the fixture)
from tests.imap.test_writeback import change_here, move_here

SUBJECT = "m message {}: status report ✓"


def move_upstream(mail_user: MailUser, source: str, subject: str, target: str) -> None:
    """Another IMAP client (a phone, webmail) moves the message."""
    with mail_user.connect() as client:
        client.select_folder(source)
        (uid,) = client.search(["SUBJECT", subject.split(":")[0]])
        client.move([uid], target)


def email_of(linked: Linked, subject: str) -> Email:
    (email,) = [e for e in linked.emails(live=False) if e.subject == subject]
    return email


def flags_in(mail_user: MailUser, folder: str, subject: str) -> set[bytes]:
    with mail_user.connect() as client:
        client.select_folder(folder, readonly=True)
        (uid,) = client.search(["SUBJECT", subject.split(":")[0]])
        return set(client.get_flags([uid])[uid]) - {b"\\Recent"}


def test_a_message_moved_upstream_keeps_its_email(
    engine: Engine, mail_user: MailUser, extensions: str  # noqa: F811
) -> None:
    mail_user.append("INBOX", messages(3))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    before = email_of(linked, SUBJECT.format(1))
    blobs = linked.blob_count()

    # Inbox → Archive (the later folder), then back (the earlier one): either order is seen.
    for source, target, role in [("INBOX", "Archive", "archive"), ("Archive", "INBOX", "inbox")]:
        move_upstream(mail_user, source, SUBJECT.format(1), target)
        stats = sync_link(engine, linked.key, linked.upstream_id)

        assert stats is not None
        assert (stats.moved_upstream, stats.expunged, stats.headers, stats.bodies) == (1, 0, 1, 0)
        after = email_of(linked, SUBJECT.format(1))
        # The same email, in its new mailbox, as an update in the change feed (no tombstone).
        assert after.id == before.id and after.destroyed_modseq is None
        assert [e.subject for e in linked.emails(role)].count(SUBJECT.format(1)) == 1
        assert after.updated_modseq > before.updated_modseq
        assert len(linked.emails(live=False)) == 3 and linked.blob_count() == blobs
        before = after


def test_a_change_made_here_follows_the_message_another_client_moved(
    engine: Engine, mail_user: MailUser
) -> None:
    mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    email_id = email_of(linked, SUBJECT.format(0)).id

    # Read here (not written back yet) while another client files it into Archive.
    change_here(linked, SUBJECT.format(0), add=["$seen", "$flagged"])
    move_upstream(mail_user, "INBOX", SUBJECT.format(0), "Archive")
    sync_link(engine, linked.key, linked.upstream_id)
    sync_link(engine, linked.key, linked.upstream_id)

    (archived,) = linked.emails("archive")
    assert archived.id == email_id and archived.keywords == ["$flagged", "$seen"]
    assert flags_in(mail_user, "Archive", SUBJECT.format(0)) == {b"\\Seen", b"\\Flagged"}


def test_moved_here_and_upstream_at_once_the_move_here_wins_like_another_devices(
    engine: Engine, mail_user: MailUser
) -> None:
    mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)

    email_id = move_here(linked, SUBJECT.format(0), "trash")  # not written back yet
    move_upstream(mail_user, "INBOX", SUBJECT.format(0), "Archive")
    sync_link(engine, linked.key, linked.upstream_id)
    sync_link(engine, linked.key, linked.upstream_id)

    # One email, where it was put here; upstream it followed (Archive → Trash), once.
    (trashed,) = linked.emails("trash")
    assert trashed.id == email_id and linked.emails("archive") == []
    assert len(linked.emails()) == 2
    with mail_user.connect() as client:
        counts = {
            name: client.folder_status(name, [b"MESSAGES"])[b"MESSAGES"]
            for name in ("INBOX", "Archive", "Trash")
        }
    assert counts == {"INBOX": 1, "Archive": 0, "Trash": 1}


def test_a_message_expunged_upstream_is_still_removed(engine: Engine, mail_user: MailUser) -> None:
    uids = mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.delete_messages([uids[0]])
        client.expunge()

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and (stats.moved_upstream, stats.expunged) == (0, 1)
    assert linked.subjects() == [SUBJECT.format(1)]
    with session_scope(engine, write=False) as session:
        gone = session.get(Email, email_of(linked, SUBJECT.format(0)).id)
        assert gone is not None and gone.destroyed_modseq is not None


def test_a_move_here_is_not_lost_when_another_client_flags_the_message_meanwhile(
    engine: Engine, mail_user: MailUser
) -> None:
    mail_user.append("INBOX", messages(1))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)

    email_id = move_here(linked, SUBJECT.format(0), "archive")  # not written back yet
    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.add_flags(client.search(["ALL"]), [b"\\Flagged"])
    sync_link(engine, linked.key, linked.upstream_id)

    # Both changes kept: flagged here, and archived upstream.
    (archived,) = linked.emails("archive")
    assert archived.id == email_id and archived.keywords == ["$flagged"]
    assert flags_in(mail_user, "Archive", SUBJECT.format(0)) == {b"\\Flagged"}


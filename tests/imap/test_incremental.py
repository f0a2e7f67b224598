"""Incremental sync against the real Dovecot: new mail, flags, expunges, UIDVALIDITY, errors."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from mailapp.server.db import session_scope
from mailapp.server.models import Mailbox
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import AccountSync, SyncLimits
from tests.imap.conftest import MailUser
from tests.imap.helpers import link_user
from tests.imap.messages import messages


@pytest.fixture(params=["qresync", "condstore", "plain"])
def extensions(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run against what Dovecot offers, and as if it offered less (the diff fallbacks)."""
    mode = str(request.param)
    if mode != "qresync":
        original = AccountSync.__init__

        def limited(self: AccountSync, *args: object, **kwargs: object) -> None:
            original(self, *args, **kwargs)  # type: ignore[arg-type]
            self.qresync = False
            self.condstore = self.condstore and mode == "condstore"

        monkeypatch.setattr(AccountSync, "__init__", limited)
    return mode


def test_changes_made_upstream_arrive(engine: Engine, mail_user: MailUser, extensions: str) -> None:
    uids = mail_user.append("INBOX", messages(6))
    linked = link_user(engine, mail_user)
    assert sync_link(engine, linked.key, linked.upstream_id) is not None

    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.add_flags(uids[:2], [b"\\Seen", b"$Label1"])
        client.add_flags([uids[2]], [b"\\Flagged"])
        client.delete_messages([uids[5]])
        client.expunge()
    mail_user.append("INBOX", messages(2, tag="late"))

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None
    assert stats.headers == 2 and stats.bodies == 2 and stats.expunged == 1
    by_subject = {e.subject: e for e in linked.emails("inbox")}
    assert len(by_subject) == 7
    assert "m message 5: status report ✓" not in by_subject
    assert by_subject["m message 0: status report ✓"].keywords == ["$label1", "$seen"]
    assert by_subject["m message 2: status report ✓"].keywords == ["$flagged"]
    assert by_subject["m message 3: status report ✓"].keywords == []
    assert "late message 1: status report ✓" in by_subject


def test_a_second_sync_without_changes_fetches_nothing(engine: Engine, mail_user: MailUser) -> None:
    mail_user.append("INBOX", messages(20))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    with session_scope(engine, write=False) as session:
        from mailapp.server.db import current_modseq

        before = current_modseq(session, linked.account_id)

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None
    assert (stats.headers, stats.bodies, stats.flag_changes, stats.expunged) == (0, 0, 0, 0)
    assert stats.skipped_folders == stats.folders == 6  # STATUS said nothing moved
    with session_scope(engine, write=False) as session:
        assert current_modseq(session, linked.account_id) == before  # clients see no change


def test_newest_message_expunged_before_the_import_is_not_looked_for_again(
    engine: Engine, mail_user: MailUser
) -> None:
    """The folder's UIDNEXT moves past UIDs that are gone, not only past the highest imported:
    the next sync finds nothing new and opens no folder (newmail.import_new)."""
    uids = mail_user.append("INBOX", messages(5))
    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.delete_messages([uids[-1]])
        client.expunge()
    linked = link_user(engine, mail_user)
    first = sync_link(engine, linked.key, linked.upstream_id)
    assert first is not None and first.headers == 4

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.headers == 0
    assert stats.skipped_folders == stats.folders  # STATUS said nothing moved


def test_a_uidvalidity_change_remaps_without_duplicates(
    engine: Engine, mail_user: MailUser
) -> None:
    with mail_user.connect() as client:
        client.create_folder("Lists")
    mail_user.append("Lists", messages(30, tag="list"))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    before = {e.subject: e.id for e in linked.emails()}
    assert len(before) == 30

    # The folder is rebuilt upstream (as after a lost index): new UIDVALIDITY, 29 of the same
    # messages with new UIDs, one gone, one new.
    with mail_user.connect() as client:
        client.delete_folder("Lists")
        client.create_folder("Lists")
    mail_user.append("Lists", messages(29, tag="list"))
    mail_user.append("Lists", messages(1, tag="fresh"))

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.remapped == 29 and stats.expunged == 1
    assert stats.headers == 1 and stats.bodies == 1  # only the new message is fetched whole
    after = {e.subject: e.id for e in linked.emails()}
    assert len(after) == 30
    # The same emails (same ids): clients keep them, their read state and drafts replying to them.
    assert all(after[s] == before[s] for s in after if s.startswith("list"))
    assert "list message 29: status report ✓" not in after
    assert "fresh message 0: status report ✓" in after


def test_a_folder_deleted_upstream_goes_with_its_mail(engine: Engine, mail_user: MailUser) -> None:
    with mail_user.connect() as client:
        client.create_folder("Old")
    mail_user.append("Old", messages(3, tag="old"))
    mail_user.append("INBOX", messages(1))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    assert len(linked.emails()) == 4

    with mail_user.connect() as client:
        client.delete_folder("Old")
    sync_link(engine, linked.key, linked.upstream_id)

    assert [e.subject for e in linked.emails()] == ["m message 0: status report ✓"]
    with session_scope(engine, write=False) as session:
        from sqlalchemy import select

        names = session.scalars(
            select(Mailbox.name).where(
                Mailbox.account_id == linked.account_id, Mailbox.destroyed_modseq.is_(None)
            )
        ).all()
    assert "Old" not in names


def test_a_wrong_password_gets_its_own_state_and_message(
    engine: Engine, mail_user: MailUser, caplog: pytest.LogCaptureFixture
) -> None:
    linked = link_user(engine, mail_user, password="not-the-password")

    with caplog.at_level("DEBUG"):
        assert sync_link(engine, linked.key, linked.upstream_id) is None

    assert "refused the username or password" in caplog.text  # logged, for the admin …
    assert "not-the-password" not in caplog.text  # … without the password

    row = linked.link_row()
    assert row.state == "auth_failed"
    assert row.last_error is not None
    assert "refused the username or password" in row.last_error
    assert "not-the-password" not in row.last_error
    assert linked.emails() == []


def test_an_unreachable_server_gets_its_own_state(engine: Engine, mail_user: MailUser) -> None:
    import socket

    linked = link_user(engine, mail_user)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    with session_scope(engine) as session:
        from mailapp.server.upstream.models import UpstreamAccount

        row = session.get(UpstreamAccount, linked.upstream_id)
        assert row is not None
        row.port = closed

    assert sync_link(engine, linked.key, linked.upstream_id) is None
    row = linked.link_row()
    assert row.state == "unreachable" and "refused the connection" in (row.last_error or "")


def test_an_all_digit_keyword_is_kept_as_text(
    engine: Engine, mail_user: MailUser, extensions: str
) -> None:
    """imapclient reads an atom of digits as a number, in FLAGS too: the keyword `2024` (a
    label some clients file by year) must arrive as the keyword "2024", not stop the sync."""
    uids = mail_user.append("INBOX", messages(2))
    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.add_flags([uids[0]], [b"2024", b"\\Seen"])
    linked = link_user(engine, mail_user)
    assert sync_link(engine, linked.key, linked.upstream_id) is not None

    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.add_flags([uids[1]], [b"7"])
    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None
    by_subject = {e.subject: e for e in linked.emails("inbox")}
    assert by_subject["m message 0: status report ✓"].keywords == ["$seen", "2024"]
    assert by_subject["m message 1: status report ✓"].keywords == ["7"]


class Crash(Exception):
    pass


def test_changes_to_mail_an_interrupted_pass_stored_arrive(
    engine: Engine, mail_user: MailUser, extensions: str
) -> None:
    # New mail comes newest first and UIDNEXT moves only once all of it is in: the rows an
    # interrupted pass stored lie above it, and their flag changes and expunges still count.
    mail_user.append("INBOX", messages(10))
    linked = link_user(engine, mail_user)
    assert sync_link(engine, linked.key, linked.upstream_id) is not None
    uids = mail_user.append("INBOX", messages(100, tag="new"))

    def crash(phase: str, _count: int) -> None:
        if phase == "messages":
            raise Crash

    with pytest.raises(Crash):
        sync_link(
            engine,
            linked.key,
            linked.upstream_id,
            limits=SyncLimits(body_batch=40),
            after_batch=crash,
        )
    assert len(linked.emails()) == 10 + 40  # the newest 40
    with mail_user.connect() as client:
        client.select_folder("INBOX")
        client.add_flags(uids[-5:-4], [b"\\Flagged"])  # stored by the interrupted pass
        client.delete_messages(uids[-10:-9])
        client.expunge()

    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.headers == 60
    emails = {e.message_id: e for e in linked.emails()}
    assert len(emails) == 10 + 100 - 1 and len(linked.emails()) == 109
    assert "<new-90@test.mailapp.invalid>" not in emails
    assert emails["<new-95@test.mailapp.invalid>"].keywords == ["$flagged"]
    assert linked.blob_count() == 109

"""Mailboxes created, renamed and deleted in mailapp are so upstream; folders deleted or renamed
upstream by another client are followed here without losing mail or queued changes."""

from __future__ import annotations

import time
import uuid
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from mailapp.server.config import Settings
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.models import Email, Mailbox, identity
from mailapp.server.upstream import secrets
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.links import link, statuses
from mailapp.server.upstream.models import UpstreamFolder
from mailapp.server.upstream.run import sync_link
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.imap.messages import message, messages
from tests.server.conftest import run_server

SUBJECT = "m message {}: status report ✓"


def folders_upstream(mail_user: MailUser) -> set[str]:
    with mail_user.connect() as client:
        return {str(name) for _flags, _sep, name in client.list_folders()}


def subjects_upstream(mail_user: MailUser, folder: str) -> list[str]:
    with mail_user.connect() as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["ALL"])
        fetched = client.fetch(uids, ["ENVELOPE"]) if uids else {}
    return sorted(
        str(make_header(decode_header(data[b"ENVELOPE"].subject.decode())))
        for data in fetched.values()
    )


def mailboxes_here(linked: Linked) -> dict[str, str | None]:
    """Live mailbox name → its parent's name."""
    with session_scope(linked.engine, write=False) as session:
        rows = list(
            session.scalars(
                select(Mailbox).where(
                    Mailbox.account_id == linked.account_id, Mailbox.destroyed_modseq.is_(None)
                )
            )
        )
    names = {m.id: m.name for m in rows}
    return {m.name: names.get(m.parent_id) if m.parent_id else None for m in rows}


def mailbox_id(linked: Linked, name: str) -> str:
    with session_scope(linked.engine, write=False) as session:
        return session.scalars(
            select(Mailbox.id).where(
                Mailbox.account_id == linked.account_id,
                Mailbox.name == name,
                Mailbox.destroyed_modseq.is_(None),
            )
        ).one()


def create_here(linked: Linked, name: str, parent: str | None = None) -> str:
    """What a client's `mailbox.create` mutation does on the server."""
    parent_id = mailbox_id(linked, parent) if parent else None
    with session_scope(linked.engine) as session:
        modseq = bump_modseq(session, linked.account_id)
        box = Mailbox(
            id=uuid.uuid4().hex,
            account_id=linked.account_id,
            name=name,
            parent_id=parent_id,
            created_modseq=modseq,
            updated_modseq=modseq,
        )
        session.add(box)
        return box.id


def change_here(linked: Linked, name: str, *, new_name: str | None = None, destroy: bool = False):
    """What `mailbox.update` (a rename) or `mailbox.destroy` does on the server."""
    box_id = mailbox_id(linked, name)
    with session_scope(linked.engine) as session:
        box = session.get(Mailbox, identity(Mailbox, linked.account_id, box_id))
        assert box is not None
        box.updated_modseq = bump_modseq(session, linked.account_id)
        if new_name is not None:
            box.name = new_name
        if destroy:
            box.destroyed_modseq = box.updated_modseq


def move_here(linked: Linked, subject: str, mailbox: str) -> str:
    """What `email.move` does on the server; the email's id."""
    target = mailbox_id(linked, mailbox)
    (email,) = [e for e in linked.emails() if e.subject == subject]
    with session_scope(linked.engine) as session:
        row = session.get(Email, email.id)
        assert row is not None
        row.mailbox_id = target
        row.updated_modseq = bump_modseq(session, linked.account_id)
    return email.id


def where_is(linked: Linked, email_id: str) -> str | None:
    with session_scope(linked.engine, write=False) as session:
        email = session.get(Email, email_id)
        if email is None or email.destroyed_modseq is not None:
            return None
        return session.scalars(select(Mailbox.name).where(Mailbox.id == email.mailbox_id)).one()


def test_mailboxes_created_renamed_and_deleted_here_are_so_upstream(
    engine: Engine, mail_user: MailUser
) -> None:
    mail_user.append("INBOX", messages(3))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)

    create_here(linked, "Projects")
    create_here(linked, "2026", parent="Projects")
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.folders_created == 2
    assert {"Projects", "Projects/2026"} <= folders_upstream(mail_user)
    # Each is the mailbox made here, not a second one for the "new" folder.
    assert mailboxes_here(linked)["2026"] == "Projects"
    assert list(mailboxes_here(linked)).count("Projects") == 1

    change_here(linked, "Projects", new_name="Work")
    moved = move_here(linked, SUBJECT.format(0), "2026")
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.folders_renamed == 1 and stats.moved == 1
    upstream = folders_upstream(mail_user)
    assert {"Work", "Work/2026"} <= upstream and "Projects" not in upstream
    # The subfolder followed its parent: the move went into it, under its new name.
    assert subjects_upstream(mail_user, "Work/2026") == [SUBJECT.format(0)]
    assert mailboxes_here(linked) == {
        **{name: None for name in ("Inbox", "Drafts", "Sent", "Archive", "Junk", "Trash")},
        "Work": None,
        "2026": "Work",
    }

    # Emptied and deleted here while another client filed new mail into it upstream.
    move_here(linked, SUBJECT.format(0), "Inbox")
    sync_link(engine, linked.key, linked.upstream_id)
    mail_user.append("Work/2026", [message(4)])
    change_here(linked, "2026", destroy=True)
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.folders_deleted == 1
    assert "Work/2026" not in folders_upstream(mail_user)
    # Nothing lost: the moved message went back, the newcomer is in Trash on both sides.
    assert SUBJECT.format(0) in subjects_upstream(mail_user, "INBOX")
    assert subjects_upstream(mail_user, "Trash") == [SUBJECT.format(4)]
    sync_link(engine, linked.key, linked.upstream_id)
    assert linked.subjects("trash") == [SUBJECT.format(4)]
    assert where_is(linked, moved) == "Inbox"
    assert "2026" not in mailboxes_here(linked)
    assert linked.link_row().state == "ok"


def test_a_create_or_rename_already_done_upstream_is_adopted(
    engine: Engine, mail_user: MailUser
) -> None:
    """A worker that died after CREATE or RENAME: the next sync finds the folder as wanted and
    maps it, instead of making a second mailbox or a second folder."""
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    create_here(linked, "Receipts")
    with mail_user.connect() as client:
        client.create_folder("Receipts")  # done, bookkeeping lost
    mail_user.append("Receipts", [message(0)])
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.folders_created == 0
    assert list(mailboxes_here(linked)).count("Receipts") == 1
    assert [e.subject for e in linked.emails() if where_is(linked, e.id) == "Receipts"] == [
        SUBJECT.format(0)
    ]

    change_here(linked, "Receipts", new_name="Bills")
    with mail_user.connect() as client:
        client.rename_folder("Receipts", "Bills")
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.folders_renamed == 0 and stats.headers == 0
    assert "Receipts" not in mailboxes_here(linked) and "Receipts" not in folders_upstream(
        mail_user
    )
    assert [where_is(linked, e.id) for e in linked.emails()] == ["Bills"]


@pytest.mark.parametrize("same_uidvalidity", [True, False], ids=["same", "new-UIDVALIDITY"])
def test_a_folder_renamed_upstream_keeps_its_mailbox_and_messages(
    engine: Engine, mail_user: MailUser, same_uidvalidity: bool
) -> None:
    with mail_user.connect() as client:
        client.create_folder("Lists")
    mail_user.append("Lists", messages(3))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    before = {e.id for e in linked.emails()}
    box = mailbox_id(linked, "Lists")
    if not same_uidvalidity:
        # Servers need not keep UIDVALIDITY across RENAME (Dovecot does): as if it had not.
        with session_scope(engine) as session:
            session.execute(
                update(UpstreamFolder)
                .where(UpstreamFolder.name == "Lists")
                .values(uidvalidity=UpstreamFolder.uidvalidity + 1)
            )

    with mail_user.connect() as client:  # another IMAP client renames it
        client.rename_folder("Lists", "Mailing lists")
    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None and stats.headers == 0 and stats.expunged == 0
    assert stats.remapped == (0 if same_uidvalidity else 3)
    assert mailbox_id(linked, "Mailing lists") == box
    assert {e.id for e in linked.emails()} == before
    assert linked.link_row().state == "ok"


def test_a_folder_deleted_upstream_is_told_and_queued_moves_into_it_are_kept(
    engine: Engine, mail_user: MailUser
) -> None:
    with mail_user.connect() as client:
        client.create_folder("Lists")
    mail_user.append("INBOX", messages(2))
    mail_user.append("Lists", messages(3, tag="l"))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    assert len(linked.emails()) == 5

    queued = move_here(linked, SUBJECT.format(1), "Lists")  # not written upstream yet …
    rescued = move_here(linked, "l message 2: status report ✓", "Archive")  # nor this
    with mail_user.connect() as client:  # … when another client deletes the folder
        client.delete_folder("Lists")
    stats = sync_link(engine, linked.key, linked.upstream_id)

    assert stats is not None
    assert "Lists" not in mailboxes_here(linked)
    # Its other messages are gone here too; the one moved into it is where it still is, and
    # the one moved out of it is where the user put it, on both sides.
    assert sorted(e.subject for e in linked.emails()) == [
        "l message 2: status report ✓",
        SUBJECT.format(0),
        SUBJECT.format(1),
    ]
    assert where_is(linked, queued) == "Inbox"
    assert where_is(linked, rescued) == "Archive"
    assert subjects_upstream(mail_user, "Archive") == ["l message 2: status report ✓"]
    link_row = linked.link_row()
    assert link_row.state == "folder_deleted"
    assert link_row.last_error is not None
    assert "The folder “Lists” was deleted on the server" in link_row.last_error
    assert "2 messages were removed here" in link_row.last_error
    assert "1 message moved into it here could not be moved there" in link_row.last_error
    assert "“Inbox”" in link_row.last_error
    # What `mailapp-server status` prints.
    (status,) = statuses(engine, linked.user)
    assert "state folder_deleted" in status.line()
    assert "last error: The folder “Lists” was deleted on the server" in status.line()
    # Said again on the next sync (for a day), and nothing is retried in a loop.
    again = sync_link(engine, linked.key, linked.upstream_id)
    assert again is not None and again.moved == 0 and again.headers == 0
    assert again.folders_created == 0
    assert linked.link_row().state == "folder_deleted"
    assert where_is(linked, rescued) == "Archive"
    assert SUBJECT.format(1) in subjects_upstream(mail_user, "INBOX")


def test_a_folder_deleted_while_a_move_into_it_is_written_fails_readably(
    engine: Engine, mail_user: MailUser
) -> None:
    with mail_user.connect() as client:
        client.create_folder("Lists")
    uids = mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    queued = move_here(linked, SUBJECT.format(1), "Lists")
    with mail_user.connect() as client:  # a change upstream, so the Inbox is read first
        client.select_folder("INBOX")
        client.add_flags([uids[0]], [b"\\Flagged"])

    def deleted_meanwhile(phase: str, _count: int) -> None:
        # After the folder list was read, before the move into "Lists" is written.
        if phase == "changes":
            with mail_user.connect() as client:
                client.delete_folder("Lists")

    stats = sync_link(engine, linked.key, linked.upstream_id, after_batch=deleted_meanwhile)

    assert stats is None  # this sync stopped; no exception escaped
    link_row = linked.link_row()
    assert link_row.state == "folder_deleted"
    assert link_row.last_error is not None
    assert "A folder was deleted on the server while mailapp was writing" in link_row.last_error
    assert where_is(linked, queued) == "Lists"  # still queued, not lost
    # The next sync sees the folder gone: the move cannot happen, the message stays in Inbox.
    assert sync_link(engine, linked.key, linked.upstream_id) is not None
    assert where_is(linked, queued) == "Inbox"
    assert "“Lists” was deleted on the server" in (linked.link_row().last_error or "")
    assert SUBJECT.format(1) in subjects_upstream(mail_user, "INBOX")


def test_mailbox_mutations_over_rest_reach_the_imap_server(
    tmp_path: Path, mail_user: MailUser
) -> None:
    data = tmp_path / "data"
    secrets.create_key(data / secrets.KEY_FILE_NAME)
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as server:
        alice = server.new_user("alice")
        key = secrets.load_key(data / secrets.KEY_FILE_NAME)
        endpoint = Endpoint(mail_user.host, mail_user.port, "none", mail_user.name)
        link(server.engine, key, alice.name, endpoint, mail_user.password)

        def push(mid: int, kind: str, **args: object) -> None:
            reply = alice.client.post(
                "/v1/sync",
                json={
                    "clientId": "desk",
                    "mutations": [{"mutationId": mid, "type": kind, "args": args}],
                },
            )
            assert reply.json()["results"][0]["status"] == "applied", reply.text

        def upstream_becomes(wanted: set[str], gone: set[str]) -> set[str]:
            deadline = time.monotonic() + 30
            names = folders_upstream(mail_user)
            while not (wanted <= names and not gone & names) and time.monotonic() < deadline:
                time.sleep(0.1)
                names = folders_upstream(mail_user)
            return names

        box = str(uuid.uuid4())
        push(1, "mailbox.create", mailboxId=box, name="Clients")
        assert "Clients" in upstream_becomes({"Clients"}, set())
        push(2, "mailbox.update", mailboxId=box, name={"old": "Clients", "new": "Customers"})
        assert "Clients" not in upstream_becomes({"Customers"}, {"Clients"})
        push(3, "mailbox.destroy", mailboxId=box)
        assert "Customers" not in upstream_becomes(set(), {"Customers"})
        names = [m["name"] for m in alice.client.get("/v1/mailboxes").json()["items"]]
        assert "Customers" not in names and "Clients" not in names

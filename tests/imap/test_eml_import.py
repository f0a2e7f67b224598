"""A message imported here (`email.import`) into a linked account lands in the provider's
folder exactly once: with and without UIDPLUS, and after a worker died between the APPEND and
its bookkeeping."""

from __future__ import annotations

import pytest
from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp import wire
from mailapp.server.db import session_scope
from mailapp.server.models import Blob, Mailbox
from mailapp.server.routes.mutations import apply_batch
from mailapp.server.upstream.models import UpstreamImport
from mailapp.server.upstream.run import sync_link
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user

# Saved on Unix: lines end in LF alone, as many .eml files do.
EML = (
    b"From: Carol <carol@example.org>\n"
    b"To: alice@example.org\n"
    b"Subject: Imported minutes\n"
    b"Date: Tue, 01 Dec 2026 09:30:00 +0000\n"
    b"Message-ID: <imported-minutes@example.org>\n"
    b"\n"
    b"We agreed on the plan.\n"
)
NO_ID = EML.replace(b"Message-ID: <imported-minutes@example.org>\n", b"")


def import_into(linked: Linked, role: str, raw: bytes, mutation_id: int = 1) -> str:
    """What a desktop's upload and `email.import` push do on the server; the email's id."""
    with session_scope(linked.engine) as session:
        blob = Blob(account_id=linked.account_id, content_type="message/rfc822", size=len(raw))
        blob.data = raw
        session.add(blob)
        session.flush()
        mailbox_id = session.scalars(
            select(Mailbox.id).where(Mailbox.account_id == linked.account_id, Mailbox.role == role)
        ).one()
        mutation = wire.Mutation(
            mutation_id=mutation_id,
            type="email.import",
            args={"localId": "local-1", "mailboxId": mailbox_id, "blobId": blob.id},
        )
        (result,) = apply_batch(session, linked.account_id, "laptop", [mutation])
    assert result["status"] == "applied", result
    return str(result["serverRecord"]["id"])


def upstream_subjects(mail_user: MailUser, folder: str = "INBOX") -> list[str]:
    with mail_user.connect() as client:
        client.select_folder(folder, readonly=True)
        uids = client.search(["NOT", "DELETED"])
        fetched = client.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (SUBJECT)]"]) if uids else {}
    return sorted(
        bytes(data[b"BODY[HEADER.FIELDS (SUBJECT)]"]).decode().strip().removeprefix("Subject: ")
        for data in fetched.values()
    )


def without_uidplus(monkeypatch: pytest.MonkeyPatch) -> None:
    """A server without UIDPLUS: no APPENDUID in the answer."""
    has_capability, append = IMAPClient.has_capability, IMAPClient.append
    monkeypatch.setattr(
        IMAPClient,
        "has_capability",
        lambda self, name: name.upper() != "UIDPLUS" and has_capability(self, name),
    )
    monkeypatch.setattr(
        IMAPClient,
        "append",
        lambda self, *args, **kwargs: append(self, *args, **kwargs).split(b"] ", 1)[-1],
    )


@pytest.mark.parametrize(
    ("uidplus", "raw"),
    [(True, EML), (False, EML), (False, NO_ID)],
    ids=["UIDPLUS", "no-UIDPLUS", "no-UIDPLUS-no-Message-ID"],
)
def test_an_imported_message_is_appended_upstream_once(
    engine: Engine,
    mail_user: MailUser,
    monkeypatch: pytest.MonkeyPatch,
    uidplus: bool,
    raw: bytes,
) -> None:
    if not uidplus:
        without_uidplus(monkeypatch)
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    email_id = import_into(linked, "archive", raw)

    stats = sync_link(engine, linked.key, linked.upstream_id)
    sync_link(engine, linked.key, linked.upstream_id)  # a later run adds nothing

    assert stats is not None and stats.imports_appended == 1
    assert upstream_subjects(mail_user, "Archive") == ["Imported minutes"]
    # One email here: the copy upstream is that email, never imported as new mail.
    assert [e.id for e in linked.emails("archive")] == [email_id]
    with session_scope(engine, write=False) as session:
        row = session.scalars(select(UpstreamImport)).one()
    assert (row.email_id, row.state) == (email_id, "done") and row.uid is not None


def test_a_worker_dying_after_the_append_leaves_one_copy(
    engine: Engine, mail_user: MailUser
) -> None:
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id)
    email_id = import_into(linked, "inbox", NO_ID)

    class Died(Exception):
        pass

    def die_after_append(phase: str, _count: int) -> None:
        if phase == "imports":
            raise Died

    with pytest.raises(Died):
        sync_link(engine, linked.key, linked.upstream_id, after_batch=die_after_append)
    assert upstream_subjects(mail_user) == ["Imported minutes"]

    # The next run finds the copy among the folder's new mail and records it for the import.
    stats = sync_link(engine, linked.key, linked.upstream_id)
    assert stats is not None and stats.imports_appended == 0
    assert upstream_subjects(mail_user) == ["Imported minutes"]
    assert [e.id for e in linked.emails("inbox")] == [email_id]

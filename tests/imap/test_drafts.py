"""Drafts written in mailapp are kept in the provider's Drafts folder: one copy, the newest."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from mailapp.server.config import Settings
from mailapp.server.db import bump_modseq, session_scope
from mailapp.server.models import Draft, Email, Mailbox, identity
from mailapp.server.upstream import secrets
from mailapp.server.upstream.connection import Endpoint
from mailapp.server.upstream.links import link
from mailapp.server.upstream.models import UpstreamAccount
from mailapp.server.upstream.run import sync_link
from mailapp.server.upstream.syncer import SyncLimits
from tests.imap.conftest import MailUser
from tests.imap.helpers import Linked, link_user
from tests.server.conftest import run_server

NOW = SyncLimits(draft_delay=0.0)


def upstream_drafts(mail_user: MailUser) -> list[tuple[int, set[bytes], Any]]:
    """(UID, flags, parsed message) of every message in Dovecot's Drafts folder."""
    with mail_user.connect() as client:
        client.select_folder("Drafts", readonly=True)
        uids = client.search(["NOT", "DELETED"])
        fetched = client.fetch(uids, ["FLAGS", "BODY.PEEK[]"]) if uids else {}
    return [
        (
            uid,
            set(data[b"FLAGS"]),
            message_from_bytes(bytes(data[b"BODY[]"]), policy=policy.default),
        )
        for uid, data in sorted(fetched.items())
    ]


def save_draft(linked: Linked, draft_id: str, **fields: Any) -> None:
    """What a client's `draft.upsert` (or PUT /v1/drafts) does on the server."""
    with session_scope(linked.engine) as session:
        draft = session.get(Draft, identity(Draft, linked.account_id, draft_id))
        modseq = bump_modseq(session, linked.account_id)
        if draft is None:
            draft = Draft(id=draft_id, account_id=linked.account_id, created_modseq=modseq)
            session.add(draft)
        for name, value in fields.items():
            setattr(draft, name, value)
        draft.updated_modseq = modseq


def destroy_draft(linked: Linked, draft_id: str) -> None:
    with session_scope(linked.engine) as session:
        draft = session.get(Draft, identity(Draft, linked.account_id, draft_id))
        assert draft is not None
        draft.updated_modseq = draft.destroyed_modseq = bump_modseq(session, linked.account_id)


def body_of(message: Any) -> str:
    return str(message.get_body(preferencelist=("plain",)).get_content()).strip()


@pytest.mark.parametrize("uidplus", [True, False], ids=["UIDPLUS", "no-UIDPLUS"])
def test_edits_replace_the_copy_and_a_discard_removes_it(
    engine: Engine, mail_user: MailUser, uidplus: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not uidplus:  # a server without UIDPLUS: no APPENDUID, no UID EXPUNGE
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
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id, limits=NOW)

    save_draft(
        linked,
        "d1",
        subject="Plans",
        to=[{"name": "Bob", "email": "bob@example.org"}],
        bcc=[{"name": None, "email": "boss@example.org"}],
        body="first",
    )
    stats = sync_link(engine, linked.key, linked.upstream_id, limits=NOW)
    assert stats is not None and stats.drafts_saved == 1
    ((first_uid, flags, message),) = upstream_drafts(mail_user)
    assert {b"\\Draft", b"\\Seen"} <= flags
    assert (message["Subject"], body_of(message)) == ("Plans", "first")
    # Another mail client opening it there finds every recipient, Bcc included.
    assert "boss@example.org" in str(message["Bcc"])

    save_draft(linked, "d1", body="second")
    stats = sync_link(engine, linked.key, linked.upstream_id, limits=NOW)
    assert stats is not None and (stats.drafts_saved, stats.drafts_deleted) == (1, 1)
    ((uid, _flags, message),) = upstream_drafts(mail_user)
    assert uid != first_uid and body_of(message) == "second"

    # The copy is that draft: the next sync imports nothing into Drafts here.
    stats = sync_link(engine, linked.key, linked.upstream_id, limits=NOW)
    assert stats is not None and stats.drafts_saved == 0
    assert linked.emails("drafts") == []

    destroy_draft(linked, "d1")  # discarded, or sent
    stats = sync_link(engine, linked.key, linked.upstream_id, limits=NOW)
    assert stats is not None and stats.drafts_deleted == 1
    assert upstream_drafts(mail_user) == []


def test_autosaves_are_coalesced_until_the_draft_rests(engine: Engine, mail_user: MailUser) -> None:
    linked = link_user(engine, mail_user)
    rest = SyncLimits(draft_delay=3600.0)
    sync_link(engine, linked.key, linked.upstream_id, limits=rest)

    for text in ("H", "He", "Hel", "Hello"):  # a composer autosaving while the user types
        save_draft(linked, "d1", subject="Hi", body=text)
        stats = sync_link(engine, linked.key, linked.upstream_id, limits=rest)
        assert stats is not None and stats.drafts_saved == 0
        # The worker comes back when the draft will have rested.
        assert stats.drafts_due_in is not None and 3500 < stats.drafts_due_in <= 3600
    assert upstream_drafts(mail_user) == []

    stats = sync_link(engine, linked.key, linked.upstream_id, limits=NOW)  # it rested
    assert stats is not None and stats.drafts_saved == 1
    ((_uid, _flags, message),) = upstream_drafts(mail_user)
    assert body_of(message) == "Hello"


def test_a_worker_dying_after_the_append_leaves_one_copy(
    engine: Engine, mail_user: MailUser
) -> None:
    linked = link_user(engine, mail_user)
    sync_link(engine, linked.key, linked.upstream_id, limits=NOW)
    save_draft(linked, "d1", subject="Once", body="v1")
    sync_link(engine, linked.key, linked.upstream_id, limits=NOW)
    save_draft(linked, "d1", body="v2")

    class Died(Exception):
        pass

    def die_after_append(phase: str, _count: int) -> None:
        # The worker's lease-renewal point between the APPEND and its bookkeeping.
        if phase == "drafts":
            raise Died

    with pytest.raises(Died):
        sync_link(engine, linked.key, linked.upstream_id, limits=NOW, after_batch=die_after_append)
    assert [body_of(m) for _u, _f, m in upstream_drafts(mail_user)] == ["v1", "v2"]

    # The next worker finds the appended version instead of appending it again, and removes
    # the older one; nothing was imported as mail.
    stats = sync_link(engine, linked.key, linked.upstream_id, limits=NOW)
    assert stats is not None and (stats.drafts_saved, stats.drafts_deleted) == (1, 1)
    assert [body_of(m) for _u, _f, m in upstream_drafts(mail_user)] == ["v2"]
    assert linked.emails("drafts") == []


def test_a_draft_saved_three_times_over_rest_is_one_copy_upstream(
    tmp_path: Path, mail_user: MailUser
) -> None:
    data = tmp_path / "data"
    secrets.create_key(data / secrets.KEY_FILE_NAME)
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'server.sqlite3'}",
        upstream_draft_delay=0.5,
        upstream_poll_interval=1.0,  # the "next incremental sync" comes soon
    )
    with run_server(settings) as server:
        alice = server.new_user("alice")
        key = secrets.load_key(data / secrets.KEY_FILE_NAME)
        endpoint = Endpoint(mail_user.host, mail_user.port, "none", mail_user.name)
        link(server.engine, key, alice.name, endpoint, mail_user.password)

        fields = {"subject": "Quarterly", "to": [{"name": "Bob", "email": "bob@example.org"}]}
        reply = alice.client.put(
            "/v1/drafts/d-rest",
            json={**fields, "body": "draft 1"},
            headers={"If-None-Match": "*"},
        )
        assert reply.status_code == 201, reply.text
        for n in (2, 3):
            reply = alice.client.put(
                "/v1/drafts/d-rest",
                json={**fields, "body": f"draft {n}"},
                headers={"If-Match": reply.headers["ETag"]},
            )
            assert reply.status_code == 200, reply.text

        deadline = time.monotonic() + 30
        found = upstream_drafts(mail_user)
        while [body_of(m) for _u, _f, m in found] != ["draft 3"] and time.monotonic() < deadline:
            time.sleep(0.1)
            found = upstream_drafts(mail_user)
        assert [body_of(m) for _u, _f, m in found] == ["draft 3"]

        # After the next incremental syncs the copy is still the draft, not a message.
        with session_scope(server.engine, write=False) as session:
            synced_at = session.scalars(select(UpstreamAccount.last_sync_at)).one()
        changed = synced_at
        while changed == synced_at and time.monotonic() < deadline:
            time.sleep(0.1)
            with session_scope(server.engine, write=False) as session:
                changed = session.scalars(select(UpstreamAccount.last_sync_at)).one()
        assert changed != synced_at
        drafts = alice.client.get("/v1/drafts").json()["items"]
        assert [d["body"] for d in drafts] == ["draft 3"]
        with session_scope(server.engine, write=False) as session:
            drafts_box = session.scalars(
                select(Mailbox.id).where(
                    Mailbox.account_id == alice.account_id, Mailbox.role == "drafts"
                )
            ).one()
            in_drafts = session.scalars(
                select(Email.id).where(
                    Email.mailbox_id == drafts_box, Email.destroyed_modseq.is_(None)
                )
            ).all()
        assert in_drafts == []
        assert [body_of(m) for _u, _f, m in upstream_drafts(mail_user)] == ["draft 3"]

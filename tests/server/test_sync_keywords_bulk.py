"""Keyword changes are written in bulk (one executemany per savepoint, mutation_context.py), not
through the ORM: mixed with moves, destroys and rejections of the same emails in one batch,
every email still ends with the last change's values and modseq, in request order."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import select

from mailapp.server.db import session_scope
from mailapp.server.models import Email
from tests.server.conftest import RunningServer, User
from tests.server.test_sync import inbox_id, mutation, sync


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


def stored(server: RunningServer, email_id: str) -> tuple[list[str], str, int, int | None]:
    with session_scope(server.engine, write=False) as session:
        row = session.execute(
            select(Email.keywords, Email.mailbox_id, Email.updated_modseq, Email.destroyed_modseq)
            .where(Email.id == email_id)
        ).one()
    return sorted(row.keywords), row.mailbox_id, row.updated_modseq, row.destroyed_modseq


def feed_record(user: User, since: str, email_id: str) -> dict[str, Any]:
    changes = user.client.get("/v1/changes", params={"since": since}).json()
    emails = changes["emails"]
    (record,) = [r for r in emails["created"] + emails["updated"] if r["id"] == email_id]
    return dict(record)


def test_keywords_mixed_with_moves_and_destroys_keep_request_order(
    server: RunningServer, user: User
) -> None:
    inbox = inbox_id(user)
    archive = str(uuid.uuid4())
    sync(user, [mutation(1, "mailbox.create", mailboxId=archive, name="Archive")])
    moved, destroyed, plain = (server.deliver(user.account_id) for _ in range(3))
    since = str(user.client.get("/v1/session").json()["state"])
    body = sync(
        user,
        [
            mutation(2, "email.keywords", emailId=moved, add=["$seen"]),
            mutation(3, "email.move", emailId=moved, mailboxId={"old": inbox, "new": archive}),
            mutation(4, "email.keywords", emailId=moved, add=["$flagged"]),
            mutation(5, "email.keywords", emailId=destroyed, add=["$seen"]),
            mutation(6, "email.destroy", emailId=destroyed),
            mutation(7, "email.keywords", emailId=destroyed, add=["$flagged"]),
            mutation(8, "email.keywords", emailId=plain, add=["$seen", "$flagged"]),
            mutation(9, "email.keywords", emailId=plain, remove=["$seen"]),
            mutation(10, "email.keywords", emailId=plain, remove=["$seen"]),
        ],
        since=since,
    )
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "conflict",  # keywords of a destroyed email
        "applied",
        "applied",
        "merged",
    ]
    top = int(body["newState"])

    keywords, mailbox, modseq, gone = stored(server, moved)
    assert (keywords, mailbox, gone) == (["$flagged", "$seen"], archive, None)
    assert modseq == top - 4  # mutation 4's, the email's last change
    assert feed_record(user, since, moved)["keywords"] == ["$flagged", "$seen"]

    keywords, _, modseq, gone = stored(server, destroyed)
    assert keywords == ["$seen"] and gone == modseq  # destroyed last, with its own modseq
    assert destroyed in body["changes"]["emails"]["destroyed"]

    keywords, _, modseq, _ = stored(server, plain)
    assert keywords == ["$flagged"] and modseq == top


def test_a_rejected_chunk_keeps_no_queued_keyword_write(server: RunningServer, user: User) -> None:
    """One bad mutation makes its chunk run again one savepoint each: the keyword writes
    queued by the first attempt must not be written twice or left behind."""
    first, second = server.deliver(user.account_id), server.deliver(user.account_id)
    body = sync(
        user,
        [
            mutation(1, "email.keywords", emailId=first, add=["$seen"]),
            mutation(2, "email.move", emailId=second, mailboxId={"old": "x", "new": "nowhere"}),
            mutation(3, "email.keywords", emailId=second, add=["$flagged"]),
        ],
    )
    assert [r["status"] for r in body["results"]] == ["applied", "rejected", "applied"]
    assert stored(server, first)[0] == ["$seen"]
    assert stored(server, second)[0] == ["$flagged"]
    assert stored(server, second)[2] > stored(server, first)[2]

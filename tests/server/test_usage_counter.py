"""The storage counter (account.mail_bytes, kept by triggers from migration 0019) equals the sum
over the account's live emails after every kind of write: deliveries, email.import, the
`mailapp-server import` bulk path, email.destroy, DELETE /v1/messages, tombstone pruning and
blob collection; and GET /v1/session reports it."""

from __future__ import annotations

import dataclasses
import mailbox
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mailapp.server.db import session_scope
from mailapp.server.housekeeping import prune_step
from mailapp.server.importer import import_messages
from mailapp.server.models import Account, Blob, Email
from tests.server.conftest import RunningServer, User


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    """Tests here only touch their own users: share one server per module."""
    return shared_server


def raw_message(subject: str, body: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Sender <sender@example.net>"
    message["To"] = "alice@example.org"
    message["Subject"] = subject
    message["Message-ID"] = f"<{uuid.uuid4().hex}@example.net>"
    message.set_content(body)
    return message.as_bytes()


def counted(server: RunningServer, account_id: str) -> tuple[int, int, int]:
    """(the counter, the sum it stands for, the blobs' bytes)."""
    with session_scope(server.engine, write=False) as session:
        counter = session.scalar(select(Account.mail_bytes).where(Account.id == account_id))
        total = session.scalar(
            select(func.coalesce(func.sum(Email.size), 0)).where(
                Email.account_id == account_id, Email.destroyed_modseq.is_(None)
            )
        )
        blobs = session.scalar(
            select(func.coalesce(func.sum(Blob.size), 0)).where(Blob.account_id == account_id)
        )
    return int(counter or 0), int(total or 0), int(blobs or 0)


def check(server: RunningServer, user: User) -> int:
    counter, total, blobs = counted(server, user.account_id)
    assert counter == total
    quota = user.client.get("/v1/session").json()["quotas"]["storageBytes"]
    assert quota["used"] == total + blobs
    return total


def sync(user: User, mutations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    response = user.client.post(
        "/v1/sync", json={"clientId": "device-a", "sinceState": None, "mutations": mutations}
    )
    assert response.status_code == 200, response.text
    return list(response.json()["results"])


def test_counter_follows_every_write_path(server: RunningServer, tmp_path: Path) -> None:
    user = server.new_user("usage")
    bystander = server.new_user("bystander")
    server.deliver(bystander.account_id, subject="not counted for the user")
    assert check(server, user) == 0

    # Deliveries (the path of local delivery, inbound LMTP and the Sent copy).
    delivered = [server.deliver(user.account_id, subject=f"Delivered {n}") for n in range(3)]
    after_delivery = check(server, user)
    assert after_delivery > 0

    # email.import: an uploaded blob (counted as a blob) becomes an email (counted as mail).
    raw = raw_message("Imported here", "From an .eml file.\n" * 50)
    uploaded = user.client.post(
        "/v1/blobs", content=raw, headers={"Content-Type": "message/rfc822"}
    )
    assert uploaded.status_code == 201, uploaded.text
    check(server, user)
    inbox = next(
        box["id"]
        for box in user.client.get("/v1/mailboxes").json()["items"]
        if box["role"] == "inbox"
    )
    imported = sync(
        user,
        [
            {
                "mutationId": 1,
                "type": "email.import",
                "args": {
                    "localId": str(uuid.uuid4()),
                    "mailboxId": inbox,
                    "blobId": uploaded.json()["blobId"],
                },
            }
        ],
    )
    assert imported[0]["status"] == "applied", imported
    assert check(server, user) == after_delivery + len(raw)

    # `mailapp-server import`: Core bulk inserts.
    source = tmp_path / "old.mbox"
    box = mailbox.mbox(source)
    for n in range(5):
        box.add(mailbox.mboxMessage(raw_message(f"Archived {n}", f"Old mail {n}.\n")))
    box.flush()
    box.close()
    import_messages(server.engine, user.name, source)
    after_import = check(server, user)

    # Deletions: email.destroy, and DELETE /v1/messages/{id}.
    destroyed = sync(
        user, [{"mutationId": 2, "type": "email.destroy", "args": {"emailId": delivered[0]}}]
    )
    assert destroyed[0]["status"] == "applied"
    after_destroy = check(server, user)
    assert after_destroy < after_import
    etag = user.client.get(f"/v1/messages/{delivered[1]}").headers["ETag"]
    deleted = user.client.delete(f"/v1/messages/{delivered[1]}", headers={"If-Match": etag})
    assert deleted.status_code == 204, deleted.text
    assert check(server, user) < after_destroy
    # Destroying a tombstone again changes nothing.
    sync(user, [{"mutationId": 3, "type": "email.destroy", "args": {"emailId": delivered[0]}}])
    before_housekeeping = check(server, user)

    # Housekeeping: pruning the tombstones deletes rows that no longer counted; collecting
    # blobs deletes uploads no draft names.
    orphan = user.client.post("/v1/blobs", content=b"x" * 1000, headers={"Content-Type": "a/b"})
    assert orphan.status_code == 201
    settings = dataclasses.replace(server.settings, tombstone_retention=0, blob_grace_seconds=0)
    prune_step(server.engine, settings)
    with session_scope(server.engine, write=False) as session:
        left = session.scalar(
            select(func.count()).where(
                Email.account_id == user.account_id, Email.destroyed_modseq.is_not(None)
            )
        )
    assert left == 0
    assert check(server, user) == before_housekeeping
    assert counted(server, user.account_id)[2] == 0

    # The other account's counter was never touched by any of it.
    assert counted(server, bystander.account_id)[0] == counted(server, bystander.account_id)[1]
    assert counted(server, bystander.account_id)[0] > 0

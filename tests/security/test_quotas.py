"""Memory and disk blow-up from one small upload (issue 13, High).

One 5 MiB blob referenced 40 times by a 5.7 KB draft took the server from 199 MB to 3.2 GB of
memory and grew its database by 1.1 GiB: nothing capped the attachment count, the message size
or an account's storage, and unreferenced blobs were never deleted. The sizes here are scaled
down with the caps, which makes the same point in a fraction of the time.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from mailapp.server.db import session_scope
from mailapp.server.housekeeping import collect_blobs
from mailapp.server.models import Blob
from mailapp.server.smtp_relay import dot_stuffed
from tests.security.conftest import RunningServer, User
from tests.server.test_delivery import push, records, wait_for_state

KIB = 1024


def upload(user: User, size: int, fill: bytes = b"\x00") -> Any:
    return user.client.post(
        "/v1/blobs", content=fill * size, headers={"Content-Type": "application/octet-stream"}
    )


def attachment(blob_id: str, size: int) -> dict[str, Any]:
    return {
        "name": "data.bin",
        "contentType": "application/octet-stream",
        "size": size,
        "blobId": blob_id,
    }


def save_draft(user: User, draft_id: str, attachments: list[dict[str, Any]]) -> None:
    fields = {
        "to": {"old": None, "new": [{"name": None, "email": "bob@remote.example"}]},
        "attachments": {"old": None, "new": attachments},
    }
    answer = push(user, [{"type": "draft.upsert", "args": {"draftId": draft_id, "fields": fields}}])
    assert answer["results"][0]["status"] == "applied", answer


def send(user: User, draft_id: str, send_at: datetime | None = None) -> dict[str, Any]:
    args = {"submissionId": str(uuid.uuid4()), "draftId": draft_id}
    if send_at is not None:
        args["sendAt"] = send_at.isoformat()
    answer = push(user, [{"type": "submission.create", "args": args}])
    return dict(answer["results"][0])


def quotas(user: User) -> dict[str, dict[str, int]]:
    return dict(user.client.get("/v1/session").json()["quotas"])


def test_one_blob_named_forty_times_is_refused_before_anything_is_built(
    server_factory: Callable[..., RunningServer],
) -> None:
    blob_size = 256 * KIB  # 5 MiB in the report
    server = server_factory(max_message_bytes=2 * 1024 * KIB)
    user = server.new_user()
    blob = upload(user, blob_size).json()["blobId"]
    draft_id = str(uuid.uuid4())
    save_draft(user, draft_id, [attachment(blob, blob_size)] * 40)

    started = time.monotonic()
    result = send(user, draft_id)
    assert time.monotonic() - started < 5.0
    assert result["status"] == "rejected" and result["reason"] == "messageTooLarge"
    assert str(40 * blob_size) in result["detail"] and str(2 * 1024 * KIB) in result["detail"]
    # Nothing was queued, so nothing will be built, stored or sent.
    assert records(user, "submissions") == {}


def test_attachment_count_is_capped(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory(max_attachments_per_message=10)
    user = server.new_user()
    assert user.client.get("/v1/session").json()["limits"]["maxAttachmentsPerMessage"] == 10
    blob = upload(user, 10).json()["blobId"]
    draft_id = str(uuid.uuid4())
    save_draft(user, draft_id, [attachment(blob, 10)] * 40)
    result = send(user, draft_id)
    assert result["reason"] == "tooManyAttachments"
    assert "40 attachments" in result["detail"] and "at most 10" in result["detail"]


def test_a_draft_grown_after_scheduling_fails_when_it_is_built(
    server_factory: Callable[..., RunningServer], monkeypatch: Any
) -> None:
    monkeypatch.setenv("MAILAPP_DELIVERY_POLL", "0.1")
    server = server_factory(max_message_bytes=64 * KIB)
    user = server.new_user()
    blob = upload(user, 16 * KIB).json()["blobId"]
    draft_id = str(uuid.uuid4())
    save_draft(user, draft_id, [attachment(blob, 16 * KIB)])
    result = send(user, draft_id, send_at=datetime.now(UTC) + timedelta(seconds=2))
    assert result["status"] == "applied"
    (submission,) = records(user, "submissions").values()
    old = [attachment(blob, 16 * KIB)]
    grown = {"attachments": {"old": old, "new": old * 40}}
    push(user, [{"type": "draft.upsert", "args": {"draftId": draft_id, "fields": grown}}])

    failed = wait_for_state(user, submission["id"], "failed", "sent")
    assert failed["state"] == "failed"
    assert "at most 65536 bytes" in failed["error"]


def test_session_reports_storage_and_blobs_awaiting_use(server: RunningServer, user: User) -> None:
    before = quotas(user)
    assert before["storageBytes"]["used"] == 0
    assert before["pendingBlobs"] == {"used": 0, "limit": server.settings.pending_blob_quota_count}
    assert before["storageBytes"]["limit"] == server.settings.storage_quota_bytes

    blob = upload(user, 3000).json()["blobId"]
    waiting = quotas(user)
    assert waiting["storageBytes"]["used"] == 3000
    assert waiting["pendingBlobBytes"]["used"] == 3000 and waiting["pendingBlobs"]["used"] == 1

    save_draft(user, str(uuid.uuid4()), [attachment(blob, 3000)])
    used = quotas(user)
    assert used["pendingBlobBytes"]["used"] == 0 and used["pendingBlobs"]["used"] == 0
    assert used["storageBytes"]["used"] == 3000

    email_id = server.deliver(user.account_id)
    with_mail = quotas(user)["storageBytes"]["used"]
    size = user.client.get(f"/v1/messages/{email_id}").json()["size"]
    assert with_mail == 3000 + size
    # Another account's usage is its own.
    assert quotas(server.new_user())["storageBytes"]["used"] == 0


def test_uploads_past_a_quota_are_refused_with_the_quota_named(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(
        pending_blob_quota_bytes=100 * KIB,
        pending_blob_quota_count=3,
        storage_quota_bytes=400 * KIB,
    )
    user = server.new_user()
    first = upload(user, 60 * KIB)
    assert first.status_code == 201
    refused = upload(user, 60 * KIB)
    assert refused.status_code == 413
    assert refused.headers["content-type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("/overQuota")
    assert problem["quota"] == "pendingBlobBytes" and problem["limitValue"] == 100 * KIB
    assert "Save the drafts" in problem["detail"]

    # Once a draft uses the first upload, the second one fits.
    save_draft(user, str(uuid.uuid4()), [attachment(first.json()["blobId"], 60 * KIB)])
    assert upload(user, 60 * KIB).status_code == 201
    assert upload(user, 1).status_code == 201
    assert upload(user, 1).status_code == 201
    too_many = upload(user, 1)
    assert too_many.status_code == 413 and too_many.json()["quota"] == "pendingBlobs"

    # Storage counts everything the account keeps.
    other = server.new_user()
    for _ in range(6):
        blob = upload(other, 60 * KIB).json()["blobId"]
        save_draft(other, str(uuid.uuid4()), [attachment(blob, 60 * KIB)])
    full = upload(other, 60 * KIB)
    assert full.status_code == 413 and full.json()["quota"] == "storageBytes"
    assert "Delete mail or attachments" in full.json()["detail"]


def test_sending_needs_room_for_the_sent_copy(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory(storage_quota_bytes=100 * KIB)
    user = server.new_user()
    blob = upload(user, 60 * KIB).json()["blobId"]
    draft_id = str(uuid.uuid4())
    save_draft(user, draft_id, [attachment(blob, 60 * KIB)])
    result = send(user, draft_id)
    assert result["status"] == "rejected" and result["reason"] == "overQuota"
    assert "storage is full" in result["detail"]


def test_a_local_recipient_whose_storage_is_full_is_refused(
    server_factory: Callable[..., RunningServer], monkeypatch: Any
) -> None:
    monkeypatch.setenv("MAILAPP_DELIVERY_POLL", "0.1")
    server = server_factory(storage_quota_bytes=40 * KIB)
    alice, bob = server.new_user("alice"), server.new_user("bob")
    server.deliver(bob.account_id, b"Subject: big\r\n\r\n" + b"x" * 30 * KIB)
    draft_id = str(uuid.uuid4())
    fields = {
        "to": {"old": None, "new": [{"name": None, "email": f"{bob.name}@example.org"}]},
        "body": {"old": None, "new": "y" * 15 * KIB},
    }
    push(alice, [{"type": "draft.upsert", "args": {"draftId": draft_id, "fields": fields}}])
    assert send(alice, draft_id)["status"] == "applied"
    (submission,) = records(alice, "submissions").values()
    failed = wait_for_state(alice, submission["id"], "failed", "sent")
    assert failed["state"] == "failed"
    assert "552" in failed["error"] and "mailbox is full" in failed["error"]
    assert quotas(bob)["storageBytes"]["used"] < 40 * KIB


def test_unused_blobs_are_deleted_after_the_grace_period(server: RunningServer, user: User) -> None:
    kept = upload(user, 100).json()["blobId"]
    dropped = upload(user, 100).json()["blobId"]
    save_draft(user, str(uuid.uuid4()), [attachment(kept, 100)])

    # Within the grace period nothing goes: the draft naming it may still be on its way.
    assert collect_blobs(server.engine, grace_seconds=3600) == 0
    later = datetime.now(UTC) + timedelta(hours=2)
    assert collect_blobs(server.engine, grace_seconds=3600, now=later) == 1
    assert user.client.get(f"/v1/blobs/{kept}").status_code == 200
    assert user.client.get(f"/v1/blobs/{dropped}").status_code == 404
    assert quotas(user)["storageBytes"]["used"] == 100


def test_the_running_server_collects_unused_blobs_by_itself(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(blob_grace_seconds=0.5, housekeeping_interval=0.2)
    user = server.new_user()
    blob = upload(user, 100).json()["blobId"]
    deadline = time.monotonic() + 20
    while user.client.get(f"/v1/blobs/{blob}").status_code == 200:
        assert time.monotonic() < deadline, "the unused blob was never deleted"
        time.sleep(0.1)
    with session_scope(server.engine, write=False) as session:
        assert session.scalar(select(func.count(Blob.id))) == 0


def _smtplib_data(message: bytes) -> bytes:
    """What smtplib's SMTP.data() sends for `message` (RFC 5321 4.5.2 dot-stuffing)."""
    quoted = re.sub(rb"(?m)^\.", b"..", message)
    if quoted[-2:] != b"\r\n":
        quoted += b"\r\n"
    return quoted + b".\r\n"


@given(st.binary(max_size=300), st.integers(min_value=1, max_value=64))
def test_streamed_data_is_exactly_what_smtplib_would_send(message: bytes, chunk: int) -> None:
    # The relay streams DATA from the one copy of the message instead of smtplib's copies.
    message = message.replace(b"\r", b"").replace(b"\n", b"\r\n")
    assert b"".join(bytes(c) for c in dot_stuffed(message, chunk)) == _smtplib_data(message)

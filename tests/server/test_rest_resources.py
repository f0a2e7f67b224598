"""Plain REST: ETags and If-Match (428/412), keyset paging, bodies, raw MIME, attachments."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest

from tests.server.conftest import RunningServer, User


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    """Tests here only touch their own users: share one server per module."""
    return shared_server


def inbox(user: User) -> str:
    items = user.client.get("/v1/mailboxes").json()["items"]
    return next(m["id"] for m in items if m["role"] == "inbox")


def test_message_patch_needs_a_current_etag(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id, subject="Invoice")
    first = user.client.get(f"/v1/messages/{email_id}")
    etag = first.headers["ETag"]
    assert etag == f'"{first.json()["updatedModseq"]}"'
    assert (
        user.client.get(f"/v1/messages/{email_id}", headers={"If-None-Match": etag}).status_code
        == 304
    )

    missing = user.client.patch(f"/v1/messages/{email_id}", json={"addKeywords": ["$seen"]})
    assert missing.status_code == 428
    assert missing.headers["content-type"] == "application/problem+json"

    ok = user.client.patch(
        f"/v1/messages/{email_id}", json={"addKeywords": ["$seen"]}, headers={"If-Match": etag}
    )
    assert ok.status_code == 200 and ok.json()["keywords"] == ["$seen"]
    assert ok.headers["ETag"] != etag

    stale = user.client.patch(
        f"/v1/messages/{email_id}", json={"addKeywords": ["$flagged"]}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    problem = stale.json()
    assert problem["currentRecord"]["keywords"] == ["$seen"]
    assert stale.headers["ETag"] == ok.headers["ETag"]

    gone = user.client.delete(f"/v1/messages/{email_id}", headers={"If-Match": etag})
    assert gone.status_code == 412
    assert (
        user.client.delete(
            f"/v1/messages/{email_id}", headers={"If-Match": ok.headers["ETag"]}
        ).status_code
        == 204
    )
    assert user.client.get(f"/v1/messages/{email_id}").status_code == 404


def test_moving_a_message_to_a_missing_mailbox_is_refused(
    server: RunningServer, user: User
) -> None:
    email_id = server.deliver(user.account_id)
    response = user.client.patch(
        f"/v1/messages/{email_id}", json={"mailboxId": str(uuid.uuid4())}, headers={"If-Match": "*"}
    )
    assert response.status_code == 422
    assert user.client.get(f"/v1/messages/{email_id}").json()["mailboxId"] == inbox(user)


def test_draft_create_replace_patch_delete(server: RunningServer, user: User) -> None:
    draft_id = str(uuid.uuid4())
    url = f"/v1/drafts/{draft_id}"
    assert user.client.put(url, json={"subject": "Hi"}).status_code == 428
    created = user.client.put(
        url,
        json={"subject": "Hi", "to": [{"email": "bob@example.org"}]},
        headers={"If-None-Match": "*"},
    )
    assert created.status_code == 201
    assert created.json()["to"] == [{"name": None, "email": "bob@example.org"}]
    again = user.client.put(url, json={"subject": "Other"}, headers={"If-None-Match": "*"})
    assert again.status_code == 412 and again.json()["currentRecord"]["subject"] == "Hi"

    etag = created.headers["ETag"]
    patched = user.client.patch(url, json={"body": "Text"}, headers={"If-Match": etag})
    assert patched.status_code == 200
    assert (patched.json()["subject"], patched.json()["body"]) == ("Hi", "Text")
    replaced = user.client.put(
        url, json={"subject": "New"}, headers={"If-Match": patched.headers["ETag"]}
    )
    assert replaced.json()["body"] is None and replaced.json()["subject"] == "New"
    assert user.client.patch(url, json={"body": "x"}, headers={"If-Match": etag}).status_code == 412
    assert user.client.delete(url).status_code == 428
    assert (
        user.client.delete(url, headers={"If-Match": replaced.headers["ETag"]}).status_code == 204
    )
    assert draft_id not in [d["id"] for d in user.client.get("/v1/drafts").json()["items"]]


def test_keyset_paging_newest_first_and_stable(server: RunningServer, user: User) -> None:
    ids = [
        server.deliver(
            user.account_id, subject=f"m{day}", date=f"Mon, {day:02d} Jun 2025 10:00:00 +0000"
        )
        for day in range(1, 8)
    ]
    box = inbox(user)
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 3} | ({"after": cursor} if cursor else {})
        page = user.client.get(f"/v1/mailboxes/{box}/messages", params=params).json()
        seen += [m["id"] for m in page["items"]]
        if page["nextCursor"] is None:
            break
        cursor = page["nextCursor"]
        # New mail arriving between pages must not shift the pages already read.
        server.deliver(user.account_id, subject="new", date="Tue, 01 Jul 2025 10:00:00 +0000")
    assert seen == list(reversed(ids))
    bad = user.client.get(f"/v1/mailboxes/{box}/messages", params={"after": "not-a-cursor"})
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


def test_body_raw_and_attachment(server: RunningServer, user: User) -> None:
    message = EmailMessage()
    message["From"] = "Ann <ann@example.net>"
    message["To"] = "me@example.org"
    message["Subject"] = "Photos"
    message.set_content("Plain words")
    message.add_alternative("<p>Rich <b>words</b></p>", subtype="html")
    message.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="cat.png")
    raw = message.as_bytes()
    email_id = server.deliver(user.account_id, raw)

    record = user.client.get(f"/v1/messages/{email_id}").json()
    assert record["hasAttachment"] and record["preview"] == "Plain words"
    assert record["from"] == [{"name": "Ann", "email": "ann@example.net"}]
    [attachment] = record["attachments"]
    assert (attachment["name"], attachment["contentType"], attachment["size"]) == (
        "cat.png",
        "image/png",
        9,
    )

    body = user.client.get(f"/v1/messages/{email_id}/body").json()
    assert body["text"].strip() == "Plain words" and "<b>words</b>" in body["html"]
    assert user.client.get(f"/v1/messages/{email_id}/raw").content == raw
    part = user.client.get(f"/v1/messages/{email_id}/attachments/{attachment['partId']}")
    assert part.content == b"\x89PNG fake" and part.headers["content-type"] == "image/png"
    assert user.client.get(f"/v1/messages/{email_id}/attachments/0").status_code == 404


def test_blob_upload_round_trip(server: RunningServer, user: User) -> None:
    info = user.client.post(
        "/v1/blobs", content=b"%PDF-1.4", headers={"Content-Type": "application/pdf"}
    )
    assert info.status_code == 201
    blob = info.json()
    assert (blob["size"], blob["contentType"]) == (8, "application/pdf")
    fetched = user.client.get(f"/v1/blobs/{blob['blobId']}")
    assert fetched.content == b"%PDF-1.4" and fetched.headers["content-type"] == "application/pdf"

"""POST /v1/sync: per-mutation results, merging, idempotence, lost responses."""

from __future__ import annotations

import json
import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from mailapp.server.db import session_scope
from mailapp.server.models import Email, Submission
from tests.server.conftest import RunningServer, User


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    """Tests here only touch their own users: share one server per module."""
    return shared_server


def sync(
    user: User,
    mutations: list[dict[str, Any]],
    client_id: str = "device-a",
    since: str | None = None,
) -> dict[str, Any]:
    response = user.client.post(
        "/v1/sync", json={"clientId": client_id, "sinceState": since, "mutations": mutations}
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def mutation(mid: int, kind: str, **args: Any) -> dict[str, Any]:
    return {"mutationId": mid, "type": kind, "args": args}


def inbox_id(user: User) -> str:
    boxes = user.client.get("/v1/mailboxes").json()["items"]
    return next(box["id"] for box in boxes if box["role"] == "inbox")


def state(user: User) -> str:
    return str(user.client.get("/v1/session").json()["state"])


def new_draft(user: User, mid: int, to: str = "bob@example.org", **kw: Any) -> dict[str, Any]:
    draft_id = str(uuid.uuid4())
    fields = {
        "to": {"old": None, "new": [{"name": "Bob", "email": to}]},
        "body": {"old": None, "new": "hi"},
    }
    fields.update(kw)
    return mutation(mid, "draft.upsert", draftId=draft_id, fields=fields)


def test_push_and_pull_in_one_round_trip(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id, subject="Quarterly report")
    since = state(user)
    body = sync(
        user,
        [mutation(1, "email.keywords", emailId=email_id, add=["$seen"], remove=[])],
        since=since,
    )
    assert body["results"] == [{"mutationId": 1, "status": "applied"}]
    updated = body["changes"]["emails"]["updated"]
    assert [(e["id"], e["keywords"]) for e in updated] == [(email_id, ["$seen"])]
    assert body["newState"] == state(user) and int(body["newState"]) > int(since)


def test_one_bad_mutation_does_not_poison_the_batch(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id)
    results = sync(
        user,
        [
            mutation(1, "email.keywords", emailId=email_id, add=["$flagged"]),
            mutation(2, "email.keywords", emailId=email_id, add=["bad keyword"]),
            mutation(3, "email.teleport", emailId=email_id),
            mutation(4, "email.keywords", emailId=str(uuid.uuid4()), add=["$seen"]),
            mutation(5, "mailbox.destroy", mailboxId=inbox_id(user)),
            mutation(6, "email.keywords", emailId=email_id, add=["$seen"]),
        ],
    )["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("applied", None),
        ("rejected", "invalidArguments"),
        ("rejected", "unknownType"),
        ("rejected", "notFound"),
        ("rejected", "mailboxHasRole"),
        ("applied", None),
    ]
    assert user.client.get(f"/v1/messages/{email_id}").json()["keywords"] == ["$flagged", "$seen"]


def test_replayed_and_out_of_order_ids(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id)
    first = sync(
        user,
        [
            mutation(7, "email.keywords", emailId=email_id, add=["$seen"]),
            mutation(3, "email.keywords", emailId=email_id, add=["work"]),
        ],
    )
    # Id 7 again (and again inside the same request) changes nothing: $seen stays removed.
    user.client.post(
        "/v1/sync",
        json={
            "clientId": "device-a",
            "mutations": [mutation(9, "email.keywords", emailId=email_id, remove=["$seen"])],
        },
    )
    replay = sync(
        user,
        [
            mutation(7, "email.keywords", emailId=email_id, add=["$seen"]),
            mutation(8, "email.keywords", emailId=email_id, add=["later"]),
            mutation(8, "email.keywords", emailId=email_id, add=["never"]),
        ],
    )
    assert replay["results"][0] == first["results"][0]
    assert replay["results"][1] == replay["results"][2] == {"mutationId": 8, "status": "applied"}
    keywords = user.client.get(f"/v1/messages/{email_id}").json()["keywords"]
    assert keywords == ["later", "work"]
    # The same ids from another device are that device's own mutations.
    other = sync(user, [mutation(7, "email.keywords", emailId=email_id, add=["$seen"])], "device-b")
    assert other["results"][0]["status"] == "applied"


def test_three_way_merge_and_conflict_per_field(server: RunningServer, user: User) -> None:
    folder = str(uuid.uuid4())
    parent = str(uuid.uuid4())
    sync(
        user,
        [
            mutation(1, "mailbox.create", mailboxId=folder, name="Projects"),
            mutation(2, "mailbox.create", mailboxId=parent, name="Work"),
        ],
    )
    sync(
        user,
        [
            mutation(
                1,
                "mailbox.update",
                mailboxId=folder,
                name={"old": "Projects", "new": "Projects 2026"},
            )
        ],
        "device-b",
    )
    results = sync(
        user,
        [
            mutation(
                3,
                "mailbox.update",
                mailboxId=folder,
                name={"old": "Projects", "new": "Old projects"},
                parentId={"old": None, "new": parent},
            ),
            mutation(
                4,
                "mailbox.update",
                mailboxId=folder,
                name={"old": "Projects", "new": "Projects 2026"},
            ),
        ],
    )["results"]
    conflict, merged = results
    assert conflict["status"] == "conflict"
    assert conflict["conflictFields"] == ["name"]
    # The non-conflicting field still merged; the server kept the other device's name.
    assert conflict["serverRecord"]["name"] == "Projects 2026"
    assert conflict["serverRecord"]["parentId"] == parent
    assert merged["status"] == "merged"


def test_update_to_destroyed_record_is_a_conflict(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id)
    draft = new_draft(user, 1)
    draft_id = draft["args"]["draftId"]
    sync(
        user,
        [
            draft,
            mutation(2, "email.destroy", emailId=email_id),
            mutation(3, "draft.destroy", draftId=draft_id),
        ],
    )
    results = sync(
        user,
        [
            mutation(1, "email.keywords", emailId=email_id, add=["$seen"]),
            mutation(
                2, "draft.upsert", draftId=draft_id, fields={"body": {"old": "hi", "new": "hello"}}
            ),
            mutation(3, "email.destroy", emailId=email_id),
        ],
        "device-b",
    )["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("conflict", "destroyed"),
        ("conflict", "destroyed"),
        ("applied", None),
    ]
    assert results[1]["serverRecord"] == {"id": draft_id, "destroyed": True}
    assert results[1]["conflictFields"] == ["body"]
    assert user.client.get(f"/v1/messages/{email_id}").status_code == 404


def test_draft_upsert_creates_then_merges_fields(server: RunningServer, user: User) -> None:
    draft = new_draft(user, 1, subject={"old": None, "new": "Plans"})
    draft_id = draft["args"]["draftId"]
    assert sync(user, [draft])["results"][0]["status"] == "applied"
    # Device B edits the subject, device A (still seeing "Plans") edits subject and body.
    sync(
        user,
        [
            mutation(
                1,
                "draft.upsert",
                draftId=draft_id,
                fields={"subject": {"old": "Plans", "new": "Plans v2"}},
            )
        ],
        "device-b",
    )
    result = sync(
        user,
        [
            mutation(
                2,
                "draft.upsert",
                draftId=draft_id,
                fields={
                    "subject": {"old": "Plans", "new": "Plans (A)"},
                    "body": {"old": "hi", "new": "See below"},
                },
            )
        ],
    )["results"][0]
    assert result["status"] == "conflict" and result["conflictFields"] == ["subject"]
    record = user.client.get(f"/v1/drafts/{draft_id}").json()
    assert (record["subject"], record["body"]) == ("Plans v2", "See below")
    assert record["to"] == [{"name": "Bob", "email": "bob@example.org"}]


def test_submission_created_exactly_once_and_cancel_rules(
    server: RunningServer, user: User
) -> None:
    draft = new_draft(user, 1)
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    sub_id, past_id = str(uuid.uuid4()), str(uuid.uuid4())
    create = mutation(
        2, "submission.create", submissionId=sub_id, draftId=draft["args"]["draftId"], sendAt=later
    )
    first = sync(user, [draft, create])
    again = sync(user, [create])
    assert first["results"][1] == again["results"][0] == {"mutationId": 2, "status": "applied"}
    [record] = first["changes"]["submissions"]["created"]
    assert (record["id"], record["state"], record["envelopeRecipients"]) == (
        sub_id,
        "scheduled",
        ["bob@example.org"],
    )
    cancel = sync(user, [mutation(3, "submission.cancel", submissionId=sub_id)], since=state(user))
    assert cancel["results"][0]["status"] == "applied"
    assert cancel["changes"]["submissions"]["updated"][0]["state"] == "cancelled"

    draft2 = new_draft(user, 4, to="carol@example.org")
    earlier = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    results = sync(
        user,
        [
            draft2,
            mutation(
                5,
                "submission.create",
                submissionId=past_id,
                draftId=draft2["args"]["draftId"],
                sendAt=earlier,
            ),
            mutation(6, "submission.cancel", submissionId=past_id),
        ],
    )["results"]
    assert results[2] == {"mutationId": 6, "status": "rejected", "reason": "cannotUnsend"}, results
    with session_scope(server.engine, write=False) as session:
        count = session.scalar(
            select(func.count()).select_from(Submission).where(Submission.id == sub_id)
        )
    assert count == 1


def _post_and_hang_up(server: RunningServer, token: str, payload: dict[str, Any]) -> None:
    """Send the request, then close the connection without reading the response."""
    body = json.dumps(payload).encode()
    parts = urlsplit(server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = (
            f"POST /v1/sync HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)


def test_lost_response_retry_gives_identical_result(server: RunningServer, user: User) -> None:
    draft = new_draft(user, 1)
    send = mutation(
        2,
        "submission.create",
        submissionId=str(uuid.uuid4()),
        draftId=draft["args"]["draftId"],
        sendAt=(datetime.now(UTC) + timedelta(hours=1)).isoformat(),
    )
    payload = {"clientId": "laptop", "sinceState": "0", "mutations": [draft, send]}
    mine = Submission.account_id == user.account_id
    _post_and_hang_up(server, user.token, payload)
    deadline = time.monotonic() + 20
    while True:
        with session_scope(server.engine, write=False) as session:
            rows = session.scalar(select(func.count()).select_from(Submission).where(mine))
        if rows or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert rows == 1
    retry = user.client.post("/v1/sync", json=payload).json()
    retry_again = user.client.post("/v1/sync", json=payload).json()
    assert retry["results"] == retry_again["results"]
    assert [r["status"] for r in retry["results"]] == ["applied", "applied"]
    with session_scope(server.engine, write=False) as session:
        assert session.scalar(select(func.count()).select_from(Submission).where(mine)) == 1


@pytest.mark.slow
def test_thousand_mutations_in_one_request(server: RunningServer, user: User) -> None:
    ids = []
    with session_scope(server.engine) as session:
        from mailapp.server.incoming import store_incoming

        for i in range(200):
            raw = f"From: a@example.net\r\nSubject: n{i}\r\n\r\nbody\r\n".encode()
            ids.append(store_incoming(session, user.account_id, "inbox", raw).id)
    mutations = [
        mutation(i + 1, "email.keywords", emailId=ids[i % len(ids)], add=[f"label{i // len(ids)}"])
        for i in range(1000)
    ]
    since = state(user)
    body = sync(user, mutations, since=since)
    assert [r["status"] for r in body["results"]] == ["applied"] * 1000
    assert len(body["changes"]["emails"]["updated"]) == 200
    assert not body["changes"]["hasMore"]
    with session_scope(server.engine, write=False) as session:
        keywords = session.scalar(select(Email.keywords).where(Email.id == ids[0]))
    assert sorted(keywords) == [f"label{n}" for n in range(5)]


def test_move_is_three_way_on_the_mailbox(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id)
    inbox = inbox_id(user)
    boxes = {m["role"]: m["id"] for m in user.client.get("/v1/mailboxes").json()["items"]}
    archive, trash = boxes["archive"], boxes["trash"]
    first = sync(
        user,
        [mutation(1, "email.move", emailId=email_id, mailboxId={"old": inbox, "new": archive})],
    )
    # Device B saw it in the inbox too and moved it to trash: the user must decide.
    other = sync(
        user,
        [mutation(1, "email.move", emailId=email_id, mailboxId={"old": inbox, "new": trash})],
        "device-b",
    )
    again = sync(
        user,
        [mutation(2, "email.move", emailId=email_id, mailboxId={"old": inbox, "new": archive})],
        "device-c",
    )
    nowhere = sync(
        user,
        [
            mutation(
                3,
                "email.move",
                emailId=email_id,
                mailboxId={"old": archive, "new": str(uuid.uuid4())},
            )
        ],
    )
    assert first["results"][0]["status"] == "applied"
    assert other["results"][0]["status"] == "conflict"
    assert other["results"][0]["conflictFields"] == ["mailboxId"]
    assert other["results"][0]["serverRecord"]["mailboxId"] == archive
    assert again["results"][0]["status"] == "merged"
    assert nowhere["results"][0] == {
        "mutationId": 3,
        "status": "rejected",
        "reason": "mailboxNotFound",
    }
    assert user.client.get(f"/v1/messages/{email_id}").json()["mailboxId"] == archive


def test_mailbox_tree_rules(server: RunningServer, user: User) -> None:
    parent, child = str(uuid.uuid4()), str(uuid.uuid4())
    results = sync(
        user,
        [
            mutation(1, "mailbox.create", mailboxId=parent, name="Clients"),
            mutation(2, "mailbox.create", mailboxId=child, name="ACME", parentId=parent),
            mutation(
                3, "mailbox.create", mailboxId=str(uuid.uuid4()), name="Inbox 2", role="inbox"
            ),
            mutation(
                4,
                "mailbox.create",
                mailboxId=str(uuid.uuid4()),
                name="Orphan",
                parentId=str(uuid.uuid4()),
            ),
            mutation(5, "mailbox.update", mailboxId=parent, parentId={"old": None, "new": child}),
            mutation(6, "mailbox.destroy", mailboxId=parent),
            mutation(7, "mailbox.create", mailboxId=parent, name="Clients"),
        ],
    )["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("applied", None),
        ("applied", None),
        ("rejected", "roleInUse"),
        ("rejected", "parentNotFound"),
        ("rejected", "invalidParent"),
        ("rejected", "mailboxHasChild"),
        ("merged", None),
    ]
    email_id = server.deliver(user.account_id, mailbox=child)
    blocked = sync(user, [mutation(8, "mailbox.destroy", mailboxId=child)])["results"][0]
    assert blocked["reason"] == "mailboxHasEmail"
    sync(user, [mutation(9, "email.destroy", emailId=email_id)])
    done = sync(
        user,
        [
            mutation(10, "mailbox.destroy", mailboxId=child),
            mutation(11, "mailbox.destroy", mailboxId=parent),
        ],
    )["results"]
    assert [r["status"] for r in done] == ["applied", "applied"]
    names = [m["name"] for m in user.client.get("/v1/mailboxes").json()["items"]]
    assert "Clients" not in names and "ACME" not in names

"""Ids the client picks (mailboxes, drafts, submissions) are scoped to its account: an id another
account holds answers exactly like a free one (protocol.md), also when creating, and both
records then live side by side."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from mailapp.server.db import session_scope
from mailapp.server.models import Account
from tests.server.conftest import RunningServer, User


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


def push(user: User, *mutations: dict[str, Any], client_id: str = "device") -> list[Any]:
    numbered = [{"mutationId": n, **m} for n, m in enumerate(mutations, start=1)]
    response = user.client.post("/v1/sync", json={"clientId": client_id, "mutations": numbered})
    assert response.status_code == 200, response.text
    return [(r["status"], r.get("reason")) for r in response.json()["results"]]


def create_both(draft_id: str, mailbox_id: str, name: str) -> list[dict[str, Any]]:
    return [
        {
            "type": "draft.upsert",
            "args": {"draftId": draft_id, "fields": {"subject": {"old": None, "new": name}}},
        },
        {
            "type": "mailbox.create",
            "args": {"mailboxId": mailbox_id, "name": name, "parentId": None, "role": None},
        },
    ]


def test_creating_with_another_accounts_ids_answers_like_free_ids(
    server: RunningServer, user: User, other_user: User
) -> None:
    taken_draft, taken_mailbox = str(uuid.uuid4()), str(uuid.uuid4())
    assert push(user, *create_both(taken_draft, taken_mailbox, "victim")) == [
        ("applied", None),
        ("applied", None),
    ]
    before = user.client.get("/v1/changes", params={"since": "0"}).json()

    free = push(
        other_user, *create_both(str(uuid.uuid4()), str(uuid.uuid4()), "mine"), client_id="a"
    )
    taken = push(other_user, *create_both(taken_draft, taken_mailbox, "mine"), client_id="b")

    assert taken == free == [("applied", None), ("applied", None)]
    # Each account sees only its own record under that id; the victim's is untouched.
    assert user.client.get("/v1/changes", params={"since": "0"}).json() == before
    assert user.client.get(f"/v1/drafts/{taken_draft}").json()["subject"] == "victim"
    assert other_user.client.get(f"/v1/drafts/{taken_draft}").json()["subject"] == "mine"
    mailboxes = {m["id"]: m["name"] for m in other_user.client.get("/v1/mailboxes").json()["items"]}
    assert mailboxes[taken_mailbox] == "mine"


def test_put_of_a_draft_with_another_accounts_id_creates_it(
    server: RunningServer, user: User, other_user: User
) -> None:
    draft_id = str(uuid.uuid4())
    created = user.client.put(
        f"/v1/drafts/{draft_id}", json={"subject": "victim"}, headers={"If-None-Match": "*"}
    )
    assert created.status_code == 201

    mine = other_user.client.put(
        f"/v1/drafts/{draft_id}", json={"subject": "mine"}, headers={"If-None-Match": "*"}
    )
    assert mine.status_code == 201, mine.text
    assert mine.json()["subject"] == "mine"
    # Without a precondition it answers as for any id this account does not have.
    unknown = other_user.client.put(f"/v1/drafts/{uuid.uuid4()}", json={"subject": "x"})
    again = user.client.put(f"/v1/drafts/{uuid.uuid4()}", json={"subject": "x"})
    assert unknown.status_code == again.status_code == 428
    # Deleting one account's draft leaves the other's.
    gone = other_user.client.delete(
        f"/v1/drafts/{draft_id}", headers={"If-Match": mine.headers["ETag"]}
    )
    assert gone.status_code == 204
    assert user.client.get(f"/v1/drafts/{draft_id}").json()["subject"] == "victim"


def test_a_submission_with_another_accounts_id_is_created_and_both_are_sent(
    server: RunningServer, user: User, other_user: User
) -> None:
    """Submissions are keyed per account too, down to the delivery tables: both accounts send
    under the same submission id, to the same local recipient, and each message arrives."""
    submission_id = str(uuid.uuid4())
    with session_scope(server.engine, write=False) as session:
        recipient = session.get(Account, user.account_id).email  # type: ignore[union-attr]

    def send(sender: User, subject: str) -> list[Any]:
        draft_id = str(uuid.uuid4())
        fields = {
            "to": {"old": None, "new": [{"email": recipient}]},
            "subject": {"old": None, "new": subject},
        }
        return push(
            sender,
            {"type": "draft.upsert", "args": {"draftId": draft_id, "fields": fields}},
            {
                "type": "submission.create",
                "args": {"submissionId": submission_id, "draftId": draft_id},
            },
            client_id=f"send-{subject}",
        )

    assert send(user, "from the victim") == [("applied", None), ("applied", None)]
    assert send(other_user, "from the other") == [("applied", None), ("applied", None)]
    deadline = time.monotonic() + 60
    states: dict[str, str] = {}
    while time.monotonic() < deadline:
        states = {
            name: who.client.get(f"/v1/submissions/{submission_id}").json()["state"]
            for name, who in (("victim", user), ("other", other_user))
        }
        if all(state in ("sent", "failed") for state in states.values()):
            break
        time.sleep(0.2)
    assert states == {"victim": "sent", "other": "sent"}
    inbox = next(
        m["id"] for m in user.client.get("/v1/mailboxes").json()["items"] if m["role"] == "inbox"
    )
    subjects = {
        m["subject"] for m in user.client.get(f"/v1/mailboxes/{inbox}/messages").json()["items"]
    }
    assert {"from the victim", "from the other"} <= subjects

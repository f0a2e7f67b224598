"""A push of flag changes alone takes its own path (mutations_flags.py: Core statements, no
savepoint); the same flag changes pushed beside any other mutation take the general one. The
user must see the same outcome either way: results, the emails' keywords, what the feed shows,
retries answered from the stored results."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.server.conftest import RunningServer, User
from tests.server.test_sync import mutation, sync
from tests.server.test_sync_keywords_bulk import feed_record, stored


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


def flag_batch(
    server: RunningServer, user: User, stranger: str
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """Every kind of flag outcome in one batch, on emails of `user`'s own."""
    plain, twice, gone = (server.deliver(user.account_id) for _ in range(3))
    sync(user, [mutation(1, "email.destroy", emailId=gone)])
    unknown = str(uuid.uuid4())
    batch = [
        mutation(2, "email.keywords", emailId=plain, add=["$flagged"]),
        mutation(3, "email.keywords", emailId=twice, add=["$seen", "$flagged"]),
        mutation(4, "email.keywords", emailId=twice, add=["$seen"]),  # nothing new
        mutation(5, "email.keywords", emailId=twice, remove=["$seen"]),
        mutation(6, "email.keywords", emailId=gone, add=["$seen"]),
        mutation(7, "email.keywords", emailId=unknown, add=["$seen"]),
        mutation(8, "email.keywords", emailId=stranger, add=["$seen"]),  # another account's
        mutation(9, "email.keywords", emailId=plain, add="$seen"),  # not a list
        mutation(2, "email.keywords", emailId=plain, remove=["$flagged"]),  # id 2 again
    ]
    names = {plain: "plain", twice: "twice", gone: "gone", unknown: "unknown", stranger: "x"}
    return batch, names


def anonymous(value: Any, names: dict[str, str]) -> Any:
    """`value` with the emails' ids replaced by their role in the batch."""
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [anonymous(item, names) for item in value]
    if isinstance(value, dict):
        return {key: anonymous(item, names) for key, item in value.items()}
    return value


def push(server: RunningServer, user: User, stranger: str, *, alone: bool) -> dict[str, Any]:
    batch, names = flag_batch(server, user, stranger)
    if not alone:  # any other mutation sends the whole batch down the general path
        batch.append(mutation(11, "mailbox.create", mailboxId=str(uuid.uuid4()), name="Other"))
    since = str(user.client.get("/v1/session").json()["state"])
    body = sync(user, batch, since=since)
    ids = {role: email_id for email_id, role in names.items()}
    top = int(body["newState"])
    outcome = {
        "results": anonymous(body["results"][:9], names),
        "keywords": {role: stored(server, ids[role])[0] for role in ("plain", "twice", "gone")},
        # How far below the push's last modseq each email's last change is (the general
        # path's mailbox.create takes one more at the end).
        "modseqs": {
            role: top - stored(server, ids[role])[2] - (0 if alone else 1)
            for role in ("plain", "twice")
        },
        "feed": {
            role: feed_record(user, since, ids[role])["keywords"] for role in ("plain", "twice")
        },
        "retry": anonymous(sync(user, batch, since=since)["results"][:9], names),
        "state after retry": int(str(user.client.get("/v1/session").json()["state"])) == top,
    }
    return outcome


def test_flags_alone_and_beside_other_mutations_come_out_the_same(
    server: RunningServer, user: User, other_user: User
) -> None:
    stranger = server.deliver(other_user.account_id)
    alone = push(server, user, stranger, alone=True)
    mixed = push(server, server.new_user("bob"), stranger, alone=False)
    assert alone == mixed
    assert [result["status"] for result in alone["results"]] == [
        "applied",
        "applied",
        "merged",
        "applied",
        "conflict",
        "rejected",
        "rejected",
        "rejected",
        "applied",  # mutation id 2's stored result, not the second mutation's
    ]
    assert alone["results"][4] == {
        "mutationId": 6,
        "status": "conflict",
        "serverRecord": {"id": "gone", "destroyed": True},
        "conflictFields": ["keywords"],
        "reason": "destroyed",
    }
    assert [r.get("reason") for r in alone["results"][5:8]] == [
        "notFound",
        "notFound",
        "invalidArguments",
    ]
    assert alone["keywords"] == {"plain": ["$flagged"], "twice": ["$flagged"], "gone": []}
    assert alone["feed"] == {"plain": ["$flagged"], "twice": ["$flagged"]}
    assert alone["retry"] == alone["results"] and alone["state after retry"]
    assert stored(server, stranger)[0] == []  # another account's email is left alone


def test_a_retried_flag_push_applies_only_the_new_mutations(
    server: RunningServer, user: User
) -> None:
    email = server.deliver(user.account_id)
    first = sync(user, [mutation(1, "email.keywords", emailId=email, add=["$seen"])])
    again = sync(
        user,
        [
            mutation(1, "email.keywords", emailId=email, add=["$seen"]),
            mutation(2, "email.keywords", emailId=email, remove=["$seen"]),
        ],
    )
    assert again["results"] == [first["results"][0], {"mutationId": 2, "status": "applied"}]
    assert stored(server, email)[0] == []

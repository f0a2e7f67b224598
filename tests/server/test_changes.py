"""GET /v1/changes: consistent pages in modseq order, tombstones, pruning -> 410."""

from __future__ import annotations

from typing import Any

import pytest

from mailapp.server.db import prune_old_tombstones, prune_tombstones, session_scope
from tests.server.conftest import RunningServer, User


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    """Tests here only touch their own users: share one server per module."""
    return shared_server


def page(user: User, since: str, limit: int | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"since": since} | ({"limit": limit} if limit else {})
    response = user.client.get("/v1/changes", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_paging_through_changes_sees_every_change_once(server: RunningServer, user: User) -> None:
    start = user.client.get("/v1/session").json()["state"]
    ids = [server.deliver(user.account_id, subject=f"n{i}") for i in range(9)]
    # Destroy one and flag another so updated and destroyed show up too.
    user.client.post(
        "/v1/sync",
        json={
            "clientId": "d",
            "mutations": [
                {"mutationId": 1, "type": "email.destroy", "args": {"emailId": ids[0]}},
                {
                    "mutationId": 2,
                    "type": "email.keywords",
                    "args": {"emailId": ids[1], "add": ["$seen"]},
                },
            ],
        },
    )
    since, created, destroyed, pages = start, [], [], 0
    while True:
        body = page(user, since, limit=4)
        pages += 1
        emails = body["emails"]
        # Relative to each page's old state; a client upserts both lists.
        created += [e["id"] for e in emails["created"] + emails["updated"]]
        destroyed += emails["destroyed"]
        assert int(body["newState"]) > int(since) or not body["hasMore"]
        since = body["newState"]
        if not body["hasMore"]:
            break
        assert pages < 10
    assert pages == 3
    assert destroyed == [ids[0]]
    assert sorted(created) == sorted(ids[1:])
    assert since == user.client.get("/v1/session").json()["state"]
    # From the final state nothing is left.
    tail = page(user, since)
    assert tail["emails"] == {"created": [], "updated": [], "destroyed": []}
    assert not tail["hasMore"]


def test_created_then_updated_from_an_older_state(server: RunningServer, user: User) -> None:
    email_id = server.deliver(user.account_id)
    middle = user.client.get("/v1/session").json()["state"]
    user.client.post(
        "/v1/sync",
        json={
            "clientId": "d",
            "mutations": [
                {
                    "mutationId": 1,
                    "type": "email.keywords",
                    "args": {"emailId": email_id, "add": ["$flagged"]},
                }
            ],
        },
    )
    updated = page(user, middle)["emails"]["updated"]
    assert [(e["id"], e["keywords"]) for e in updated] == [(email_id, ["$flagged"])]
    assert [e["id"] for e in page(user, "0")["emails"]["created"]] == [email_id]


def test_pruned_tombstones_force_a_resync(server: RunningServer, user: User) -> None:
    old_state = user.client.get("/v1/session").json()["state"]
    email_id = server.deliver(user.account_id)
    user.client.post(
        "/v1/sync",
        json={
            "clientId": "d",
            "mutations": [
                {"mutationId": 1, "type": "email.destroy", "args": {"emailId": email_id}}
            ],
        },
    )
    now = user.client.get("/v1/session").json()["state"]
    with session_scope(server.engine) as session:
        assert prune_tombstones(session, user.account_id, int(now)) == 1
    gone = user.client.get("/v1/changes", params={"since": old_state})
    assert gone.status_code == 410
    problem = gone.json()
    assert gone.headers["content-type"] == "application/problem+json"
    assert problem["type"].endswith("/cannotCalculateChanges") and problem["status"] == 410
    # The same applies to a sync from that state; nothing it carried is applied.
    sync = user.client.post(
        "/v1/sync",
        json={
            "clientId": "d",
            "sinceState": old_state,
            "mutations": [
                {
                    "mutationId": 2,
                    "type": "mailbox.create",
                    "args": {"mailboxId": "11111111-2222-3333-4444-555555555555", "name": "X"},
                }
            ],
        },
    )
    assert sync.status_code == 410
    assert all(m["name"] != "X" for m in user.client.get("/v1/mailboxes").json()["items"])
    # From the current state, and from scratch, changes still work.
    assert page(user, now)["hasMore"] is False
    assert email_id not in page(user, "0")["emails"]["destroyed"]


def test_state_from_the_future_is_refused(user: User) -> None:
    response = user.client.get("/v1/changes", params={"since": "999999"})
    assert response.status_code == 410


def test_retention_prunes_only_old_tombstones(server: RunningServer, user: User) -> None:
    old, recent = server.deliver(user.account_id), server.deliver(user.account_id)
    destroy = [{"mutationId": 1, "type": "email.destroy", "args": {"emailId": old}}]
    user.client.post("/v1/sync", json={"clientId": "r", "mutations": destroy})
    destroyed_at = int(user.client.get("/v1/session").json()["state"])
    for n in range(3):
        server.deliver(user.account_id, subject=f"filler {n}")
    destroy = [{"mutationId": 2, "type": "email.destroy", "args": {"emailId": recent}}]
    user.client.post("/v1/sync", json={"clientId": "r", "mutations": destroy})
    with session_scope(server.engine) as session:
        prune_old_tombstones(session, retention=3)
    # The old deletion is gone (so its state is refused), the recent one is still reported.
    assert (
        user.client.get("/v1/changes", params={"since": str(destroyed_at - 1)}).status_code == 410
    )
    tail = page(user, str(destroyed_at + 1))  # the watermark: state - retention
    assert tail["emails"]["destroyed"] == [recent]


def _destroy(user: User, email_id: str, mutation_id: int) -> None:
    mutation = {"mutationId": mutation_id, "type": "email.destroy", "args": {"emailId": email_id}}
    answer = user.client.post("/v1/sync", json={"clientId": "p", "mutations": [mutation]})
    assert answer.status_code == 200, answer.text


def _listing(user: User, limit: int) -> tuple[list[str], str]:
    """A new device's first sync: every page from state 0; the live ids and the final state."""
    since, live, pages = "0", set(), 0
    while True:
        body = page(user, since, limit=limit)
        emails = body["emails"]
        live |= {e["id"] for e in emails["created"] + emails["updated"]}
        live -= set(emails["destroyed"])
        since, pages = body["newState"], pages + 1
        if not body["hasMore"]:
            return sorted(live), since
        assert pages < 20


def test_a_first_sync_pages_through_a_mailbox_whose_tombstones_were_pruned(
    server: RunningServer, user: User
) -> None:
    # The watermark is raised by the periodic prune (state - retention): any account with a
    # long history has one. A new device's listing from 0 must still get past its first page.
    ids = [server.deliver(user.account_id, subject=f"m{i}") for i in range(10)]
    _destroy(user, ids[0], 1)
    now = user.client.get("/v1/session").json()["state"]
    with session_scope(server.engine) as session:
        assert prune_tombstones(session, user.account_id, int(now)) == 1

    live, state = _listing(user, limit=3)

    assert live == sorted(ids[1:])
    assert state == now
    assert page(user, state)["hasMore"] is False
    # A push from the middle of a listing is answered too (the sync thread pushes between pages).
    first = page(user, "0", limit=3)
    assert first["hasMore"]
    pushed = user.client.post(
        "/v1/sync", json={"clientId": "p", "sinceState": first["newState"], "mutations": []}
    )
    assert pushed.status_code == 200, pushed.text


def test_a_listing_whose_messages_lost_their_tombstones_meanwhile_resyncs(
    server: RunningServer, user: User
) -> None:
    ids = [server.deliver(user.account_id, subject=f"k{i}") for i in range(6)]
    since, held = "0", set()
    while not held:  # the listing's first pages hold the mailboxes, then the first emails
        body = page(user, since, limit=3)
        held, since = {e["id"] for e in body["emails"]["created"]}, body["newState"]
        assert body["hasMore"]
    # Deleted after this device got it, and the deletion pruned before it asks for the rest:
    # it could never learn of it, so it must start over.
    _destroy(user, sorted(held)[0], 1)
    now = user.client.get("/v1/session").json()["state"]
    with session_scope(server.engine) as session:
        assert prune_tombstones(session, user.account_id, int(now)) == 1
    gone = user.client.get("/v1/changes", params={"since": since, "limit": 3})
    assert gone.status_code == 410
    assert sorted(_listing(user, limit=3)[0]) == sorted(set(ids) - {sorted(held)[0]})

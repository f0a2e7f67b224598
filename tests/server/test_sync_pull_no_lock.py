"""A pull (POST /v1/sync without mutations) is read-only: one device's pull is not held up while
another device of the same account pushes (issue 11: the 50-client run queued behind locks)."""

from __future__ import annotations

from mailapp.server.db import lock_account, session_scope
from tests.server.conftest import RunningServer


def test_a_pull_is_answered_while_another_push_holds_the_account(server: RunningServer) -> None:
    alice = server.new_user("alice")
    first = alice.client.post("/v1/sync", json={"clientId": "laptop", "mutations": []})
    assert first.status_code == 200
    state = first.json()["newState"]
    # What a push does for as long as it applies its mutations: hold the account's lock
    # (FOR UPDATE on PostgreSQL; SQLite's write lock, since writes begin IMMEDIATE).
    with session_scope(server.engine) as session:
        lock_account(session, alice.account_id)
        pull = alice.client.post(
            "/v1/sync", json={"clientId": "phone", "sinceState": state, "mutations": []}, timeout=5
        )
    assert pull.status_code == 200
    assert pull.json()["newState"] == state and pull.json()["results"] == []

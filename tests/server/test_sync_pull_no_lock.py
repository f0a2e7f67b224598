"""A pull (POST /v1/sync without mutations) is read-only: one device's pull is not held up while
another device of the same account pushes (issue 11: the 50-client run queued behind locks)."""

from __future__ import annotations

from mailapp.server.db import lock_account, session_scope
from tests.server.conftest import RunningServer
from tests.server.statements import driver_trace


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


def test_a_push_releases_the_account_before_building_its_answer(server: RunningServer) -> None:
    """The answer's change page (up to a thousand records turned into JSON) is read after the
    push commits: other devices' pushes do not queue behind the lock while it is built."""
    alice = server.new_user("alice")
    email_id = server.deliver(alice.account_id, subject="Flag me")
    mutation = {
        "mutationId": 1,
        "type": "email.keywords",
        "args": {"emailId": email_id, "add": ["$flagged"], "remove": []},
    }
    # Counted at the driver (tests/server/statements.py): on PostgreSQL the flag push runs on
    # psycopg's connection itself, pipelined, where SQLAlchemy's events see nothing.
    with driver_trace(server) as steps_of_all:
        pushed = alice.client.post(
            "/v1/sync", json={"clientId": "laptop", "sinceState": None, "mutations": [mutation]}
        )
    # Per connection: the statements run on it and its commits, in order.
    trace: dict[int, list[str]] = {}
    for conn, sql in steps_of_all:
        trace.setdefault(conn, []).append(sql)
    assert pushed.status_code == 200
    assert pushed.json()["results"][0]["status"] == "applied"
    # The answer still carries the push's own change.
    (email,) = pushed.json()["changes"]["emails"]["created"]
    assert email["keywords"] == ["$flagged"]
    pushes = [
        steps
        for steps in trace.values()
        if any(s.startswith("UPDATE account SET modseq") for s in steps)
    ]
    assert pushes
    for steps in pushes:
        start = next(i for i, s in enumerate(steps) if s.startswith("UPDATE account SET modseq"))
        until_commit = steps[start : steps.index("COMMIT", start)]
        assert not [s for s in until_commit if "FROM email" in s], until_commit

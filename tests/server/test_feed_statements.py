"""A pull reads only the kinds of record that changed (issue 11: the 50-client run's pulls).

The account's state read also says which kinds have a change since the client's state, so a
pull after a flag change reads the account and the emails: two statements, not one query per
kind (mailboxes, emails, drafts, submissions) whether or not it changed. Counted at the
server database's driver (tests/server/statements.py), on SQLite and PostgreSQL; no timing.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mailapp.server.routes.feed_rows import ACCOUNT_STATE
from tests.server.conftest import RunningServer, User
from tests.server.statements import request_statements

FEED_TABLES = ("mailbox", "email", "draft", "submission")


@contextmanager
def _statements(server: RunningServer) -> Iterator[list[str]]:
    """The statements requests run on the server's database inside the block, bar transaction
    control and the token check (cached per worker, so present or not by timing)."""
    with request_statements(server) as seen:
        yield seen
    seen[:] = [
        s for s in seen if not s.upper().startswith(("BEGIN", "COMMIT")) and "FROM token" not in s
    ]


def _tables_read(statements: list[str]) -> list[str]:
    """The feed table each page query reads (its FROM, not the state read's subqueries)."""
    return [
        table
        for text in statements
        if not text.startswith("SELECT account.modseq")
        for table in FEED_TABLES
        if f"FROM {table} WHERE" in text
    ]


def _pull(user: User, state: str) -> dict[str, Any]:
    response = user.client.post(
        "/v1/sync", json={"clientId": "phone", "sinceState": state, "mutations": []}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _flag(user: User, email_id: str, mutation_id: int, since: str | None = None) -> str:
    mutation = {
        "mutationId": mutation_id,
        "type": "email.keywords",
        "args": {"emailId": email_id, "add": ["$flagged"], "remove": []},
    }
    response = user.client.post(
        "/v1/sync", json={"clientId": "laptop", "sinceState": since, "mutations": [mutation]}
    )
    assert response.json()["results"][0]["status"] == "applied"
    return str(response.json()["newState"])


def _setup(server: RunningServer) -> tuple[User, str, str]:
    """A user with a message, and the state a phone has pulled up to."""
    alice = server.new_user("alice")
    email_id = server.deliver(alice.account_id, subject="Flag me")
    state = _pull(alice, "0")["newState"]
    _pull(alice, state)  # warm: this worker has checked the token
    return alice, email_id, state


def test_a_pull_after_a_flag_change_reads_only_the_emails(server: RunningServer) -> None:
    alice, email_id, state = _setup(server)
    _flag(alice, email_id, 1)
    with _statements(server) as seen:
        page = _pull(alice, state)
    (email,) = page["changes"]["emails"]["updated"]
    assert email["id"] == email_id and email["keywords"] == ["$flagged"]
    assert page["changes"]["mailboxes"] == {"created": [], "updated": [], "destroyed": []}
    assert len(seen) == 2, seen  # the state (with what changed), then the emails
    assert _tables_read(seen) == ["email"], seen


def test_a_pull_after_a_mailbox_change_reads_only_the_mailboxes(server: RunningServer) -> None:
    alice, _email_id, state = _setup(server)
    args = {"mailboxId": str(uuid.uuid4()), "name": "Receipts"}
    create = {"mutationId": 1, "type": "mailbox.create", "args": args}
    pushed = alice.client.post(
        "/v1/sync", json={"clientId": "laptop", "sinceState": None, "mutations": [create]}
    )
    assert pushed.json()["results"][0]["status"] == "applied"
    with _statements(server) as seen:
        page = _pull(alice, state)
    assert [m["name"] for m in page["changes"]["mailboxes"]["created"]] == ["Receipts"]
    assert page["changes"]["emails"] == {"created": [], "updated": [], "destroyed": []}
    assert _tables_read(seen) == ["mailbox"], seen


def test_a_pull_with_nothing_new_reads_the_account_alone(server: RunningServer) -> None:
    alice, _email_id, state = _setup(server)
    with _statements(server) as seen:
        page = _pull(alice, state)
    assert page["newState"] == state
    assert len(seen) == 1 and _tables_read(seen) == [], seen


def test_a_flag_push_answer_reads_only_the_emails(server: RunningServer) -> None:
    alice, email_id, state = _setup(server)
    with _statements(server) as seen:
        _flag(alice, email_id, 7, since=state)
    # The answer's page of changes, read after the push committed: from the last state read
    # (the push's own read of the account locks it: FOR UPDATE on PostgreSQL).
    reads = [i for i, s in enumerate(seen) if s.startswith("SELECT account.modseq")]
    answer = seen[reads[-1] :]
    assert "FOR UPDATE" not in answer[0], seen
    assert len(answer) == 2 and _tables_read(answer) == ["email"], answer


def test_with_nothing_new_the_state_read_looks_at_no_mail(server: RunningServer) -> None:
    """The state read names the feed tables, but their EXISTS runs only for an account that
    moved past the client's state (CASE): PostgreSQL's plan says `never executed`."""
    if server.engine.dialect.name != "postgresql":
        pytest.skip("EXPLAIN ANALYZE's execution counts are PostgreSQL's")
    alice, _email_id, state = _setup(server)
    sql = ACCOUNT_STATE.statement.compile(dialect=server.engine.dialect).string
    params = {"account": alice.account_id}
    with server.engine.connect() as conn:
        driver = conn.connection.dbapi_connection
        assert driver is not None
        cursor = driver.cursor()
        plan = [
            row[0]
            for row in cursor.execute(f"EXPLAIN ANALYZE {sql}", {**params, "since": int(state)})
        ]
        moved = [row[0] for row in cursor.execute(f"EXPLAIN ANALYZE {sql}", {**params, "since": 0})]
    scans = [line for line in plan if "Scan" in line and " on account " not in line]
    assert len(scans) == len(FEED_TABLES), plan
    assert all("never executed" in line for line in scans), plan
    # And once the account moved, they do run.
    assert any(" on email " in line and "never executed" not in line for line in moved), moved

"""Cheap auth (issue 11): a worker trusts a token it checked a moment ago without a database
query, yet a revoked token is refused on the very next request in that worker, and within
`token_cache_seconds` when another worker or process revoked it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, update

from mailapp.server.auth import revoke_all_tokens
from mailapp.server.db import session_scope
from mailapp.server.models import Token
from tests.security.conftest import RunningServer


@pytest.fixture
def token_queries() -> Iterator[list[str]]:
    """Every SQL statement of this process that reads the tokens table."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "tokens" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", record)


def test_a_token_checked_a_moment_ago_costs_no_database_query(
    server: RunningServer, token_queries: list[str]
) -> None:
    alice = server.new_user("alice")
    assert alice.client.get("/v1/session").status_code == 200
    token_queries.clear()
    for _ in range(5):
        assert alice.client.get("/v1/mailboxes").status_code == 200
    assert token_queries == []


def test_a_revoked_token_is_refused_on_the_very_next_request(server: RunningServer) -> None:
    alice = server.new_user("alice")
    assert alice.client.get("/v1/session").status_code == 200  # now cached
    # Signing out (DELETE /v1/session) ...
    assert alice.client.delete("/v1/session").status_code == 204
    assert alice.client.get("/v1/session").status_code == 401
    # ... and `mailapp-server revoke-tokens` / `set-password` (revoke_all_tokens).
    other = server.client(server.login(alice.name, alice.password))
    assert other.get("/v1/mailboxes").status_code == 200  # now cached
    with session_scope(server.engine) as session:
        assert revoke_all_tokens(session, alice.account_id) == 1
    assert other.get("/v1/mailboxes").status_code == 401


def test_a_token_revoked_by_another_worker_is_refused_within_the_cache_bound(
    server_factory: Callable[..., RunningServer],
) -> None:
    server = server_factory(token_cache_seconds=0.5)
    alice = server.new_user("alice")
    assert alice.client.get("/v1/session").status_code == 200  # now cached
    # Another worker's revocation: a plain UPDATE this process's cache never hears of.
    with server.engine.begin() as conn:
        conn.execute(update(Token).values(revoked=True))
    revoked_at = time.monotonic()
    status = 200
    while status == 200 and time.monotonic() - revoked_at < 5:  # bounded
        status = alice.client.get("/v1/session").status_code
        time.sleep(0.05)
    assert status == 401
    assert time.monotonic() - revoked_at < 0.5 + 1.0  # the bound, plus a loaded machine's slack

"""Event streams pass a change on without each querying the database for it (issue 11).

A busy account with several devices used to cost one token check and one state read per open
stream for every change; with 50 clients that was most of the server's queries.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event

from tests.server.conftest import RunningServer
from tests.server.test_events import open_stream

STREAMS = 4
CHANGES = 6


@contextlib.contextmanager
def token_checks() -> Iterator[list[str]]:
    """Statements that check a stream's token (auth.token_is_live), from any engine."""
    seen: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "token.expires_at" in statement and "JOIN" not in statement:
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", before)


def test_changes_reach_every_stream_without_a_query_per_stream(
    server_factory: Callable[..., RunningServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILAPP_SSE_HEARTBEAT", "60")  # no heartbeat check during the test
    monkeypatch.setenv("MAILAPP_SSE_POLL", "0.2")
    server = server_factory()
    alice = server.new_user("alice")
    with contextlib.ExitStack() as stack:
        streams = [
            stack.enter_context(open_stream(server.url, alice.token)) for _ in range(STREAMS)
        ]
        for stream in streams:
            stream.next_state()
        with token_checks() as checks:
            for number in range(1, CHANGES + 1):
                mutation = {"mutationId": number, "type": "mailbox.create"}
                mutation["args"] = {"mailboxId": str(uuid.uuid4()), "name": f"Box {number}"}
                pushed = alice.client.post(
                    "/v1/sync", json={"clientId": "laptop", "mutations": [mutation]}
                )
                assert pushed.status_code == 200
                state = int(pushed.json()["newState"])
                # Every device hears of every change, in order …
                assert [int(s.next_state().data["state"]) for s in streams] == [state] * STREAMS
        # … and no stream asked the database again whether its token is still good.
        assert checks == []


def test_changes_do_not_wake_the_upstream_loop_of_a_worker_without_linked_accounts(
    server_factory: Callable[..., RunningServer],
) -> None:
    """A change wakes the IMAP write-back loop only where there is something to write back:
    a worker that holds no linked account leaves the database alone (it still looks for newly
    linked accounts on its own interval)."""
    server = server_factory()
    alice = server.new_user("alice")
    claims: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM upstream_account" in statement:
            claims.append(statement)

    event.listen(Engine, "before_cursor_execute", before)
    try:
        for number in range(1, CHANGES + 1):
            mutation = {"mutationId": number, "type": "mailbox.create"}
            mutation["args"] = {"mailboxId": str(uuid.uuid4()), "name": f"Box {number}"}
            pushed = alice.client.post(
                "/v1/sync", json={"clientId": "laptop", "mutations": [mutation]}
            )
            assert pushed.status_code == 200
    finally:
        event.remove(Engine, "before_cursor_execute", before)
    # At most the loop's own periodic look (every few seconds), not one per change.
    assert len(claims) <= 2, claims

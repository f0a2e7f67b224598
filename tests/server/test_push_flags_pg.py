"""A push of flag changes alone, on PostgreSQL in two pipelined round trips
(routes/push_flags_pg.py; on SQLite the Core path of mutations_flags.py): what a client sees
must not change. Its outcomes beside the general path's are in test_sync_flags_fast.py; here,
the rest of what the push does: the account's streams hear of it, a stale state refuses it
whole, the account is free again after a refusal, and a lost connection is a busy server."""

from __future__ import annotations

import psycopg
import pytest

from mailapp.server.routes import push_flags_pg
from tests.server.conftest import PG_URL, RunningServer, User
from tests.server.test_events import open_stream
from tests.server.test_sync import mutation, sync
from tests.server.test_sync_keywords_bulk import stored


def _flag(number: int, email_id: str, **change: list[str]) -> dict[str, object]:
    return mutation(number, "email.keywords", emailId=email_id, **change)


def test_a_flag_push_wakes_the_accounts_event_streams(server: RunningServer, user: User) -> None:
    email = server.deliver(user.account_id)
    state = sync(user, [])["newState"]
    with open_stream(server.url, user.token, last_event_id=state) as stream:
        pushed = sync(user, [_flag(1, email, add=["$flagged"])], since=state)
        assert pushed["results"] == [{"mutationId": 1, "status": "applied"}]
        assert stream.next_state().data == {"state": pushed["newState"]}


def test_a_flag_push_from_a_future_state_changes_nothing_and_frees_the_account(
    server: RunningServer, user: User
) -> None:
    email = server.deliver(user.account_id)
    state = int(sync(user, [])["newState"])
    body = {
        "clientId": "dev",
        "sinceState": str(state + 10),
        "mutations": [_flag(1, email, add=["$seen"])],
    }
    refused = user.client.post("/v1/sync", json=body)
    assert refused.status_code == 410
    assert refused.json()["type"].endswith("cannotCalculateChanges")
    assert stored(server, email)[0] == []
    # The refusal released the account's lock: the next push goes through at once.
    retried = sync(user, [_flag(1, email, add=["$seen"])], since=str(state))
    assert retried["results"] == [{"mutationId": 1, "status": "applied"}]
    assert stored(server, email)[0] == ["$seen"]


@pytest.mark.postgres
def test_a_connection_lost_under_a_flag_push_is_a_busy_server_then_served(
    server: RunningServer, user: User, backend: str
) -> None:
    if backend != "postgres":
        pytest.skip("the pipelined push is PostgreSQL's")
    assert push_flags_pg.usable(server.engine)  # the path under test, not the Core one
    email = server.deliver(user.account_id)
    state = sync(user, [])["newState"]
    database = server.settings.database_url.rsplit("/", 1)[1]
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database,),
        )
    server.engine.dispose()  # the test's own engine lost its connections too
    body = {"clientId": "dev", "sinceState": state, "mutations": [_flag(1, email, add=["$seen"])]}
    first = user.client.post("/v1/sync", json=body)
    if first.status_code == 503:  # the push's own connection was one of those lost
        assert first.headers["content-type"] == "application/problem+json"
        assert first.headers["retry-after"]
        first = user.client.post("/v1/sync", json=body)
    assert first.status_code == 200
    assert first.json()["results"] == [{"mutationId": 1, "status": "applied"}]
    assert stored(server, email)[0] == ["$seen"]

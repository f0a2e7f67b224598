"""The security suite gets the real server fixtures on both databases."""

from __future__ import annotations

from tests.security.conftest import RunningServer, User


def test_fixtures_give_a_running_server_with_two_separate_users(
    server: RunningServer, user: User, other_user: User
) -> None:
    mine = user.client.get("/v1/session")
    theirs = other_user.client.get("/v1/session")
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["accountId"] != theirs.json()["accountId"]
    assert server.client().get("/v1/session").status_code == 401

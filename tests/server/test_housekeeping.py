"""The running server prunes old tombstones by itself, so the feed answers 410 to a stale state."""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.server.conftest import RunningServer


def test_server_prunes_tombstones_on_its_own(server_factory: Callable[..., RunningServer]) -> None:
    server = server_factory(tombstone_retention=2, housekeeping_interval=0.2)
    user = server.new_user("alice")
    doomed = server.deliver(user.account_id)
    start = str(int(user.client.get("/v1/session").json()["state"]) - 1)
    destroy = [{"mutationId": 1, "type": "email.destroy", "args": {"emailId": doomed}}]
    assert user.client.post("/v1/sync", json={"clientId": "h", "mutations": destroy}).is_success
    for n in range(3):
        server.deliver(user.account_id, subject=f"later {n}")

    deadline = time.monotonic() + 10
    status = user.client.get("/v1/changes", params={"since": start}).status_code
    while status != 410 and time.monotonic() < deadline:
        time.sleep(0.1)
        status = user.client.get("/v1/changes", params={"since": start}).status_code
    assert status == 410
    # A client that is up to date is not affected by the pruning.
    current = user.client.get("/v1/session").json()["state"]
    assert user.client.get("/v1/changes", params={"since": current}).status_code == 200

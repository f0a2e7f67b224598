"""An event stream lives no longer than its token: a stolen token's streams end once it is
revoked, so they can no longer hold the owner's stream places (429 for the owner)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from tests.security.conftest import RunningServer
from tests.server.test_events import FAST, open_stream


def test_revoking_a_token_ends_its_streams_within_a_heartbeat(
    server_factory: Callable[..., RunningServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAILAPP_SSE_MAX_STREAMS", "2")
    server = server_factory()
    owner = server.new_user("alice")
    stolen = server.login(owner.name, owner.password)
    ended: list[float] = []

    def thief_stream(ready: threading.Event) -> None:
        with open_stream(server.url, stolen) as stream:
            stream.next_state()
            ready.set()
            for _ in range(200):  # heartbeats every 0.3 s; bounded
                try:
                    stream.next()
                except StopIteration:
                    ended.append(time.monotonic())
                    return

    readies = [threading.Event(), threading.Event()]
    thieves = [threading.Thread(target=thief_stream, args=(r,), daemon=True) for r in readies]
    for thread in thieves:
        thread.start()
    assert all(ready.wait(15) for ready in readies)
    # The thief's two streams fill the account's places: the owner is refused.
    refused = httpx.get(
        f"{server.url}/v1/events", headers={"Authorization": f"Bearer {owner.token}"}, timeout=10
    )
    assert refused.status_code == 429
    # The owner signs the thief out (revokes the stolen token) …
    revoked_at = time.monotonic()
    assert server.client(stolen).delete("/v1/session").status_code == 204
    for thread in thieves:
        thread.join(15)
    # … and the thief's streams end within about a heartbeat, freeing the places.
    assert len(ended) == 2
    assert max(ended) - revoked_at < 5
    with open_stream(server.url, owner.token) as stream:
        assert stream.next_state().kind == "state"

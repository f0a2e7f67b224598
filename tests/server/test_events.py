"""GET /v1/events on the real server: a client learns of new state without polling."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from mailapp.server.db import bump_modseq, make_engine, session_scope
from tests.server.conftest import RunningServer, User, postgres_database

HEARTBEAT = 0.3
FAST = {"MAILAPP_SSE_HEARTBEAT": str(HEARTBEAT), "MAILAPP_SSE_POLL": "0.2"}
WAIT = 15.0


@dataclass
class Event:
    kind: str  # "state" or "comment"
    id: str | None = None
    data: dict[str, str] = field(default_factory=dict)
    text: str = ""


class EventReader:
    """Reads one text/event-stream response event by event, with a deadline on every wait."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.iter_lines()

    def next(self, deadline: float = WAIT) -> Event:
        end = time.monotonic() + deadline
        fields: dict[str, str] = {}
        while time.monotonic() < end:
            line = next(self._lines)
            if line.startswith(":"):
                return Event("comment", text=line[1:].strip())
            if line == "":
                if "event" in fields:
                    return Event(fields["event"], fields.get("id"), json.loads(fields["data"]))
                fields.clear()  # e.g. the `retry:` preamble
                continue
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        raise AssertionError("no event before the deadline")

    def next_state(self, deadline: float = WAIT) -> Event:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            event = self.next(end - time.monotonic())
            if event.kind == "state":
                return event
        raise AssertionError("no state event before the deadline")

    def states_until_quiet(self, heartbeats: int = 2) -> list[int]:
        """State ids received until `heartbeats` heartbeats in a row arrive."""
        seen: list[int] = []
        quiet = 0
        for _ in range(200):
            event = self.next()
            if event.kind == "comment":
                quiet += 1
                if quiet >= heartbeats:
                    return seen
            else:
                quiet = 0
                seen.append(int(event.data["state"]))
        raise AssertionError("the stream never went quiet")


@contextlib.contextmanager
def open_stream(
    base_url: str, token: str | None, last_event_id: str | None = None
) -> Iterator[EventReader]:
    headers = {"Accept": "text/event-stream"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    timeout = httpx.Timeout(10.0, read=WAIT)
    with (
        httpx.Client(base_url=base_url, timeout=timeout) as client,
        client.stream("GET", "/v1/events", headers=headers) as response,
    ):
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


def server_side_write(engine_url_or_server: RunningServer | str, account_id: str) -> int:
    """A change made by the server itself (as local delivery does): bumps the account's state."""
    if isinstance(engine_url_or_server, RunningServer):
        engine = engine_url_or_server.engine
        with session_scope(engine) as session:
            return bump_modseq(session, account_id)
    engine = make_engine(engine_url_or_server)
    try:
        with session_scope(engine) as session:
            return bump_modseq(session, account_id)
    finally:
        engine.dispose()


@pytest.fixture
def fast_server(
    server_factory: Callable[..., RunningServer], monkeypatch: pytest.MonkeyPatch
) -> RunningServer:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    return server_factory()


def test_stream_sends_current_state_then_each_new_state(fast_server: RunningServer) -> None:
    alice = fast_server.new_user("alice")
    with open_stream(fast_server.url, alice.token) as stream:
        first = stream.next_state()
        assert first.id == first.data["state"]
        # A change pushed by another device of the same user …
        mutation = {"mutationId": 1, "type": "mailbox.create"}
        mutation["args"] = {"mailboxId": str(uuid.uuid4()), "name": "Travel"}
        pushed = alice.client.post("/v1/sync", json={"clientId": "d2", "mutations": [mutation]})
        new_state = int(pushed.json()["newState"])
        event = stream.next_state()
        assert int(event.data["state"]) == new_state > int(first.data["state"])
        assert event.id == str(new_state)
        # … and one made by the server itself (as local delivery does).
        delivered = server_side_write(fast_server, alice.account_id)
        assert int(stream.next_state().data["state"]) == delivered


def test_last_event_id_older_than_state_gets_current_state_at_once(
    fast_server: RunningServer,
) -> None:
    alice = fast_server.new_user("alice")
    old = server_side_write(fast_server, alice.account_id)
    current = server_side_write(fast_server, alice.account_id)
    with open_stream(fast_server.url, alice.token, last_event_id=str(old)) as stream:
        assert int(stream.next_state().data["state"]) == current


def test_up_to_date_client_gets_only_heartbeats_until_a_change(
    fast_server: RunningServer,
) -> None:
    alice = fast_server.new_user("alice")
    current = server_side_write(fast_server, alice.account_id)
    with open_stream(fast_server.url, alice.token, last_event_id=str(current)) as stream:
        assert stream.states_until_quiet(heartbeats=2) == []
        after = server_side_write(fast_server, alice.account_id)
        assert int(stream.next_state().data["state"]) == after


def test_other_accounts_changes_are_not_seen(fast_server: RunningServer) -> None:
    alice = fast_server.new_user("alice")
    mallory = fast_server.new_user("mallory")
    with open_stream(fast_server.url, alice.token) as stream:
        start = int(stream.next_state().data["state"])
        for _ in range(3):
            server_side_write(fast_server, mallory.account_id)
        assert stream.states_until_quiet(heartbeats=2) == []
        mine = server_side_write(fast_server, alice.account_id)
        assert int(stream.next_state().data["state"]) == mine == start + 1


def test_stream_without_valid_token_is_refused(fast_server: RunningServer) -> None:
    with httpx.Client(base_url=fast_server.url, timeout=10) as client:
        missing = client.get("/v1/events")
        wrong = client.get("/v1/events", headers={"Authorization": "Bearer not-a-token"})
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.headers["www-authenticate"].lower().startswith("bearer")


def test_streams_per_account_are_bounded(
    server_factory: Callable[..., RunningServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in FAST.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MAILAPP_SSE_MAX_STREAMS", "2")
    server = server_factory()
    alice: User = server.new_user("alice")
    with open_stream(server.url, alice.token), open_stream(server.url, alice.token):
        third = httpx.get(
            f"{server.url}/v1/events", headers={"Authorization": f"Bearer {alice.token}"}
        )
        assert third.status_code == 429
    # Closing a stream frees its place.
    with open_stream(server.url, alice.token) as stream:
        assert stream.next_state().kind == "state"


# -- several worker processes: the write lands on one, the streams live on others ---------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve_subprocess(
    data: Path,
    database_url: str,
    workers: int,
    grace: float = 1.0,
    extra_args: tuple[str, ...] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`mailapp-server serve --workers N` as a subprocess; yields its base URL and process."""
    port = _free_port()
    env = {
        **os.environ,
        "MAILAPP_SERVER_DATA": str(data),
        "MAILAPP_DATABASE_URL": database_url,
        "MAILAPP_SSE_HEARTBEAT": str(HEARTBEAT),
        "MAILAPP_SSE_POLL": "0.2",
    }
    cmd = [sys.executable, "-m", "mailapp.server.cli", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning", "--grace", str(grace)]
    cmd += list(extra_args)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(proc.stdout.read().decode() if proc.stdout else "exited")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/events", timeout=2).status_code == 401:
                    break
            if time.monotonic() > deadline:
                raise AssertionError("server did not start")
            time.sleep(0.2)
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _add_user(database_url: str, name: str) -> tuple[str, str]:
    from mailapp.server.auth import create_user

    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return create_user(session, name, "password-123").id, "password-123"
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_change_reaches_streams_on_every_worker(backend: str, tmp_path: Path) -> None:
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            database_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
        else:
            database_url = stack.enter_context(postgres_database())
        url, _ = stack.enter_context(serve_subprocess(tmp_path, database_url, workers=2))
        _, password = _add_user(database_url, "alice")
        token = httpx.post(
            f"{url}/v1/session", json={"name": "alice", "password": password}, timeout=30
        ).json()["token"]
        # Four streams: with two workers accepting from one socket, both hold some of them,
        # and the write below lands on one of the two.
        streams = [stack.enter_context(open_stream(url, token)) for _ in range(4)]
        start = {int(s.next_state().data["state"]) for s in streams}
        assert len(start) == 1
        pushed = httpx.post(
            f"{url}/v1/sync",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "clientId": "events-test",
                "mutations": [
                    {
                        "mutationId": 1,
                        "type": "mailbox.create",
                        "args": {"mailboxId": str(uuid.uuid4()), "name": "Receipts"},
                    }
                ],
            },
            timeout=30,
        )
        assert pushed.status_code == 200, pushed.text
        new_state = int(pushed.json()["newState"])
        assert new_state > start.pop()
        for stream in streams:
            assert int(stream.next_state().data["state"]) == new_state


@pytest.mark.slow
def test_sigterm_ends_open_streams_and_stops_promptly(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    # A long grace period: stopping fast must come from the streams ending, not a timeout.
    with serve_subprocess(tmp_path, database_url, workers=1, grace=30) as (url, proc):
        _, password = _add_user(database_url, "alice")
        token = httpx.post(
            f"{url}/v1/session", json={"name": "alice", "password": password}, timeout=30
        ).json()["token"]
        with open_stream(url, token) as stream:
            assert stream.next_state().kind == "state"
            proc.send_signal(signal.SIGTERM)
            started = time.monotonic()
            # The server finishes the response: the stream ends instead of breaking off.
            assert [line for line in stream._lines if line and not line.startswith(":")] == []
        proc.wait(timeout=20)
        assert time.monotonic() - started < 10
        output = proc.stdout.read().decode() if proc.stdout else ""
        assert "Traceback" not in output

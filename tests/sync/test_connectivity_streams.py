"""The pieces under the worker's network handling, against tiny loopback servers of our own:
cutting off a hanging request at once, and reading the server's event stream robustly."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from mailapp.sync.abortable import AbortableSession
from mailapp.sync.backoff import Backoff
from mailapp.sync.client import ApiClient
from mailapp.sync.errors import OfflineError
from mailapp.sync.server_events import MAX_LINE, ServerEventListener

Handler = Callable[[socket.socket, int], None]


@contextlib.contextmanager
def tiny_server(handler: Handler) -> Iterator[tuple[str, list[int]]]:
    """A loopback TCP server running `handler(conn, n)` per connection; yields (url, counter)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    accepted: list[int] = []
    stop = threading.Event()
    workers: list[threading.Thread] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            thread = threading.Thread(target=_run, args=(conn, len(accepted)), daemon=True)
            workers.append(thread)
            thread.start()

    def _run(conn: socket.socket, number: int) -> None:
        with conn, contextlib.suppress(OSError):
            conn.settimeout(5)
            _read_head(conn)
            handler(conn, number)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(5)
        listener.close()
        for worker in workers:
            worker.join(6)


def _read_head(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def hang(conn: socket.socket, _n: int) -> None:
    # Read until the client goes away: a server that accepted and never answers.
    with contextlib.suppress(OSError):
        while conn.recv(4096):
            pass


def test_abort_cuts_a_hanging_request_at_once_and_blocks_new_ones() -> None:
    with tiny_server(hang) as (url, accepted):
        session = AbortableSession()
        client = ApiClient(url, session=session, read_timeout=30.0)
        errors: list[BaseException] = []

        def call() -> None:
            try:
                client.session_info()
            except BaseException as exc:
                errors.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        deadline = time.monotonic() + 5
        while not accepted and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        session.abort()
        caller.join(5)
        assert not caller.is_alive()
        assert time.monotonic() - started < 1.0  # not the 30 s read timeout
        assert isinstance(errors[0], OfflineError)
        # While aborted ("work offline"), nothing reaches the network at all.
        connections = len(accepted)
        assert client.probe() is False
        with pytest.raises(OfflineError):
            client.session_info()
        time.sleep(0.2)
        assert len(accepted) == connections
        session.resume()
        client.probe()
        assert len(accepted) == connections + 1
        session.close()


def sse_response(body: bytes) -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )


def wait_until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_events_are_parsed_across_line_endings_comments_and_split_packets() -> None:
    def stream(conn: socket.socket, number: int) -> None:
        if number > 1:
            hang(conn, number)
            return
        parts = [
            b"retry: 3000\r\n\r\n",
            b": heartbeat\n\n",
            b'event: state\r\nid: 7\r\ndata: {"state": "7"}\r\n\r',  # CRLF split across packets
            b'\nevent: state\nid: 9\ndata: {"st',
            b'ate": "9"}\n\n',
            b"data: not json\n\n",
            b'event: state\rid: 12\rdata: {"state": "12"}\r\r',
        ]
        body = b"".join(parts)
        conn.sendall(sse_response(body)[: -len(body)])
        for part in parts:
            conn.sendall(part)
            time.sleep(0.05)

    states: list[str] = []
    with tiny_server(stream) as (url, _accepted):
        listener = ServerEventListener(url, "token", states.append, backoff=Backoff(base=0.1))
        listener.start()
        wait_until(lambda: len(states) >= 3)
        assert listener.stop(timeout=2.0)
    assert states == ["7", "9", "12"]
    assert listener.last_event_id == "12"


def test_reconnects_with_last_event_id_and_backs_off_on_errors() -> None:
    def server(conn: socket.socket, number: int) -> None:
        if number == 1:
            conn.sendall(sse_response(b'id: 41\ndata: {"state": "41"}\n\n'))
        elif number == 2:
            conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
        else:
            conn.sendall(sse_response(b'id: 42\ndata: {"state": "42"}\n\n'))

    states: list[str] = []
    ups: list[bool] = []
    with tiny_server(server) as (url, accepted):
        listener = ServerEventListener(
            url, "t", states.append, on_connected=ups.append, backoff=Backoff(base=0.05)
        )
        listener.start()
        wait_until(lambda: "42" in states)
        assert listener.stop(timeout=2.0)
        assert len(accepted) >= 3
    assert states[:2] == ["41", "42"]
    assert ups[:2] == [True, False]


def test_an_endless_line_ends_the_connection_instead_of_filling_memory() -> None:
    def flood(conn: socket.socket, number: int) -> None:
        if number > 1:
            hang(conn, number)
            return
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):
            conn.sendall(b"data: " + b"x" * (MAX_LINE * 4))

    ups: list[bool] = []
    with tiny_server(flood) as (url, accepted):
        listener = ServerEventListener(
            url, None, lambda _s: None, on_connected=ups.append, backoff=Backoff(base=0.05)
        )
        listener.start()
        wait_until(lambda: len(accepted) >= 2)
        assert listener.stop(timeout=2.0)
    assert ups[:2] == [True, False]


def test_stop_ends_a_silent_stream_at_once() -> None:
    def silent(conn: socket.socket, _n: int) -> None:
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
        )
        hang(conn, _n)

    with tiny_server(silent) as (url, accepted):
        listener = ServerEventListener(url, None, lambda _s: None, read_timeout=60.0)
        listener.start()
        wait_until(lambda: listener.connections == 1)
        started = time.monotonic()
        assert listener.stop(timeout=2.0)
        assert time.monotonic() - started < 1.0
        assert len(accepted) == 1

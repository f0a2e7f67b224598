"""A server that trickles its answer (a byte at a time, each well inside the read timeout) cannot
hold a request past the client's total deadline: a real loopback server dripping real bytes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from mailapp.sync.abortable import AbortableSession
from mailapp.sync.client import ApiClient
from mailapp.sync.errors import OfflineError

DRIP_INTERVAL = 0.2
MAX_DRIPS = 60  # bounded: 12 s, far past the deadline under test


class DripServer:
    """Answers each request by sending `prefix` at once, then `drip` one byte at a time."""

    def __init__(self, prefix: bytes, drip: bytes) -> None:
        self.prefix, self.drip = prefix, drip
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        self.listener.settimeout(0.1)
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            request = b""
            while b"\r\n\r\n" not in request and len(request) < 65536:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            try:
                conn.sendall(self.prefix)
                for byte in self.drip[:MAX_DRIPS]:
                    if self.stop.wait(DRIP_INTERVAL):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:  # the client hung up: what the deadline is for
                return

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.listener.close()


@pytest.fixture
def dripping_headers() -> Iterator[DripServer]:
    server = DripServer(b"", b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 200)
    yield server
    server.close()


@pytest.fixture
def dripping_body() -> Iterator[DripServer]:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n"
    server = DripServer(head, b" " * 5000)
    yield server
    server.close()


def _timed_call(client: ApiClient) -> tuple[float, str]:
    started = time.monotonic()
    with pytest.raises(OfflineError) as caught:
        client.session_info()
    return time.monotonic() - started, caught.value.user_message


@pytest.mark.parametrize("where", ["headers", "body"])
def test_a_trickling_server_is_cut_off_at_the_total_deadline(
    where: str, dripping_headers: DripServer, dripping_body: DripServer
) -> None:
    server = dripping_headers if where == "headers" else dripping_body
    with ApiClient(server.url, token="t", read_timeout=1.0, total_timeout=1.5) as client:
        elapsed, message = _timed_call(client)
    assert elapsed < 4.0  # each byte came well inside the 1 s read timeout
    assert "did not finish answering within 1.5 s" in message


def test_the_windows_abortable_session_keeps_the_deadline(dripping_body: DripServer) -> None:
    session = AbortableSession()
    try:
        client = ApiClient(dripping_body.url, token="t", total_timeout=1.0, session=session)
        elapsed, message = _timed_call(client)
        assert elapsed < 3.5 and "within 1 s." in message
        assert not session.aborted  # a deadline cuts one request, not the session
    finally:
        session.close()

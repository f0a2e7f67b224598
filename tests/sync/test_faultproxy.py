"""The fault proxy itself must behave, or every sync test built on it proves nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.support.faultproxy import Fault, FaultProxy


class _Counter(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received: list[bytes]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(body)  # type: ignore[attr-defined]
        reply = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def proxy(upstream: ThreadingHTTPServer) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.server_address[1]) as proxy:
        yield proxy


def test_passes_requests_through_on_one_keepalive_connection(
    proxy: FaultProxy, upstream: ThreadingHTTPServer
) -> None:
    with requests.Session() as session:
        for i in range(3):
            answer = session.post(f"{proxy.url}/x", data=f"m{i}", timeout=5)
            assert answer.json() == {"ok": True}
    assert upstream.received == [b"m0", b"m1", b"m2"]  # type: ignore[attr-defined]
    assert proxy.stats.requests == 3
    assert proxy.stats.connections == 1


def test_refuse_then_recover(proxy: FaultProxy, upstream: ThreadingHTTPServer) -> None:
    proxy.set_fault(Fault.REFUSE)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{proxy.url}/x", data="lost", timeout=5)
    proxy.set_fault(Fault.NONE)
    assert requests.post(f"{proxy.url}/x", data="ok", timeout=5).status_code == 200
    assert upstream.received == [b"ok"]  # type: ignore[attr-defined]


def test_cut_after_request_reaches_server_but_not_client(
    proxy: FaultProxy, upstream: ThreadingHTTPServer
) -> None:
    proxy.set_fault(Fault.CUT_AFTER_REQUEST, times=1)
    with pytest.raises(requests.ConnectionError):
        requests.post(f"{proxy.url}/x", data="committed", timeout=5)
    assert upstream.received == [b"committed"]  # type: ignore[attr-defined]
    assert requests.post(f"{proxy.url}/x", data="again", timeout=5).status_code == 200


@pytest.mark.parametrize(("fault", "status"), [(Fault.HTTP_500, 500), (Fault.HTTP_429, 429)])
def test_canned_errors_never_reach_server(
    proxy: FaultProxy, upstream: ThreadingHTTPServer, fault: Fault, status: int
) -> None:
    proxy.retry_after = 7
    proxy.set_fault(fault, times=2)
    with requests.Session() as session:
        answers = [session.post(f"{proxy.url}/x", data="m", timeout=5) for _ in range(3)]
    assert [a.status_code for a in answers] == [status, status, 200]
    if fault is Fault.HTTP_429:
        assert answers[0].headers["Retry-After"] == "7"
    assert upstream.received == [b"m"]  # type: ignore[attr-defined]


def test_latency_is_added_per_round_trip(proxy: FaultProxy) -> None:
    proxy.latency = 0.2
    with requests.Session() as session:
        started = time.monotonic()
        for _ in range(2):
            session.post(f"{proxy.url}/x", data="m", timeout=5)
        elapsed = time.monotonic() - started
    # Behaviour, not performance: two round trips must each have been held back.
    assert elapsed >= 0.4

"""Each response reaches the client in one TCP segment: head and body written together.

uvicorn writes a response's head and its body separately: two sends, two segments, and the
client woken twice for every request (issue 11's load test: 50 client processes on 2 cores).
Counted by the kernel (Linux TCP_INFO: data segments received by the client socket) over a
real connection to the real server; no timing.
"""

from __future__ import annotations

import json
import socket
import struct
import sys

import pytest

from tests.server.conftest import RunningServer

# struct tcp_info (linux/tcp.h): tcpi_data_segs_in, segments that carried data (Linux >= 4.6).
DATA_SEGS_IN_OFFSET = 152

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="TCP_INFO's segment counts are Linux's"
)


def _data_segments_in(sock: socket.socket) -> int:
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, DATA_SEGS_IN_OFFSET + 4)
    return int(struct.unpack_from("I", info, DATA_SEGS_IN_OFFSET)[0])


def _exchange(sock: socket.socket, request: bytes) -> tuple[bytes, bytes, int]:
    """Send one request on the kept-alive connection; (head, body, data segments it took)."""
    before = _data_segments_in(sock)
    sock.sendall(request)
    received = b""
    while b"\r\n\r\n" not in received:  # bounded by the socket's timeout
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    length = int(
        next(v for k, _, v in (x.partition(b":") for x in lines) if k.lower() == b"content-length")
    )
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed"
        body += chunk
    return head, body, _data_segments_in(sock) - before


def test_each_response_arrives_in_one_segment(server: RunningServer) -> None:
    alice = server.new_user("alice")
    host, port = server.url.removeprefix("http://").split(":")
    pull = json.dumps({"clientId": "raw", "sinceState": None, "mutations": []}).encode()
    requests = [
        b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Authorization: Bearer {alice.token}\r\nContent-Length: {len(pull)}\r\n\r\n".encode()
        + pull,
        b"GET /v1/session HTTP/1.1\r\nHost: x\r\n\r\n",  # 401, a problem document
    ]
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        answers = [_exchange(sock, request) for request in requests * 2]
    statuses = [head.split(b" ", 2)[1] for head, _body, _segments in answers]
    assert statuses == [b"200", b"200", b"401"] * 2
    assert json.loads(answers[1][1])["changes"]["mailboxes"]["created"]
    assert [segments for _head, _body, segments in answers] == [1] * len(answers)

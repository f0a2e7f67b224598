"""An idle kept-alive connection outlives the clients' own idle expiry (httpx: 5 seconds).

With uvicorn's default of 5 seconds the server closed idle connections at the very moment an
httpx client could reuse them: its request then failed with "connection reset" (seen in
issue 11's 50-client runs). `mailapp-server serve` run as a subprocess, a raw socket kept
open across a 6-second pause.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.server.test_cli import free_port

REQUEST = b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n"


def _health(sock: socket.socket) -> bytes:
    sock.sendall(REQUEST)
    received = b""
    while not received.endswith(b"}"):  # the end of the small JSON body
        chunk = sock.recv(65536)
        if not chunk:
            return received  # the server closed the connection
        received += chunk
    return received


def test_an_idle_connection_is_still_served_after_the_clients_expiry(tmp_path: Path) -> None:
    port = free_port()
    env = {
        **os.environ,
        "MAILAPP_SERVER_DATA": str(tmp_path),
        "MAILAPP_DATABASE_URL": f"sqlite:///{tmp_path / 'server.sqlite3'}",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "mailapp.server.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:  # bounded: until the server answers, at most a minute
            try:
                httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            assert _health(sock).startswith(b"HTTP/1.1 200")
            time.sleep(6)  # longer than httpx's (and uvicorn's default) 5-second idle expiry
            assert _health(sock).startswith(b"HTTP/1.1 200")
    finally:
        server.terminate()
        server.wait(timeout=30)

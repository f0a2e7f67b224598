"""uvicorn's HTTP/1.1 protocol, answering a request it cannot parse with a problem document,
and sending each response's head and body in one write.

uvicorn refuses a request that is not valid HTTP (a control character in a header value such
as Content-Type, a broken request line) itself, before the app sees it, with a text/plain 400.
Every other bad request gets `application/problem+json` (docs/protocol.md); this one should
too, so clients need one way to read errors. `mailapp-server serve` and the tests use it.
"""

from __future__ import annotations

import asyncio
import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from mailapp.server.problems import PROBLEM_JSON, problem_body

BODY = json.dumps(
    problem_body(
        400,
        "malformedRequest",
        title="Malformed request",
        detail="The request is not valid HTTP/1.1 (for example a header value holding a "
        "control character).",
    )
).encode("utf-8")
# How long an idle kept-alive connection stays open. uvicorn's default, 5 seconds, is also
# httpx's idle expiry for its pooled connections: a client sending on a connection the server
# was closing at that same moment got "connection reset" (1 request in 2,000 of two of four
# 50-client runs, the first after the devices' wait). Longer than the clients' own expiry, it
# is the client that closes an idle connection, never in the middle of its request.
KEEP_ALIVE_SECONDS = 75

HEADERS = [
    (b"content-type", PROBLEM_JSON.encode()),
    (b"content-length", str(len(BODY)).encode()),
    (b"connection", b"close"),
]


class CoalescingTransport:
    """The connection's transport, with the writes of one turn of the event loop sent as one.

    uvicorn writes a response's status line and headers, then its body, as two writes: two
    send() calls and two TCP segments, and the client woken twice per response (issue 11's
    load test: every request). Held until the loop's next turn, they go out together. Anything
    but write, close and abort is the transport's own.
    """

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append(data if type(data) is bytes else bytes(data))

    def flush(self) -> None:
        if self._pending:
            data = b"".join(self._pending)
            self._pending.clear()
            if not self._transport.is_closing():
                self._transport.write(data)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending.clear()
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def __getattr__(self, name: str) -> object:
        return getattr(self._transport, name)


class ProblemH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.transport = CoalescingTransport(transport)  # type: ignore[assignment]

    def send_400_response(self, msg: str) -> None:
        for event in (
            h11.Response(status_code=400, headers=HEADERS, reason=b"Bad Request"),
            h11.Data(data=BODY),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))  # type: ignore[arg-type]
        self.transport.close()


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools is optional
    HttpToolsProtocol = None  # type: ignore[assignment, misc]

if HttpToolsProtocol is not None:

    class ProblemHttpToolsProtocol(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            # Flow control (pause/resume reading) stays on the transport itself.
            self.transport = CoalescingTransport(transport)  # type: ignore[assignment]

        def send_400_response(self, msg: str) -> None:
            head = b"HTTP/1.1 400 Bad Request\r\n" + b"".join(
                name + b": " + value + b"\r\n"
                for name, value in [*self.server_state.default_headers, *HEADERS]
            )
            self.transport.write(head + b"\r\n" + BODY)
            self.transport.close()


def protocol_class() -> type[asyncio.Protocol]:
    """The protocol for uvicorn's `http=`: httptools when installed (uvicorn's own choice)."""
    return ProblemH11Protocol if HttpToolsProtocol is None else ProblemHttpToolsProtocol


def protocol_name() -> str:
    """The same as an import string, which uvicorn's worker processes can load."""
    return f"{__name__}:{protocol_class().__name__}"

"""uvicorn's HTTP/1.1 protocol, answering a request it cannot parse with a problem document.

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
HEADERS = [
    (b"content-type", PROBLEM_JSON.encode()),
    (b"content-length", str(len(BODY)).encode()),
    (b"connection", b"close"),
]


class ProblemH11Protocol(H11Protocol):
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

"""A server that answers garbage (or fails) gives a typed error and leaves the store untouched."""

from __future__ import annotations

import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from mailapp import wire
from mailapp.store import MailStore, open_store
from mailapp.store.outbox import queue_mutation
from mailapp.store.replica import create_synced_account
from mailapp.store.schema import mailboxes, messages, sync_state
from mailapp.sync.client import ApiClient
from mailapp.sync.engine import SyncEngine
from mailapp.sync.errors import (
    AuthError,
    OfflineError,
    PermanentError,
    ProtocolError,
    SyncError,
    TlsError,
    TransientError,
)

VALID_CHANGES = {"oldState": "0", "newState": "5", "hasMore": False}


class GarbageServer:
    """Answers every request with whatever `respond` is set to: (status, headers, body, cut)."""

    def __init__(self) -> None:
        self.status = 200
        self.headers: dict[str, str] = {"Content-Type": "application/json"}
        self.body = b"{}"
        self.declared_length: int | None = None  # lie about the length to cut the body short
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(outer.status)
                for name, value in outer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(outer.declared_length or len(outer.body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(outer.body)
                self.close_connection = True

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        # A refused TLS handshake is the expected outcome here, not something to print.
        self.httpd.handle_error = lambda *_args: None  # type: ignore[method-assign]
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def answer(self, body: bytes, status: int = 200, **headers: str) -> None:
        self.status, self.body, self.declared_length = status, body, None
        self.headers = {"Content-Type": "application/json", **headers}


@pytest.fixture
def garbage() -> Iterator[GarbageServer]:
    server = GarbageServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MailStore]:
    with open_store(tmp_path / "mail.sqlite3") as opened:
        yield opened


def _account(store: MailStore, url: str) -> str:
    session = wire.SessionInfo.model_validate(
        {
            "accountId": "acc-1",
            "name": "alice",
            "email": "alice@example.org",
            "state": "3",
            "limits": {
                "maxRequestBytes": 1 << 20,
                "maxAttachmentBytes": 1 << 20,
                "maxMutationsPerSync": 100,
                "maxChangesPerPage": 100,
            },
        }
    )
    inbox = wire.MailboxRecord(
        id="inbox-1", name="Inbox", role="inbox", created_modseq=1, updated_modseq=1
    )
    return create_synced_account(
        store, session=session, server_url=url, username="alice", mailbox_records=[inbox]
    )


def _snapshot(store: MailStore) -> tuple[Any, ...]:
    with store._read() as conn:
        return (
            conn.execute(select(mailboxes).order_by(mailboxes.c.id)).all(),
            conn.execute(select(messages)).all(),
            conn.execute(select(sync_state)).all(),
            [(r.mutation_id, r.payload) for r in store.pending_mutations()],
        )


def _changes_with_mailbox_name(name: str, encoding: str = "utf-8") -> bytes:
    mailbox = {"id": "m-1", "name": name, "role": None, "parentId": None, "sortOrder": 0}
    mailbox |= {"createdModseq": 1, "updatedModseq": 1}
    changes = {**VALID_CHANGES, "mailboxes": {"created": [mailbox]}}
    return json.dumps(changes).encode(encoding)


GARBAGE = [
    pytest.param(b"{not json", {}, ProtocolError, id="bad-json"),
    pytest.param(
        json.dumps({"results": "many", "changes": 7, "newState": None}).encode(),
        {},
        ProtocolError,
        id="wrong-types",
    ),
    pytest.param(b"\xff\xfe\x00garbage", {}, ProtocolError, id="binary"),
    pytest.param(b"[]", {}, ProtocolError, id="json-but-not-an-object"),
    # A NUL in any string is refused however the JSON text spells it (the client skips the
    # per-model NUL walk only for a text that cannot hold one).
    pytest.param(_changes_with_mailbox_name("In\x00box"), {}, ProtocolError, id="nul-escaped"),
    pytest.param(
        _changes_with_mailbox_name("In\x00box", "utf-16"), {}, ProtocolError, id="nul-utf-16"
    ),
]


@pytest.mark.parametrize(("body", "headers", "error"), GARBAGE)
def test_garbage_answers_are_protocol_errors_and_change_nothing(
    garbage: GarbageServer,
    store: MailStore,
    body: bytes,
    headers: dict[str, str],
    error: type[SyncError],
) -> None:
    account_id = _account(store, garbage.url)
    with store._write() as conn:
        queue_mutation(conn, account_id, "email.destroy", {"emailId": "e-1"})
    before = _snapshot(store)
    garbage.answer(body, **headers)
    engine = SyncEngine(store, ApiClient(garbage.url, token="t"), account_id)
    with pytest.raises(error) as raised:
        engine.run_cycle()
    assert raised.value.user_message  # a sentence for the user
    assert _snapshot(store) == before


def test_a_truncated_body_is_a_protocol_error(garbage: GarbageServer, store: MailStore) -> None:
    account_id = _account(store, garbage.url)
    before = _snapshot(store)
    garbage.answer(json.dumps(VALID_CHANGES).encode())
    garbage.declared_length = len(garbage.body) + 500  # then the connection closes
    with pytest.raises(ProtocolError):
        SyncEngine(store, ApiClient(garbage.url, token="t"), account_id).run_cycle()
    assert _snapshot(store) == before


def test_a_huge_body_is_refused_before_it_is_read(garbage: GarbageServer, store: MailStore) -> None:
    account_id = _account(store, garbage.url)
    before = _snapshot(store)
    garbage.answer(b"[" + b"1," * 400_000 + b"1]")
    client = ApiClient(garbage.url, token="t", max_response_bytes=100_000)
    with pytest.raises(ProtocolError, match=r"larger|bytes"):
        SyncEngine(store, client, account_id).run_cycle()
    assert _snapshot(store) == before


@pytest.mark.parametrize(
    ("status", "headers", "error"),
    [
        (500, {}, TransientError),
        (503, {}, TransientError),
        (429, {"Retry-After": "7"}, TransientError),
        (401, {}, AuthError),
        (400, {}, PermanentError),
    ],
)
def test_http_failures_map_to_typed_errors(
    garbage: GarbageServer, status: int, headers: dict[str, str], error: type[SyncError]
) -> None:
    problem = {"type": wire.PROBLEM_BASE + "x", "title": "nope", "status": status}
    garbage.answer(json.dumps(problem).encode(), status, **headers)
    with pytest.raises(error) as raised:
        ApiClient(garbage.url, token="t").changes(None, 10)
    if status == 429:
        assert isinstance(raised.value, TransientError) and raised.value.retry_after == 7.0


def test_a_refused_connection_is_offline_and_probe_says_so(garbage: GarbageServer) -> None:
    url = garbage.url
    garbage.httpd.shutdown()
    garbage.httpd.server_close()
    client = ApiClient(url, token="t", connect_timeout=1.0)
    assert client.probe() is False
    with pytest.raises(OfflineError):
        client.changes(None, 10)


def test_probe_is_true_when_the_server_answers_anything(garbage: GarbageServer) -> None:
    garbage.answer(b"{}", 401)
    assert ApiClient(garbage.url).probe() is True


def test_plain_http_to_a_remote_host_is_refused_unless_allowed() -> None:
    with pytest.raises(PermanentError, match="https"):
        ApiClient("http://mail.example.com")
    assert ApiClient("http://mail.example.com", allow_insecure_http=True).base_url.startswith(
        "http://"
    )
    assert ApiClient("http://[::1]:8080/").base_url == "http://[::1]:8080"


@pytest.fixture
def untrusted_https(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on loopback with a self-signed certificate nobody trusts."""
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    server = GarbageServer()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.thread.start()
    try:
        yield server.url.replace("http://", "https://")
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def test_an_unverifiable_certificate_is_a_tls_error(untrusted_https: str) -> None:
    with pytest.raises(TlsError, match="certificate"):
        ApiClient(untrusted_https, token="t").changes(None, 10)


def test_answers_are_checked_against_the_request(garbage: GarbageServer, store: MailStore) -> None:
    """A sync answer whose results do not match the mutations sent is not applied."""
    account_id = _account(store, garbage.url)
    with store._write() as conn:
        queue_mutation(conn, account_id, "email.destroy", {"emailId": "e-1"})
    before = _snapshot(store)
    answer = {
        "results": [{"mutationId": 999, "status": "applied"}],
        "changes": VALID_CHANGES,
        "newState": "5",
    }
    garbage.answer(json.dumps(answer).encode())
    with pytest.raises(ProtocolError):
        SyncEngine(store, ApiClient(garbage.url, token="t"), account_id).run_cycle()
    assert _snapshot(store) == before


def test_a_garbled_bodies_stream_keeps_the_lines_before_it(garbage: GarbageServer) -> None:
    good = b'{"id": "m1", "text": "first", "html": null}\n'
    garbage.answer(good + b'{"id": "m2", "text": 5}\n', **{"Content-Type": "application/x-ndjson"})
    client = ApiClient(garbage.url, token="t")
    batch = client.message_bodies(["m1", "m2"])
    assert set(batch.bodies) == {"m1"} and batch.bodies["m1"].text == "first"
    assert isinstance(batch.error, ProtocolError) and not batch.complete

    # Nothing usable at all is an error for the caller, like any other garbage answer.
    garbage.answer(b"<html>not json</html>\n", **{"Content-Type": "application/x-ndjson"})
    with pytest.raises(ProtocolError):
        client.message_bodies(["m1"])

    # A stream without its end line was cut off: what came is kept, the rest is asked again.
    garbage.answer(good, **{"Content-Type": "application/x-ndjson"})
    batch = client.message_bodies(["m1", "m2"])
    assert set(batch.bodies) == {"m1"} and isinstance(batch.error, OfflineError)
    client.close()


@pytest.mark.parametrize("state", ["soon", "12.", "-3", "1" * 19])
def test_a_state_that_is_not_one_is_a_protocol_error_and_not_stored(
    garbage: GarbageServer, store: MailStore, state: str
) -> None:
    # Stored, it would be sent back on every later sync (a 400 each time) and read for the
    # progress bar of a first sync (a ValueError).
    account_id = _account(store, garbage.url)
    before = _snapshot(store)
    garbage.answer(json.dumps({**VALID_CHANGES, "newState": state}).encode())
    engine = SyncEngine(store, ApiClient(garbage.url, token="t"), account_id)
    with pytest.raises(ProtocolError) as raised:
        engine.run_cycle(prefetch=False)
    assert raised.value.user_message
    assert _snapshot(store) == before

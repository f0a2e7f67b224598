"""Shared fixtures: the real server under uvicorn on a loopback port, on SQLite and PostgreSQL.

`server` is parametrised over both databases; the PostgreSQL variant is marked `postgres` and
runs against its own freshly created database, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from mailapp.server.app import create_app
from mailapp.server.auth import create_user
from mailapp.server.config import Settings
from mailapp.server.db import make_engine, session_scope
from mailapp.server.http_protocol import protocol_class
from mailapp.server.incoming import store_incoming

PG_URL = os.environ.get("MAILAPP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
START_TIMEOUT = 30.0


@dataclass
class User:
    name: str
    password: str
    account_id: str
    token: str
    client: httpx.Client


@dataclass
class RunningServer:
    """A live server: `.url`, `.settings`, `.engine` (a separate engine on the same database)."""

    url: str
    settings: Settings
    engine: Engine
    _clients: list[httpx.Client] = field(default_factory=list)

    def add_user(self, name: str, password: str) -> str:
        """Create an account straight in the database; returns its id."""
        with session_scope(self.engine) as session:
            return create_user(session, name, password).id

    def login(self, name: str, password: str) -> str:
        response = httpx.post(
            f"{self.url}/v1/session", json={"name": name, "password": password}, timeout=30
        )
        response.raise_for_status()
        return str(response.json()["token"])

    def client(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._clients.append(client)
        return client

    def new_user(self, prefix: str = "user") -> User:
        """A fresh account with a unique name, logged in, with an authenticated client."""
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        password = f"pw-{uuid.uuid4().hex}"
        account_id = self.add_user(name, password)
        token = self.login(name, password)
        return User(name, password, account_id, token, self.client(token))

    def deliver(
        self,
        account_id: str,
        raw: bytes | None = None,
        *,
        subject: str = "Hello",
        mailbox: str = "inbox",
        date: str | None = None,
    ) -> str:
        """File a message into one of the account's mailboxes (role or id); returns its id."""
        if raw is None:
            message = EmailMessage()
            message["From"] = "Sender <sender@example.net>"
            message["To"] = "someone@example.org"
            message["Subject"] = subject
            if date is not None:
                message["Date"] = date
            message.set_content(f"Body of {subject}")
            raw = message.as_bytes()
        with session_scope(self.engine) as session:
            return store_incoming(session, account_id, mailbox, raw).id

    def close_clients(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()


def _free_socket(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@contextlib.contextmanager
def run_server(settings: Settings, *, port: int = 0) -> Iterator[RunningServer]:
    """Start create_app(settings) under uvicorn in a thread; stop it when the block ends.

    `port` 0 takes a free one; another (that of a server stopped before) restarts a server
    where its clients expect it."""
    app = create_app(settings)
    sock = _free_socket(port)
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", access_log=False, http=protocol_class()
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    engine = make_engine(settings.database_url)
    running = RunningServer(f"http://127.0.0.1:{port}", settings, engine)
    try:
        yield running
    finally:
        running.close_clients()
        # Event streams never end by themselves; a served process ends them on SIGTERM, an
        # embedded one here, or stopping would wait for uvicorn's graceful-shutdown timeout.
        bus = getattr(app.state, "change_bus", None)
        if bus is not None:
            bus.close_streams_threadsafe()
        server.should_exit = True
        thread.join(timeout=START_TIMEOUT)
        sock.close()
        engine.dispose()


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A new, uniquely named database on the test server; dropped afterwards."""
    name = f"mailapp_t_{uuid.uuid4().hex[:16]}"
    try:
        admin = psycopg.connect(PG_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}: {exc}")
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(PG_URL, autocommit=True, connect_timeout=5) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'server.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture
def server_factory(database_url: str, tmp_path: Path) -> Iterator[Callable[..., RunningServer]]:
    """Start a server with Settings overrides, e.g. server_factory(login_rate_limit=2)."""
    stack = contextlib.ExitStack()

    def start(**overrides: Any) -> RunningServer:
        settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
        settings = dataclasses.replace(settings, **overrides)
        return stack.enter_context(run_server(settings))

    with stack:
        yield start


@pytest.fixture
def server(server_factory: Callable[..., RunningServer]) -> RunningServer:
    return server_factory()


@pytest.fixture
def api(server: RunningServer) -> httpx.Client:
    """An unauthenticated client on the server's base URL."""
    return server.client()


@pytest.fixture
def user(server: RunningServer) -> User:
    return server.new_user("alice")


@pytest.fixture
def other_user(server: RunningServer) -> User:
    return server.new_user("mallory")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server per test module and database, for tests that only touch their own fresh
    users (`server.new_user()`); much cheaper than `server` on PostgreSQL. A module opts in
    by overriding `server` with it."""
    data_dir = tmp_path_factory.mktemp("shared-server")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{data_dir / 'server.sqlite3'}"
        else:
            url = stack.enter_context(postgres_database())
        yield stack.enter_context(run_server(Settings(data_dir=data_dir, database_url=url)))

"""Sync fixtures: the real server under uvicorn (SQLite), a fault proxy in front of it, and
"devices" (a real store file signed in through the proxy, with its own sync engine)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from mailapp.core.addresses import Address
from mailapp.server.config import Settings
from mailapp.store import DraftInput, MailStore, open_store
from mailapp.sync.account import add_account, client_for
from mailapp.sync.client import ApiClient
from mailapp.sync.engine import CycleReport, SyncEngine
from tests.server.conftest import RunningServer, User, run_server
from tests.support.faultproxy import FaultProxy
from tests.sync.keyring_backend import FileKeyring

WAIT_SECONDS = 20.0


@pytest.fixture
def test_keyring(tmp_path: Path) -> Iterator[FileKeyring]:
    previous: KeyringBackend = keyring.get_keyring()
    backend = FileKeyring(tmp_path / "keyring.json")
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def sync_server(tmp_path: Path) -> Iterator[RunningServer]:
    data = tmp_path / "server"
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'server.sqlite3'}",
        max_changes_per_page=1000,
    )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with run_server(settings) as running:
        yield running


@pytest.fixture
def proxy(sync_server: RunningServer) -> Iterator[FaultProxy]:
    port = int(sync_server.url.rsplit(":", 1)[1])
    with FaultProxy(port) as running:
        yield running


@dataclass
class Device:
    """One client: a store file signed in to the server (through the proxy by default)."""

    name: str
    store: MailStore
    account_id: str
    user: User
    client: ApiClient
    engine: SyncEngine
    reports: list[CycleReport] = field(default_factory=list)

    def sync(self) -> CycleReport:
        report = self.engine.run_cycle()
        self.reports.append(report)
        return report

    def mailbox(self, role: str) -> str:
        row = self.store.mailbox_by_role(self.account_id, role)
        assert row is not None
        return row.id

    def subjects(self, role: str) -> list[str]:
        return sorted(m.subject for m in self.store.page(self.mailbox(role), limit=10_000))

    def write_draft(self, subject: str, to: str, body: str = "Hello") -> str:
        return self.store.save_draft(
            DraftInput(None, self.account_id, subject=subject, to=[Address(None, to)], body=body)
        )


DeviceFactory = Callable[..., Device]


@pytest.fixture
def device_factory(
    tmp_path: Path, proxy: FaultProxy, test_keyring: FileKeyring
) -> Iterator[DeviceFactory]:
    made: list[Device] = []

    def make(user: User, name: str | None = None, *, direct_url: str | None = None) -> Device:
        name = name or f"device{len(made) + 1}"
        store = open_store(tmp_path / name / "mail.sqlite3")
        signed = add_account(store, direct_url or proxy.url, user.name, user.password)
        client = client_for(store, signed.account_id)
        device = Device(
            name,
            store,
            signed.account_id,
            user,
            client,
            SyncEngine(store, client, signed.account_id),
        )
        made.append(device)
        return device

    try:
        yield make
    finally:
        for device in made:
            device.client.close()
            device.store.close()


def wait_for(condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
    """Poll (bounded) until ``condition()``; the server's delivery worker runs on its own."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)

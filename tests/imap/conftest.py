"""Fixtures of the upstream IMAP tests: one real Dovecot per test session, a fresh mail user
per test (so tests never see each other's mail), helpers to seed its folders."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy.engine import Engine

from mailapp.server.db import make_engine, migrate
from tests.support.dovecot import Dovecot, DovecotUnavailable, dovecot_binary, run_dovecot


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    try:
        dovecot_binary()
    except DovecotUnavailable as exc:
        pytest.skip(str(exc))
    with run_dovecot() as server:
        yield server


@dataclass
class MailUser:
    """A mail user of the test Dovecot, with helpers that act as "another IMAP client"."""

    dovecot: Dovecot
    name: str
    password: str

    @property
    def host(self) -> str:
        return self.dovecot.host

    @property
    def port(self) -> int:
        return self.dovecot.port

    @contextlib.contextmanager
    def connect(self) -> Iterator[IMAPClient]:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=30)
        try:
            client.login(self.name, self.password)
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def append(
        self, folder: str, raws: Iterable[bytes], flags: tuple[bytes, ...] = ()
    ) -> list[int]:
        """APPEND each message (MULTIAPPEND in chunks); returns their UIDs."""
        uids: list[int] = []
        with self.connect() as client:
            chunk: list[bytes] = []

            def flush() -> None:
                if chunk:
                    answer = client.multiappend(folder, [{"msg": m, "flags": flags} for m in chunk])
                    uids.extend(_appended_uids(answer))
                    chunk.clear()

            for raw in raws:
                chunk.append(raw)
                if len(chunk) >= 200:
                    flush()
            flush()
        return uids


def _appended_uids(answer: bytes) -> list[int]:
    # "[APPENDUID 1796290472 1:200] Append completed." (UIDPLUS)
    text = answer.decode() if isinstance(answer, bytes) else str(answer)
    if "APPENDUID" not in text:
        return []
    uid_set = text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1]
    uids: list[int] = []
    for part in uid_set.split(","):
        low, _, high = part.partition(":")
        uids.extend(range(int(low), int(high or low) + 1))
    return uids


@pytest.fixture
def mail_user(dovecot: Dovecot) -> MailUser:
    name = f"u{uuid.uuid4().hex[:12]}"
    password = f"pw-{uuid.uuid4().hex}"
    dovecot.add_user(name, password)
    return MailUser(dovecot, name, password)


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A migrated server database: a SQLite file, or a fresh PostgreSQL database when
    MAILAPP_IMAP_TESTS_ON_PG=1 (the whole tests/imap suite on PostgreSQL, run on purpose)."""
    with contextlib.ExitStack() as stack:
        if os.environ.get("MAILAPP_IMAP_TESTS_ON_PG") == "1":
            from tests.server.conftest import postgres_database

            url = stack.enter_context(postgres_database())
        else:
            url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        yield engine
        engine.dispose()

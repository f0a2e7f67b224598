"""Exactly one worker process syncs each upstream account; another takes over when it dies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from mailapp.server.db import make_engine, migrate
from mailapp.server.upstream import secrets
from mailapp.server.upstream.worker import UpstreamWorker
from tests.imap.conftest import MailUser
from tests.imap.helpers import link_user
from tests.imap.messages import messages
from tests.server.conftest import postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'server.sqlite3'}")
        migrate(engine)
        yield engine
        engine.dispose()
    else:
        with postgres_database() as url:
            engine = make_engine(url)
            migrate(engine)
            yield engine
            engine.dispose()


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_one_worker_owns_an_account_and_another_takes_over_when_it_dies(
    any_engine: Engine, mail_user: MailUser, tmp_path: Path
) -> None:
    mail_user.append("INBOX", messages(5))
    linked = link_user(any_engine, mail_user)
    key_file = linked.write_key(tmp_path / "upstream.key")
    assert secrets.load_key(key_file).decrypt(linked.link_row().password_enc)

    clock = Clock()
    first = UpstreamWorker(any_engine, key_file, idle=False, clock=clock, owner="first")
    second = UpstreamWorker(any_engine, key_file, idle=False, clock=clock, owner="second")

    assert first.run_once() == 1  # claimed and imported
    assert second.run_once() == 0
    assert set(first.owned) == {linked.upstream_id} and second.owned == {}
    assert len(linked.emails()) == 5
    assert linked.link_row().lease_owner == "first"

    # `first` dies (stops renewing). Before its lease runs out nobody else syncs the account …
    clock.now += timedelta(seconds=first.lease_seconds - 1)
    second.run_once()
    assert second.owned == {}
    # … after that, `second` takes it over and keeps it in sync.
    clock.now += timedelta(seconds=2)
    mail_user.append("INBOX", messages(1, tag="later"))
    assert second.run_once() == 1
    assert set(second.owned) == {linked.upstream_id}
    assert linked.link_row().lease_owner == "second"
    assert len(linked.emails()) == 6
    # Were `first` only paused, it notices on its next tick and lets go.
    first.run_once()
    assert first.owned == {}

    second.release_all()
    assert linked.link_row().lease_owner is None


def test_linking_again_with_the_right_password_syncs_at_once(
    engine: Engine, mail_user: MailUser, tmp_path: Path
) -> None:
    from mailapp.server.upstream.connection import Endpoint
    from mailapp.server.upstream.links import link

    mail_user.append("INBOX", messages(2))
    linked = link_user(engine, mail_user, password="not-the-password")
    key_file = linked.write_key(tmp_path / "upstream.key")
    worker = UpstreamWorker(engine, key_file, idle=False)

    worker.run_once()
    assert linked.link_row().state == "auth_failed"
    worker.run_once()  # the next try waits (an hour): no lock-out at the provider
    assert linked.emails() == []

    endpoint = Endpoint(mail_user.host, mail_user.port, "none", mail_user.name)
    link(engine, linked.key, linked.user, endpoint, mail_user.password)
    worker.run_once()

    row = linked.link_row()
    assert row.state == "ok" and row.last_error is None
    assert len(linked.emails()) == 2

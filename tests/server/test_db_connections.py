"""Pooled database connections: pinged only when idle, reads without BEGIN/COMMIT on PostgreSQL,
a connection lost mid-request is a busy server (503), not a crash (issue 11)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from mailapp.server import db
from mailapp.server.auth import create_user
from mailapp.server.db import is_busy_error, make_engine, migrate, read_scope, session_scope
from mailapp.server.routes.feed import changes_since, read_connection
from tests.server.conftest import PG_URL, postgres_database


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


def _backend_pid(engine: Engine) -> int:
    with session_scope(engine, write=False) as session:
        return int(session.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.mark.postgres
def test_an_idle_connection_that_died_is_replaced_before_use(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every returned connection counts as idle
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    try:
        first = _backend_pid(engine)
        _terminate(first)
        # The ping finds the connection dead; the pool opens a new one and the request is served.
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_busy_connection_is_not_pinged(pg_url: str) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    pings: list[int] = []
    original = engine.dialect.do_ping

    def counting_ping(connection: object) -> bool:
        pings.append(1)
        return bool(original(connection))  # type: ignore[arg-type]

    engine.dialect.do_ping = counting_ping  # type: ignore[method-assign]
    try:
        for _ in range(5):  # returned a moment ago each time: no round trip before use
            _backend_pid(engine)
        assert pings == []
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_read_scope_runs_each_statement_on_its_own_and_leaves_transactions_intact(
    pg_url: str,
) -> None:
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    query = text("SELECT now() = statement_timestamp()")
    try:
        with read_scope(engine) as session:
            session.execute(text("SELECT pg_sleep(0.02)"))
            # No transaction around the statements: each one's "now" is its own start.
            assert session.execute(query).scalar_one() is True
        with session_scope(engine) as session:  # the same pooled connection, transactional
            session.execute(text("SELECT pg_sleep(0.02)"))
            assert session.execute(query).scalar_one() is False
        with session_scope(engine) as session:
            session.execute(text("CREATE TABLE kept (n int)"))
        try:
            with session_scope(engine) as session:
                session.execute(text("INSERT INTO kept VALUES (1)"))
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        with read_scope(engine) as session:
            assert session.execute(text("SELECT count(*) FROM kept")).scalar_one() == 0
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_connection_lost_under_the_feeds_driver_reads_is_busy_and_replaced(
    pg_url: str,
) -> None:
    """The change feed runs its statements on the driver's cursor (routes/feed_rows.py): a
    connection lost there is still a busy server's error, and the pool replaces it."""
    engine = make_engine(pg_url, pool_size=1, max_overflow=0)
    migrate(engine)
    with session_scope(engine) as session:
        account_id = create_user(session, "reader", "pw").id
    try:
        with read_connection(engine) as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            _terminate(pid)
            with pytest.raises(OperationalError) as caught:
                changes_since(conn, account_id, 0, 10)
        assert is_busy_error(caught.value) and caught.value.connection_invalidated
        with read_connection(engine) as conn:
            mailboxes = changes_since(conn, account_id, 0, 10).kinds["mailboxes"]["created"]
        assert "Inbox" in [mailbox["name"] for mailbox in mailboxes]
    finally:
        engine.dispose()


def _terminate(pid: int) -> None:
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):  # the backend exits a moment after the signal
            if not admin.execute(
                "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone():
                return
            time.sleep(0.05)


def test_read_scope_on_sqlite_reads(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/server.sqlite3")
    try:
        with read_scope(engine) as session:
            assert session.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_connection_lost_mid_request_is_busy_not_a_failure() -> None:
    lost = OperationalError(
        "SELECT 1",
        {},
        Exception("server closed the connection unexpectedly"),
        connection_invalidated=True,
    )
    assert is_busy_error(lost)
    other = OperationalError("SELECT 1", {}, Exception("syntax error"))
    assert not is_busy_error(other)

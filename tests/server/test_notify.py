"""The change bus: a committed write wakes the account's streams; a rolled-back one does not."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from mailapp.server.auth import create_user
from mailapp.server.db import bump_modseq, make_engine, migrate, session_scope
from mailapp.server.events import read_state
from mailapp.server.notify import ChangeBus, TooManyStreams


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


class Rollback(Exception):
    pass


def test_commit_wakes_subscriber_and_rollback_does_not(engine: Engine) -> None:
    with session_scope(engine) as session:
        alice = create_user(session, "alice", "password-123").id
        bob = create_user(session, "bob", "password-123").id

    def write(account_id: str, *, commit: bool) -> None:
        try:
            with session_scope(engine) as session:
                bump_modseq(session, account_id)
                if not commit:
                    raise Rollback
        except Rollback:
            pass

    async def scenario() -> list[bool]:
        # poll_interval long: on SQLite only the in-process publish may wake us here.
        bus = ChangeBus(engine, lambda a: read_state(engine, a), poll_interval=60)
        await bus.start()
        try:
            with bus.subscribe(alice) as sub:
                outcomes = []
                await asyncio.to_thread(write, alice, commit=False)
                outcomes.append(await sub.wait(0.5))
                await asyncio.to_thread(write, bob, commit=True)
                outcomes.append(await sub.wait(0.5))
                await asyncio.to_thread(write, alice, commit=True)
                outcomes.append(await sub.wait(5))
                return outcomes
        finally:
            await bus.stop()

    assert asyncio.run(scenario()) == [False, False, True]
    assert read_state(engine, alice) == 7  # six mailboxes + one committed write


def test_streams_per_account_are_capped_and_released(engine: Engine) -> None:
    async def scenario() -> tuple[int, int]:
        bus = ChangeBus(engine, lambda a: None, max_streams_per_account=2, poll_interval=60)
        await bus.start()
        try:
            first, _second = bus.subscribe("a"), bus.subscribe("a")
            with pytest.raises(TooManyStreams):
                bus.subscribe("a")
            bus.subscribe("b").close()  # other accounts are not affected
            first.close()
            bus.subscribe("a")
            return bus.stream_count("a"), bus.stream_count("b")
        finally:
            await bus.stop()

    assert asyncio.run(scenario()) == (2, 0)

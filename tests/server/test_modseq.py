"""The modseq counter as a transaction sees it: known without a read while the row is locked,
read again after a savepoint (which may have undone a bump); notifications go out on commit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from mailapp.server.auth import create_user
from mailapp.server.db import (
    ModseqAllocator,
    bump_modseq,
    current_modseq,
    lock_account,
    make_engine,
    migrate,
    session_scope,
)
from mailapp.server.models import Account


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


def _account(engine: Engine) -> tuple[str, int]:
    with session_scope(engine) as session:
        account = create_user(session, "counter", "password-123")
        account_id = account.id
    with session_scope(engine) as session:
        return account_id, current_modseq(session, account_id)


def test_a_savepoint_rolled_back_undoes_its_bump_and_the_counter_is_read_again(
    engine: Engine,
) -> None:
    account_id, start = _account(engine)
    with session_scope(engine) as session:
        lock_account(session, account_id)
        assert bump_modseq(session, account_id) == start + 1
        try:
            with session.begin_nested():
                assert bump_modseq(session, account_id) == start + 2
                raise RuntimeError("undo")
        except RuntimeError:
            pass
        assert current_modseq(session, account_id) == start + 1
        allocator = ModseqAllocator(session, account_id)
        assert allocator.next() == start + 2
        assert allocator.finish() == start + 2
        assert current_modseq(session, account_id) == start + 2
    with session_scope(engine) as session:
        assert current_modseq(session, account_id) == start + 2


def test_an_account_loaded_before_the_lock_does_not_stale_the_counter(engine: Engine) -> None:
    account_id, start = _account(engine)
    with session_scope(engine) as session:
        loaded = session.get(Account, account_id)  # in the identity map with modseq `start`
        assert loaded is not None and loaded.modseq == start
        assert bump_modseq(session, account_id) == start + 1  # Core: the object keeps `start`
        with session.begin_nested():
            pass  # a savepoint's end forgets the remembered counter
        lock_account(session, account_id)
        allocator = ModseqAllocator(session, account_id)
        assert allocator.next() == start + 2  # not start + 1 a second time
        assert allocator.finish() == start + 2
    with session_scope(engine) as session:
        assert current_modseq(session, account_id) == start + 2

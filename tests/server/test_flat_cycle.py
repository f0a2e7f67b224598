"""A sync cycle with nothing changed costs the server the same few SQL statements whatever the
size of the mailbox (issue 11: flat no-change sync). Counted at the server database's driver
(tests/server/statements.py: the feed's state read runs on the driver's cursor, which
SQLAlchemy's events do not see), at two mailbox sizes, through the real client's SyncEngine;
no timing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mailapp.store import open_store
from mailapp.sync.account import add_account, client_for
from mailapp.sync.engine import SyncEngine
from tests.bench.bench_support import fill_messages
from tests.server.conftest import RunningServer
from tests.server.statements import request_statements
from tests.sync.conftest import test_keyring  # noqa: F401 - the fixture, used by name

# A no-change cycle: the token's check, and the feed's one read of the account. Room for a
# little more, but nothing that grows with the mailbox.
MAX_STATEMENTS = 8


@pytest.fixture
def server(shared_server: RunningServer) -> RunningServer:
    return shared_server


def _server_statements(server: RunningServer, cycle: Any) -> list[str]:
    """Statements run on the server's database (not the client's store) during `cycle()`."""
    # The background threads' statements too: the fewest over a few cycles copes with them.
    with request_statements(server, background=True) as seen:
        cycle()
    return seen


def _no_change_statements(server: RunningServer, tmp_path: Path, messages: int) -> list[str]:
    user = server.new_user(f"flat{messages}")
    fill_messages(server.settings.database_url, user.account_id, messages)
    with open_store(tmp_path / f"store-{messages}" / "mail.sqlite3") as store:
        signed = add_account(store, server.url, user.name, user.password)
        client = client_for(store, signed.account_id)
        engine = SyncEngine(store, client, signed.account_id)
        try:
            engine.run_cycle(prefetch=False)
            assert store.sync_state(signed.account_id)[0] is not None
            engine.run_cycle(prefetch=False)  # warm: the token is known, the session read
            # The fewest over a few cycles: the server's background jobs (delivery, upstream,
            # housekeeping) share its database and may run during one of them.
            counts = []
            for _ in range(3):

                def cycle() -> None:
                    report = engine.run_cycle(prefetch=False)
                    assert (report.pulled, report.pushed) == (0, 0)

                counts.append(_server_statements(server, cycle))
            return min(counts, key=len)
        finally:
            client.close()


def test_no_change_cycle_is_flat_in_mailbox_size(
    server: RunningServer,
    tmp_path: Path,
    test_keyring: Iterator[Any],  # noqa: F811
) -> None:
    small = _no_change_statements(server, tmp_path, 20)
    large = _no_change_statements(server, tmp_path, 3000)
    assert len(small) == len(large), (small, large)
    assert len(large) <= MAX_STATEMENTS, large
    # None of them touches the mail itself. The feed's state read names the feed tables, but
    # asks them only once the account moved past the client's state (a CASE; PostgreSQL's
    # plan shows them never executed: test_feed_statements.py).
    assert not [s for s in large if " email" in s.lower() and not _state_read(s)], large
    assert len([s for s in large if _state_read(s)]) == 1, large


def _state_read(statement: str) -> bool:
    return statement.startswith("SELECT account.modseq, account.pruned_modseq, CASE WHEN")

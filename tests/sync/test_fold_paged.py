"""The answer to a push arrives in pages: views of the answered records settle after the last."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailapp.server.config import Settings
from mailapp.sync.errors import OfflineError
from tests.server.conftest import RunningServer, run_server
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.conftest import DeviceFactory
from tests.sync.test_fold_pull import _local_email, _pair, _server_email, _unsent, pull


@pytest.fixture
def sync_server(tmp_path: Path) -> Iterator[RunningServer]:
    """The real server, sending one change per page, so every answer with changes has more."""
    data = tmp_path / "server"
    data.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'server.sqlite3'}",
        max_changes_per_page=1,
    )
    with run_server(settings) as running:
        yield running


def test_a_replayed_answer_with_more_pages_leaves_no_stale_view(
    sync_server: RunningServer, device_factory: DeviceFactory, proxy: FaultProxy
) -> None:
    a, b, email_id = _pair(sync_server, device_factory)
    a.store.mark_read([email_id])
    proxy.set_fault(Fault.CUT_AFTER_REQUEST, times=1)
    with pytest.raises(OfflineError):
        a.sync()  # the server marked it read; A never heard
    b.sync()
    b.store.mark_read([email_id], read=False)
    b.sync()
    pull(a)  # B's unread arrives while A's read is still in flight
    for n in range(3):  # the resend's answer then carries other changes, in several pages
        sync_server.deliver(a.user.account_id, subject=f"later {n}")
    a.sync()

    assert "$seen" not in _server_email(a, email_id)["keywords"]
    assert _local_email(a, email_id)[1] is False
    assert sorted(a.subjects("inbox")) == sorted(["Shared", "later 0", "later 1", "later 2"])
    assert _unsent(a) == []

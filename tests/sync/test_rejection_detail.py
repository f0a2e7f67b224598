"""A mutation the server rejects shows the server's sentence in the Outbox, not its reason code."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mailapp.core.addresses import Address
from mailapp.server.config import Settings
from mailapp.store import DraftInput, OutboxState
from tests.server.conftest import RunningServer, run_server
from tests.sync.conftest import DeviceFactory


@pytest.fixture
def sync_server(tmp_path: Path) -> Iterator[RunningServer]:
    """The real server with a recipient cap of 2 (MAILAPP_MAX_RECIPIENTS in production)."""
    data = tmp_path / "server"
    data.mkdir(parents=True)
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'server.sqlite3'}",
        max_recipients_per_message=2,
    )
    with run_server(settings) as running:
        yield running


def test_a_send_over_the_recipient_cap_shows_the_servers_sentence(
    sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice = sync_server.new_user("alice")
    device = device_factory(alice)
    device.sync()
    draft = device.store.save_draft(
        DraftInput(
            None,
            device.account_id,
            subject="To the whole team",
            to=[Address(None, f"member{n}@example.org") for n in range(3)],
            body="Hello all",
        )
    )
    device.store.queue_send(draft)
    device.sync()

    (failed,) = [r for r in device.store.pending_mutations() if r.state == OutboxState.FAILED]
    assert failed.type == "submission.create"
    assert failed.last_error == (
        "The message has 3 recipients; at most 2 are allowed per message. "
        "Send it in several messages or use a mailing list."
    )
    assert device.store.draft(draft) is not None  # kept, so the user can trim and resend

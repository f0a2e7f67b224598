"""How soon the app notices its server is back: the real server stopped and started again on
its port, the real sync thread, no proxy. Goal (issue 12): the outbox is flushed within 2 s of
the server answering again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mailapp.server.config import Settings
from mailapp.store import MailStore, open_store
from mailapp.sync.account import add_account
from mailapp.ui.syncing.sync_worker import SyncController
from tests.server.conftest import run_server

pytestmark = pytest.mark.slow
WAIT_MS = 20_000
GOAL_S = 2.0
BOUND_S = 2.5  # the goal plus room for a busy two-core machine


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MailStore]:
    mail = open_store(tmp_path / "profile" / "mail.sqlite3")
    yield mail
    mail.close()


def _unsent(store: MailStore) -> int:
    return sum(1 for m in store.pending_mutations() if m.state != "applied")


def test_the_outbox_is_flushed_within_two_seconds_of_the_server_coming_back(
    qtbot: QtBot, tmp_path: Path, store: MailStore
) -> None:
    data = tmp_path / "server"
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as server:
        user = server.new_user("traveller")
        server.deliver(user.account_id, subject="Read me on the train")
        port = int(server.url.rsplit(":", 1)[1])
        account_id = add_account(store, server.url, user.name, user.password).account_id
        controller = SyncController(store.path, account_id, ui_store=store)
        controller.start()
        inbox = store.mailbox_by_role(account_id, "inbox")
        assert inbox is not None
        qtbot.waitUntil(lambda: len(store.page(inbox.id, limit=10)) == 1, timeout=WAIT_MS)
    try:
        # The server is gone: the app says so, and the user keeps working.
        qtbot.waitUntil(lambda: controller.state == "offline", timeout=WAIT_MS)
        (message,) = store.page(inbox.id, limit=10)
        store.mark_read([message.id], True)
        assert _unsent(store) == 1
        qtbot.wait(3000)  # down for a while, as in the report (there: 17 s)
        assert _unsent(store) == 1

        with run_server(settings, port=port) as again:
            back = time.monotonic()  # run_server returns once the server accepts connections
            qtbot.waitUntil(lambda: _unsent(store) == 0, timeout=WAIT_MS)
            took = time.monotonic() - back
            print(f"\noutbox flushed {took:.2f} s after the server came back (goal {GOAL_S} s)")
            assert took < BOUND_S
            # Really on the server: the message is read there too.
            answer = again.client(user.token).get(f"/v1/mailboxes/{inbox.id}/messages")
            assert ["$seen" in m["keywords"] for m in answer.json()["items"]] == [True]
            assert controller.shutdown(timeout_s=3.0)
    finally:
        controller.shutdown(timeout_s=3.0)

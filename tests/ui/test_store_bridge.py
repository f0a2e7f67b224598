"""Store notifications reach Qt objects on the UI thread, whichever thread wrote."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread
from pytestqt.qtbot import QtBot

from mailapp.store import ChangeSet, MailStore
from mailapp.ui.common.store_bridge import StoreChanges
from tests.ui.conftest import inbox_id


def test_a_write_from_a_worker_thread_is_delivered_on_the_ui_thread(
    qtbot: QtBot, store: MailStore
) -> None:
    changes = StoreChanges(store)
    received: list[tuple[ChangeSet, bool]] = []
    ui_thread = QThread.currentThread()
    changes.changed.connect(
        lambda change: received.append((change, QThread.currentThread() is ui_thread))
    )
    (first, *_) = store.page(inbox_id(store), None, 1)

    worker = threading.Thread(target=store.set_flagged, args=([first.id],))
    worker.start()
    worker.join(timeout=10)
    assert received == []  # nothing runs inside the writer's thread
    qtbot.waitUntil(lambda: len(received) == 1, timeout=5_000)

    change, on_ui_thread = received[0]
    assert first.id in change.messages
    assert on_ui_thread

    changes.close()
    store.set_flagged([first.id], False)
    qtbot.wait(50)
    assert len(received) == 1  # unsubscribed: later writes are not delivered

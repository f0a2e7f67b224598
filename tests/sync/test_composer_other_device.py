"""An open composer must not silently undo another device's edit of its draft (real Qt, offscreen).

Two devices against the real server: B edits the draft and syncs; A pulls while A's composer
still shows the old text. A's next save changes only what A typed, against what A saw: B's
edit of a field A did not touch survives (and shows in A's composer), and a field both changed
ends as a conflict with both texts, announced in the composer.
"""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from mailapp.store import DraftInput
from mailapp.ui.composer.composer import Composer, open_composer
from tests.server.conftest import RunningServer
from tests.sync.conftest import Device, DeviceFactory
from tests.sync.test_fold_pull import pull

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support raise\(\)", "This plugin does not support grabbing"
)


def _shared_draft(
    server: RunningServer, device_factory: DeviceFactory
) -> tuple[Device, Device, str]:
    alice = server.new_user("alice")
    a, b = device_factory(alice, "a"), device_factory(alice, "b")
    draft_id = a.store.save_draft(DraftInput(None, a.account_id, subject="Plan", body="v0"))
    a.sync()
    b.sync()
    return a, b, draft_id


def _b_edits_the_body(b: Device, draft_id: str) -> None:
    b.store.save_draft(DraftInput(draft_id, b.account_id, subject="Plan", body="from B"))
    b.sync()


def _server_draft(device: Device, draft_id: str) -> dict[str, object]:
    record: dict[str, object] = device.user.client.get(f"/v1/drafts/{draft_id}").json()
    return record


def _open(qtbot: QtBot, device: Device, draft_id: str) -> Composer:
    window = open_composer(device.store, device.account_id, draft_id=draft_id)
    qtbot.addWidget(window)
    assert window.body.toPlainText() == "v0"
    return window


def test_typing_the_subject_after_a_pull_keeps_the_other_devices_body(
    sync_server: RunningServer, device_factory: DeviceFactory, qtbot: QtBot
) -> None:
    a, b, draft_id = _shared_draft(sync_server, device_factory)
    window = _open(qtbot, a, draft_id)
    _b_edits_the_body(b, draft_id)

    pull(a)
    # The untouched body shows B's text in A's open composer, without a conflict notice.
    qtbot.waitUntil(lambda: window.body.toPlainText() == "from B", timeout=2_000)
    assert not window.draft_base.isVisible()
    window.subject_field.setText("Plan for Friday")
    assert window.save() == draft_id
    a.sync()
    b.sync()

    server = _server_draft(a, draft_id)
    assert (server["subject"], server["body"]) == ("Plan for Friday", "from B")
    for device in (a, b):
        local = device.store.draft(draft_id)
        assert local is not None and (local.subject, local.body) == ("Plan for Friday", "from B")
    assert a.store.open_conflicts() == []
    window.close()


def test_typing_the_subject_before_the_composer_sees_the_pull_keeps_the_other_devices_body(
    sync_server: RunningServer, device_factory: DeviceFactory, qtbot: QtBot
) -> None:
    # The save comes before the composer has handled the store's notification: the store
    # itself must not take the old body on screen for a change.
    a, b, draft_id = _shared_draft(sync_server, device_factory)
    window = _open(qtbot, a, draft_id)
    _b_edits_the_body(b, draft_id)

    pull(a)
    window.subject_field.setText("Plan for Friday")
    window.save()
    a.sync()

    server = _server_draft(a, draft_id)
    assert (server["subject"], server["body"]) == ("Plan for Friday", "from B")
    qtbot.waitUntil(lambda: window.body.toPlainText() == "from B", timeout=2_000)
    window.close()


def test_typing_the_body_too_keeps_both_texts_and_says_so(
    sync_server: RunningServer, device_factory: DeviceFactory, qtbot: QtBot
) -> None:
    a, b, draft_id = _shared_draft(sync_server, device_factory)
    window = _open(qtbot, a, draft_id)
    _b_edits_the_body(b, draft_id)

    window.body.setPlainText("from A")  # typed, not saved yet
    window.subject_field.setText("Plan for Friday")
    pull(a)
    # A's composer keeps A's text and says the draft changed elsewhere.
    qtbot.waitUntil(window.draft_base.isVisible, timeout=2_000)
    assert "changed on another device" in window.draft_base.label.text()
    assert window.body.toPlainText() == "from A"
    window.save()
    a.sync()

    server = _server_draft(a, draft_id)
    assert server["body"] == "from B"  # B's text is not overwritten silently
    assert server["subject"] == "Plan for Friday"  # A's untouched-by-B field went through
    (conflict,) = a.store.open_conflicts()
    assert conflict.record_id == draft_id
    assert conflict.local.get("body") == "from A"  # A's text is kept, for the conflict dialog
    # The composer still shows A's text after the sync, with the notice.
    qtbot.wait(50)
    assert window.body.toPlainText() == "from A"
    assert window.draft_base.isVisible()
    window.close()


def test_keep_mine_replaces_the_other_devices_text_when_chosen(
    sync_server: RunningServer, device_factory: DeviceFactory, qtbot: QtBot
) -> None:
    a, b, draft_id = _shared_draft(sync_server, device_factory)
    window = _open(qtbot, a, draft_id)
    _b_edits_the_body(b, draft_id)

    window.body.setPlainText("from A")
    pull(a)
    qtbot.waitUntil(window.draft_base.isVisible, timeout=2_000)
    window.draft_base.keep_mine_button.click()
    assert not window.draft_base.isVisible()
    window.save()
    a.sync()

    assert _server_draft(a, draft_id)["body"] == "from A"
    assert a.store.open_conflicts() == []
    window.close()


def test_take_theirs_puts_the_other_devices_text_in_the_composer(
    sync_server: RunningServer, device_factory: DeviceFactory, qtbot: QtBot
) -> None:
    a, b, draft_id = _shared_draft(sync_server, device_factory)
    window = _open(qtbot, a, draft_id)
    _b_edits_the_body(b, draft_id)

    window.body.setPlainText("from A")
    pull(a)
    qtbot.waitUntil(window.draft_base.isVisible, timeout=2_000)
    window.draft_base.take_theirs_button.click()
    assert window.body.toPlainText() == "from B"
    assert not window.draft_base.isVisible()
    window.save()
    a.sync()

    assert _server_draft(a, draft_id)["body"] == "from B"
    assert a.store.open_conflicts() == []
    window.close()

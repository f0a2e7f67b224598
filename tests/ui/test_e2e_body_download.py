"""Messages synced without their body (older than the prefetch window): showing one downloads it
through the sync thread, against the real server through the fault proxy (offline included)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from mailapp.sync.credentials import account_key, load_token
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.ui import test_e2e_sync as e2e
from tests.ui.test_e2e_sync import WAIT_MS, Desktop, DesktopFactory

server, proxy, desktop, file_keyring = e2e.server, e2e.proxy, e2e.desktop, e2e.file_keyring

pytestmark = pytest.mark.slow
OLD_DATE = "Mon, 04 Jan 2021 09:00:00 +0000"  # far outside the 30-day prefetch window
TEXT = "The minutes of the 2021 meeting, kept for the record."


def _old_message(subject: str) -> bytes:
    return (
        f"From: Archive <archive@example.net>\r\nTo: someone@example.org\r\n"
        f"Subject: {subject}\r\nDate: {OLD_DATE}\r\nMessage-ID: <{subject.replace(' ', '.')}"
        f"@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{TEXT}\r\n"
    ).encode()


def _pane_text(me: Desktop) -> str:
    return me.window.reading_pane.toPlainText()


def _synced_without_body(qtbot: QtBot, me: Desktop, subject: str) -> str:
    me.wait_for_inbox(qtbot, [subject])
    me.wait_synced(qtbot)
    me.window.select_mailbox(me.mailbox("inbox"))
    (summary,) = me.store.page(me.mailbox("inbox"), limit=10)
    detail = me.store.message(summary.id)
    assert detail is not None and not detail.body_available  # only its headers came
    return summary.id


def test_showing_a_message_without_its_body_downloads_and_shows_it(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    user = server.new_user("archivist")
    server.deliver(user.account_id, _old_message("Minutes 2021"))
    me = desktop(user)
    _synced_without_body(qtbot, me, "Minutes 2021")

    me.window.select_message_row(0)
    assert "Downloading this message…" in _pane_text(me)
    qtbot.waitUntil(lambda: TEXT in _pane_text(me), timeout=WAIT_MS)
    assert "not available offline" not in _pane_text(me)


def test_offline_it_says_so_and_shows_the_text_once_back_online(
    qtbot: QtBot, server: RunningServer, proxy: FaultProxy, desktop: DesktopFactory
) -> None:
    user = server.new_user("commuter")
    server.deliver(user.account_id, _old_message("Minutes offline"))
    me = desktop(user)
    message_id = _synced_without_body(qtbot, me, "Minutes offline")
    proxy.set_fault(Fault.REFUSE)
    qtbot.waitUntil(lambda: me.controller.state in ("offline", "retrying"), timeout=WAIT_MS)
    asked: list[str] = []
    me.window.message_view.bodies.requested.connect(asked.append)

    me.window.select_message_row(0)
    offline = "This message is not available offline — it will download when you're back online."
    qtbot.waitUntil(lambda: offline in _pane_text(me), timeout=WAIT_MS)
    # Selecting it again while the wish is pending asks nothing more of the sync thread.
    me.window.message_list.clearSelection()
    me.window.select_message_row(0)
    assert offline in _pane_text(me)
    assert asked == [message_id]

    proxy.clear()
    qtbot.waitUntil(lambda: TEXT in _pane_text(me), timeout=WAIT_MS)


def test_working_offline_keeps_the_wish_until_work_offline_is_turned_off(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    user = server.new_user("hermit")
    server.deliver(user.account_id, _old_message("Minutes kept"))
    me = desktop(user)
    _synced_without_body(qtbot, me, "Minutes kept")
    me.controller.set_work_offline(True)
    qtbot.waitUntil(lambda: me.controller.state == "working_offline", timeout=WAIT_MS)

    me.window.select_message_row(0)
    qtbot.waitUntil(lambda: "back online" in _pane_text(me), timeout=WAIT_MS)
    qtbot.wait(300)
    assert TEXT not in _pane_text(me)

    me.controller.set_work_offline(False)
    qtbot.waitUntil(lambda: TEXT in _pane_text(me), timeout=WAIT_MS)


def test_a_refused_sign_in_says_why_instead_of_the_text(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    user = server.new_user("revoked")
    server.deliver(user.account_id, _old_message("Minutes refused"))
    me = desktop(user)
    _synced_without_body(qtbot, me, "Minutes refused")
    token = load_token(account_key(me.controller_url(), user.name))
    assert token
    assert server.client(token).delete("/v1/session").status_code == 204  # signed out elsewhere

    me.window.select_message_row(0)
    refused = (
        "Could not download this message: The server did not accept your sign-in; sign in again."
    )
    qtbot.waitUntil(lambda: refused in _pane_text(me), timeout=WAIT_MS)
    assert TEXT not in _pane_text(me)


def test_a_timed_out_download_says_it_retries_and_shows_the_text_without_a_click(
    qtbot: QtBot,
    server: RunningServer,
    proxy: FaultProxy,
    desktop: DesktopFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    e2e.impatient_requests(monkeypatch)  # a request gives up after 2 s
    user = server.new_user("patient")
    server.deliver(user.account_id, _old_message("Minutes slow"))
    me = desktop(user)
    _synced_without_body(qtbot, me, "Minutes slow")
    # The server is up and answers everything but this message's body, for a while.
    proxy.latency_path, proxy.latency = "/v1/messages/", 5.0

    me.window.select_message_row(0)
    retrying = (
        f"This message could not be downloaded yet ({proxy.url} did not finish answering "
        "within 2 s) — trying again shortly."
    )
    qtbot.waitUntil(lambda: retrying in _pane_text(me), timeout=WAIT_MS)
    assert "back online" not in _pane_text(me)
    proxy.latency, proxy.latency_path = 0.0, None
    qtbot.waitUntil(lambda: TEXT in _pane_text(me), timeout=10_000)
    qtbot.wait(4000)  # let the proxy finish the delayed request it still holds

"""Attachments synced without their bytes: opening, saving or forwarding fetches them through
the sync thread, against the real server through the fault proxy (offline included)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from mailapp.sync.credentials import account_key, load_token
from mailapp.ui.composer.composer import Composer
from mailapp.ui.reading.attachments import AttachmentBar
from tests.server.conftest import RunningServer
from tests.support.faultproxy import Fault, FaultProxy
from tests.ui import test_e2e_sync as e2e
from tests.ui.test_e2e_sync import WAIT_MS, Desktop, DesktopFactory

# The desktops of the end-to-end sync tests: each signed in to the real server via the proxy.
server, proxy, desktop, file_keyring = e2e.server, e2e.proxy, e2e.desktop, e2e.file_keyring

pytestmark = pytest.mark.slow
REPORT = b"month,total\njanuary,12\nfebruary,30\n" * 50


def _with_attachment(subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Sender <sender@example.net>"
    message["To"] = "someone@example.org"
    message["Subject"] = subject
    message.set_content("The figures are attached.")
    message.add_attachment(REPORT, maintype="text", subtype="csv", filename="report.csv")
    return message.as_bytes()


def _reading(qtbot: QtBot, me: Desktop, subject: str) -> AttachmentBar:
    """The message is synced and shown; its attachment's bytes are not on this computer."""
    me.wait_for_inbox(qtbot, [subject])
    me.wait_synced(qtbot)
    me.window.select_mailbox(me.mailbox("inbox"))
    me.window.select_message_row(0)
    bar = me.window.message_view.attachments
    assert bar is not None and bar.isVisible()
    (attachment,) = bar.attachments
    assert attachment.filename == "report.csv"
    assert me.store.attachment_data(attachment.id) is None
    return bar


def test_saving_an_attachment_not_downloaded_yet_downloads_and_writes_it(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory, tmp_path: Path
) -> None:
    user = server.new_user("saver")
    server.deliver(user.account_id, _with_attachment("Figures"))
    me = desktop(user)
    bar = _reading(qtbot, me, "Figures")
    folder = tmp_path / "Downloads"
    folder.mkdir()
    bar.choose_folder = lambda: folder
    notices: list[str] = []
    bar.notice.connect(notices.append)

    bar.save_all_button.click()
    status = bar.findChild(QLabel, "attachmentStatus")  # in the bar, beside the files
    assert status is not None and status.isVisible()
    assert status.text() == "Downloading report.csv…"

    qtbot.waitUntil(lambda: (folder / "report.csv").exists(), timeout=WAIT_MS)
    assert (folder / "report.csv").read_bytes() == REPORT
    assert notices[-1] == f"Saved 1 file in {folder}"
    assert not status.isVisible()


def test_offline_the_wish_is_kept_and_the_file_saved_once_back_online(
    qtbot: QtBot,
    server: RunningServer,
    proxy: FaultProxy,
    desktop: DesktopFactory,
    tmp_path: Path,
) -> None:
    user = server.new_user("traveller")
    server.deliver(user.account_id, _with_attachment("Figures offline"))
    me = desktop(user)
    bar = _reading(qtbot, me, "Figures offline")
    folder = tmp_path / "Downloads"
    folder.mkdir()
    bar.choose_folder = lambda: folder
    proxy.set_fault(Fault.REFUSE)
    qtbot.waitUntil(lambda: me.controller.state in ("offline", "retrying"), timeout=WAIT_MS)
    notices: list[str] = []
    bar.notice.connect(notices.append)

    bar.save_all_button.click()
    offline = "report.csv is not available offline — it will download when you're back online."
    qtbot.waitUntil(lambda: offline in notices, timeout=WAIT_MS)
    assert bar.status_label.text() == offline
    qtbot.wait(500)
    assert list(folder.iterdir()) == []

    proxy.clear()
    qtbot.waitUntil(lambda: (folder / "report.csv").exists(), timeout=WAIT_MS)
    assert (folder / "report.csv").read_bytes() == REPORT
    assert notices[-1] == f"Saved 1 file in {folder}"
    assert not bar.status_label.isVisible()


def test_forwarding_fetches_what_it_could_not_attach_so_forwarding_again_carries_it(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory
) -> None:
    user = server.new_user("forwarder")
    server.deliver(user.account_id, _with_attachment("Figures to pass on"))
    me = desktop(user)
    bar = _reading(qtbot, me, "Figures to pass on")
    (attachment,) = bar.attachments

    me.window.mail_actions.forward.trigger()
    (first,) = [c for c in me.window.findChildren(Composer) if c.isVisible()]
    assert first.info_label.text() == (
        "Not downloaded yet, so not attached: report.csv. Mail is downloading them "
        "(when online): forward again once they are."
    )
    qtbot.waitUntil(lambda: me.store.attachment_data(attachment.id) == REPORT, timeout=WAIT_MS)
    first.close()

    me.window.mail_actions.forward.trigger()
    (again,) = [c for c in me.window.findChildren(Composer) if c.isVisible()]
    assert again.info_label.isHidden()
    assert [(name, data) for name, _type, data in again.attachments.files] == [
        ("report.csv", REPORT)
    ]
    again.close()


def test_a_part_the_server_does_not_have_and_a_revoked_sign_in_each_say_why(
    qtbot: QtBot, server: RunningServer, desktop: DesktopFactory, tmp_path: Path
) -> None:
    user = server.new_user("unlucky")
    server.deliver(user.account_id, _with_attachment("Figures gone"))
    me = desktop(user)
    bar = _reading(qtbot, me, "Figures gone")
    (attachment,) = bar.attachments
    folder = tmp_path / "Downloads"
    folder.mkdir()
    bar.choose_folder = lambda: folder
    notices: list[str] = []
    bar.notice.connect(notices.append)
    # A part number the server's copy of the message does not have: it answers 404.
    server_id, _part = attachment.id.rsplit(".", 1)
    gone = replace(attachment, id=f"{server_id}.99")
    with sqlite3.connect(me.store.path) as conn:
        conn.execute("UPDATE attachments SET id = ? WHERE id = ?", (gone.id, attachment.id))
    conn.close()

    bar.save([gone])
    missing = "Could not download report.csv: The server no longer has this attachment."
    qtbot.waitUntil(lambda: missing in notices, timeout=WAIT_MS)
    assert bar.status_label.text() == missing

    token = load_token(account_key(me.controller_url(), user.name))
    assert token
    assert server.client(token).delete("/v1/session").status_code == 204  # signed out elsewhere
    bar.open(gone)
    refused = (
        "Could not download report.csv: The server did not accept your sign-in; sign in again."
    )
    qtbot.waitUntil(lambda: refused in notices, timeout=WAIT_MS)
    assert list(folder.iterdir()) == []


def test_a_timed_out_download_says_it_retries_and_saves_the_file_without_a_click(
    qtbot: QtBot,
    server: RunningServer,
    proxy: FaultProxy,
    desktop: DesktopFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    e2e.impatient_requests(monkeypatch)  # a request gives up after 2 s
    user = server.new_user("hurried")
    server.deliver(user.account_id, _with_attachment("Figures slow"))
    me = desktop(user)
    bar = _reading(qtbot, me, "Figures slow")
    folder = tmp_path / "Downloads"
    folder.mkdir()
    bar.choose_folder = lambda: folder
    notices: list[str] = []
    bar.notice.connect(notices.append)
    # The server is up and answers everything but this attachment, for a while.
    proxy.latency_path, proxy.latency = "/v1/messages/", 5.0

    bar.save_all_button.click()
    retrying = (
        f"report.csv could not be downloaded yet ({proxy.url} did not finish answering "
        "within 2 s) — trying again shortly."
    )
    qtbot.waitUntil(lambda: retrying in notices, timeout=WAIT_MS)
    assert bar.status_label.text() == retrying
    assert not any("back online" in notice for notice in notices)
    proxy.latency, proxy.latency_path = 0.0, None
    qtbot.waitUntil(lambda: (folder / "report.csv").exists(), timeout=10_000)
    assert (folder / "report.csv").read_bytes() == REPORT
    assert notices[-1] == f"Saved 1 file in {folder}"
    qtbot.wait(4000)  # let the proxy finish the delayed request it still holds

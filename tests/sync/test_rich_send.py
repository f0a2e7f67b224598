"""End to end: a formatted message written in a real composer (offscreen), synced to the real
server and delivered, arrives as multipart/alternative with a plain-text and an HTML part, from
the identity chosen with its display name."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from mailapp.server.db import session_scope
from mailapp.server.models import Account
from mailapp.store.identities import Identity, save_identity
from mailapp.ui.composer.composer import open_composer
from tests.server.conftest import RunningServer
from tests.server.test_delivery import address, records, wait_until
from tests.sync.conftest import DeviceFactory

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support raise\(\)", "This plugin does not support grabbing"
)


def test_a_rich_message_arrives_as_multipart_alternative_with_both_parts(
    qtbot: QtBot, sync_server: RunningServer, device_factory: DeviceFactory
) -> None:
    alice, bob = sync_server.new_user("alice"), sync_server.new_user("bob")
    with session_scope(sync_server.engine) as session:
        account = session.get(Account, alice.account_id)
        assert account is not None
        account.aliases = ["projects@example.org"]
    device = device_factory(alice)
    device.sync()  # learns the alias from the session
    save_identity(device.store, device.account_id, Identity("projects@example.org", "Alice P."))

    window = open_composer(device.store, device.account_id, undo_seconds=0)
    qtbot.addWidget(window)
    window.from_field.setCurrentIndex(1)
    window.to_field.setText(address(bob))
    window.subject_field.setText("Rich hello")
    qtbot.keyClicks(window.body, "Important news")
    cursor = window.body.textCursor()
    cursor.setPosition(0)
    cursor.setPosition(len("Important"), QTextCursor.MoveMode.KeepAnchor)
    window.body.setTextCursor(cursor)
    window.editor.bold.trigger()
    assert window.send() is not None
    device.sync()

    def arrived() -> dict[str, object] | None:
        inbox = {b["id"] for b in records(bob, "mailboxes").values() if b["role"] == "inbox"}
        found = [e for e in records(bob, "emails").values() if e["mailboxId"] in inbox]
        return found[0] if found else None

    email = wait_until(arrived, "the message in bob's inbox")
    raw = bob.client.get(f"/v1/messages/{email['id']}/raw").content
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    assert message["From"] == "\"Alice P.\" <projects@example.org>"
    assert message.get_content_type() == "multipart/alternative"
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    assert plain.get_content().strip() == "Important news"
    assert "<b>Important</b> news" in html.get_content()

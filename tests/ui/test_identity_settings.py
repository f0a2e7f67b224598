"""Account Settings' identities: each From address the server allows gets a name and a
signature the composer then uses; a name that would break a header is refused, not stored."""

from __future__ import annotations

from pathlib import Path

from pytestqt.qtbot import QtBot

from mailapp import wire
from mailapp.store import open_store
from mailapp.store.identities import identities, record_session
from mailapp.store.replica import create_synced_account
from mailapp.ui.account.account_settings import AccountSettingsDialog
from mailapp.ui.composer.composer import open_composer


def test_names_and_signatures_typed_in_account_settings_reach_the_composer(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = open_store(tmp_path / "mail.sqlite3")
    limits = wire.Limits(
        max_request_bytes=1 << 20,
        max_attachment_bytes=1 << 20,
        max_mutations_per_sync=100,
        max_changes_per_page=100,
    )
    session = wire.SessionInfo(
        account_id="server-1", name="alice", email="alice@example.org", state="0", limits=limits
    )
    account_id = create_synced_account(
        store,
        session=session,
        server_url="http://127.0.0.1:1",
        username="alice",
        mailbox_records=[],
    )
    record_session(store, account_id, "alice@example.org", ["sales@example.org"])

    dialog = AccountSettingsDialog(store, None)
    qtbot.addWidget(dialog)
    editor = dialog.identities
    assert [editor.chooser.itemText(i) for i in range(editor.chooser.count())] == [
        "alice@example.org",
        "sales@example.org",
    ]
    editor.chooser.setCurrentIndex(1)
    editor.name_field.clear()
    qtbot.keyClicks(editor.name_field, "Alice from Sales")
    editor.signature_field.setPlainText("Alice\nSales team")
    # A name hiding a line break is refused with the reason; the last good name is kept.
    editor.name_field.setText("Alice\r\nBcc: x@evil.example")
    editor.name_field.textEdited.emit(editor.name_field.text())
    assert editor.problem_label.isVisibleTo(dialog)
    assert "Not saved" in editor.problem_label.text()
    sales = identities(store, account_id)[1]
    assert (sales.name, sales.signature) == ("Alice from Sales", "Alice\nSales team")

    composer = open_composer(store, account_id)
    qtbot.addWidget(composer)
    composer.from_field.setCurrentIndex(1)
    assert composer.from_field.currentText() == "Alice from Sales <sales@example.org>"
    assert composer.body.toPlainText() == "\n\n-- \nAlice\nSales team"
    composer.close()
    store.close()

"""The conflict dialog over a real store: versions side by side, choices queue mutations."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore
from mailapp.store.outbox_admin import Choice
from mailapp.ui.common.theme import contrast_ratio
from mailapp.ui.outbox.conflict_dialog import BASE, FIELD, KEEP, MINE, THEIRS, ConflictDialog
from tests.conflicts import add_conflict
from tests.ui.conftest import inbox_id


def account(store: MailStore) -> str:
    return store.accounts()[0][0]


def draft_conflict(store: MailStore) -> str:
    draft_id = store.save_draft(
        DraftInput(
            draft_id=None,
            account_id=account(store),
            subject="Launch plan v2",
            to=[Address(None, "team@example.org")],
            body="Let's launch on Monday.",
        )
    )
    wire_to = [{"name": None, "email": "team@example.org"}]
    base = {"id": draft_id, "subject": "Launch plan", "to": wire_to, "body": "Launch soon."}
    local = {
        "id": draft_id,
        "subject": "Launch plan v2",
        "to": wire_to,
        "body": "Let's launch on Monday.",
    }
    server = {
        "id": draft_id,
        "subject": "Launch plan (final)",
        "to": wire_to,
        "body": "Launch soon.",
        "updatedModseq": 42,
    }
    add_conflict(
        store,
        account(store),
        "draft",
        draft_id,
        mutation_id=1,
        base=base,
        local=local,
        server=server,
    )
    return draft_id


def dialog(qtbot: QtBot, store: MailStore) -> ConflictDialog:
    widget = ConflictDialog(store)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def set_choice(widget: ConflictDialog, field_name: str, choice: Choice) -> None:
    """As a user would: pick the choice in that field's drop-down."""
    box = widget.choosers[field_name]
    box.setCurrentIndex(box.findData(choice.value))


def row_of(widget: ConflictDialog, label: str) -> int:
    for row in range(widget.table.rowCount()):
        if widget.table.item(row, FIELD).text() == label:
            return row
    raise AssertionError(label)


def new_mutations(store: MailStore, before: int) -> list[tuple[str, dict[str, Any]]]:
    return [(m.type, m.args) for m in store.pending_mutations()[before:]]


def test_shows_three_versions_and_highlights_what_differs(qtbot: QtBot, store: MailStore) -> None:
    draft_conflict(store)
    widget = dialog(qtbot, store)
    assert not widget.isModal()
    assert widget.list.count() == 1
    assert widget.list.item(0).text() == "Draft “Launch plan v2”"

    subject = row_of(widget, "Subject")
    assert [widget.table.item(subject, c).text() for c in (BASE, MINE, THEIRS)] == [
        "Launch plan",
        "Launch plan v2",
        "Launch plan (final)",
    ]
    highlighted = widget.table.item(subject, MINE)
    assert highlighted.background().style() != Qt.BrushStyle.NoBrush
    # Readable on its highlight whatever the scheme (test_contrast measures it on screen).
    assert contrast_ratio(highlighted.foreground().color(), highlighted.background().color()) >= 4.5
    assert widget.table.item(subject, FIELD).font().bold()
    assert widget.table.cellWidget(subject, KEEP).currentText() == "Keep both (save a copy)"

    to = row_of(widget, "To")
    assert widget.table.item(to, MINE).text() == "team@example.org"
    assert widget.table.item(to, MINE).background().style() == Qt.BrushStyle.NoBrush
    assert widget.table.item(to, KEEP).text() == "same"
    assert set(widget.choosers) == {"subject", "body"}


def test_keep_both_saves_a_copy_without_asking(qtbot: QtBot, store: MailStore) -> None:
    draft_id = draft_conflict(store)
    widget = dialog(qtbot, store)
    before = len(store.pending_mutations())
    with qtbot.waitSignal(widget.openCountChanged, timeout=2_000) as signal:
        widget.apply_button.click()
    assert signal.args == [0]
    assert widget.confirmation is None  # nothing was discarded, nothing to confirm
    (copy,) = [d for d in store.drafts(account(store)) if d.id != draft_id]
    assert (copy.subject, copy.body) == ("Launch plan v2", "Let's launch on Monday.")
    original = store.draft(draft_id)
    assert original is not None and original.subject == "Launch plan (final)"
    assert [(t, a["draftId"]) for t, a in new_mutations(store, before)] == [
        ("draft.upsert", copy.id)
    ]
    assert widget.empty_label.isVisible()


def test_keep_mine_asks_first_then_queues_an_upsert(qtbot: QtBot, store: MailStore) -> None:
    draft_id = draft_conflict(store)
    widget = dialog(qtbot, store)
    set_choice(widget, "subject", Choice.MINE)
    set_choice(widget, "body", Choice.MINE)
    before = len(store.pending_mutations())
    widget.apply_button.click()
    box = widget.confirmation
    assert box is not None and box.isVisible()
    assert "Subject, Text" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(store.open_conflicts()) == 1  # cancelled: still open, nothing queued
    assert len(store.pending_mutations()) == before

    widget.apply_button.click()
    box = widget.confirmation
    assert box is not None
    (confirm,) = [
        b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    ]
    confirm.click()
    assert new_mutations(store, before) == [
        (
            "draft.upsert",
            {
                "draftId": draft_id,
                "fields": {
                    "subject": {"old": "Launch plan (final)", "new": "Launch plan v2"},
                    "body": {"old": "Launch soon.", "new": "Let's launch on Monday."},
                },
            },
        )
    ]
    assert store.open_conflicts() == []


def test_keep_theirs_takes_the_server_version_and_queues_nothing(
    qtbot: QtBot, store: MailStore
) -> None:
    draft_id = draft_conflict(store)
    widget = dialog(qtbot, store)
    set_choice(widget, "subject", Choice.THEIRS)
    set_choice(widget, "body", Choice.THEIRS)
    before = len(store.pending_mutations())
    widget.apply_button.click()
    assert widget.confirmation is not None
    (confirm,) = [
        b
        for b in widget.confirmation.buttons()
        if widget.confirmation.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    ]
    confirm.click()
    assert new_mutations(store, before) == []
    draft = store.draft(draft_id)
    assert draft is not None
    assert (draft.subject, draft.body) == ("Launch plan (final)", "Launch soon.")


def test_a_message_conflict_offers_folder_and_flags(qtbot: QtBot, store: MailStore) -> None:
    message = store.page(inbox_id(store))[0]
    archive = store.mailbox_by_role(account(store), "archive")
    assert archive is not None
    add_conflict(
        store,
        account(store),
        "email",
        message.id,
        mutation_id=1,
        base={"mailboxId": message.mailbox_id, "keywords": []},
        local={"mailboxId": archive.id, "keywords": ["$seen"]},
        server={"mailboxId": message.mailbox_id, "keywords": ["$flagged"]},
    )
    widget = dialog(qtbot, store)
    assert widget.list.item(0).text() == f"Message “{message.subject}”"
    folder = row_of(widget, "Folder")
    assert widget.table.item(folder, MINE).text() == "Archive"
    assert widget.table.item(folder, THEIRS).text() == "Inbox"
    folder_box = widget.choosers["mailboxId"]
    assert [folder_box.itemText(i) for i in range(folder_box.count())] == [
        "Keep mine",
        "Keep theirs",
    ]
    set_choice(widget, "keywords", Choice.BOTH)
    before = len(store.pending_mutations())
    widget.apply_button.click()  # "keep mine" for the folder drops the server's folder: confirm
    assert widget.confirmation is not None
    (confirm,) = [
        b
        for b in widget.confirmation.buttons()
        if widget.confirmation.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    ]
    confirm.click()
    assert [t for t, _ in new_mutations(store, before)] == ["email.keywords", "email.move"]
    detail = store.message(message.id)
    assert detail is not None and detail.summary.mailbox_id == archive.id


def test_the_open_count_follows_new_conflicts(qtbot: QtBot, store: MailStore) -> None:
    widget = dialog(qtbot, store)
    assert widget.list.count() == 0
    with qtbot.waitSignal(widget.openCountChanged, timeout=2_000) as signal:
        draft_conflict(store)
    assert signal.args == [1]
    assert widget.list.count() == 1

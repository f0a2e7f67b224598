"""The Outbox view over a real store: descriptions, states, and the Retry/Edit/Discard actions.

The Outbox lists messages being sent; every other change is the line "N changes not yet synced"
under it, which opens the same view over those changes (`changes(...)` below)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtWidgets import QAbstractItemView, QMessageBox
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore, OutboxState
from mailapp.ui.composer.composer import Composer
from mailapp.ui.outbox.outbox_model import ATTEMPTS, DESCRIPTION, LAST_ERROR, NEXT_RETRY, STATE
from mailapp.ui.outbox.outbox_view import OutboxView
from tests.ui.conftest import inbox_id


def account(store: MailStore) -> str:
    return store.accounts()[0][0]


def view(qtbot: QtBot, store: MailStore) -> OutboxView:
    widget = OutboxView(store)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def changes(qtbot: QtBot, store: MailStore) -> tuple[OutboxView, OutboxView]:
    """The Outbox and its changes line's details, opened as the user does: from the Outbox
    (which the caller keeps: the details are its child)."""
    outbox = view(qtbot, store)
    assert outbox.changes_button.isVisible()
    outbox.changes_button.click()
    details = outbox.changes_view
    assert details is not None and details.isVisible() and details.isWindow()
    return outbox, details


def select_rows(widget: OutboxView, *rows: int) -> None:
    """As a user would with Ctrl+click."""
    widget.table.clearSelection()
    mode = widget.table.selectionMode()
    widget.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
    for row in rows:
        widget.table.selectRow(row)
    widget.table.setSelectionMode(mode)


def cell(widget: OutboxView, row: int, column: int) -> str:
    return str(widget.model.index(row, column).data())


def queue_a_send(store: MailStore, subject: str = "Quarterly report") -> str:
    draft_id = store.save_draft(
        DraftInput(
            draft_id=None,
            account_id=account(store),
            subject=subject,
            to=[Address(None, "bob@example.org"), Address("Ann", "ann@example.org")],
        )
    )
    store.queue_send(draft_id)
    return draft_id


def test_changes_are_described_as_the_user_made_them(qtbot: QtBot, store: MailStore) -> None:
    unread = [m.id for m in store.page(inbox_id(store)) if not m.is_read][:3]
    store.mark_read(unread)
    queue_a_send(store)
    outbox = view(qtbot, store)
    descriptions = [cell(outbox, row, DESCRIPTION) for row in range(outbox.model.rowCount())]
    # Only the message going out; reading three and saving the draft are the changes line.
    assert descriptions == ["Send “Quarterly report” to bob@example.org, ann@example.org"]
    assert cell(outbox, 0, STATE) == "Waiting for the next sync"
    assert cell(outbox, 0, NEXT_RETRY) == "next sync"
    assert outbox.changes_button.text() == "4 changes not yet synced"

    _outbox, details = changes(qtbot, store)
    descriptions = [cell(details, row, DESCRIPTION) for row in range(details.model.rowCount())]
    assert descriptions == ["Mark 3 messages read", "Save draft “Quarterly report”"]
    assert not details.changes_button.isVisible() and not details.edit_button.isVisible()


def test_a_failure_shows_its_reason_attempts_and_next_retry(qtbot: QtBot, store: MailStore) -> None:
    queue_a_send(store)
    send = store.pending_mutations()[-1]
    store.set_mutation_state([send.mutation_id], OutboxState.IN_FLIGHT)
    retry_at = datetime.now(UTC) + timedelta(minutes=5)
    store.set_mutation_state(
        [send.mutation_id],
        OutboxState.PENDING,
        error="Server unreachable",
        next_attempt_at=retry_at,
    )
    widget = view(qtbot, store)
    assert cell(widget, 0, STATE) == "Waiting to retry"
    assert cell(widget, 0, ATTEMPTS) == "1"
    assert cell(widget, 0, LAST_ERROR) == "Server unreachable"
    assert cell(widget, 0, NEXT_RETRY) == retry_at.astimezone().strftime("%H:%M")


def test_the_view_follows_the_store(qtbot: QtBot, store: MailStore) -> None:
    widget = view(qtbot, store)
    assert widget.model.rowCount() == 0
    assert widget.empty_label.isVisible() and not widget.changes_button.isVisible()
    store.set_flagged([store.page(inbox_id(store))[5].id])
    # Flagging is no mail going out: the Outbox stays empty, the changes line appears.
    qtbot.waitUntil(widget.changes_button.isVisible, timeout=2_000)
    assert widget.changes_button.text() == "1 change not yet synced"
    assert widget.model.rowCount() == 0
    queue_a_send(store)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1, timeout=2_000)
    assert cell(widget, 0, DESCRIPTION).startswith("Send “Quarterly report”")
    assert widget.table.isVisible()
    assert widget.changes_button.text() == "2 changes not yet synced"  # and its draft's save


def test_retry_now_makes_a_failed_send_due_and_asks_for_a_sync(
    qtbot: QtBot, store: MailStore
) -> None:
    queue_a_send(store)
    send = store.pending_mutations()[-1]
    store.set_mutation_state([send.mutation_id], OutboxState.FAILED, error="serverFail")
    widget = view(qtbot, store)
    assert cell(widget, 0, STATE).startswith("Failed")
    select_rows(widget, 0)
    assert widget.retry_button.isEnabled()
    with qtbot.waitSignal(widget.retryRequested, timeout=1_000):
        widget.retry_button.click()
    assert store.pending_mutations()[-1].state == OutboxState.PENDING
    qtbot.waitUntil(lambda: cell(widget, 0, STATE) == "Waiting for the next sync", timeout=2_000)


def test_edit_returns_a_waiting_message_to_drafts_in_a_composer(
    qtbot: QtBot, store: MailStore
) -> None:
    draft_id = queue_a_send(store, "Edit me")
    widget = view(qtbot, store)
    select_rows(widget, 0)
    assert widget.edit_button.isEnabled()
    widget.edit_button.click()

    (composer,) = widget.opened_composers
    qtbot.addWidget(composer)
    assert isinstance(composer, Composer) and composer.isVisible()
    assert (composer.draft_id, composer.subject_field.text()) == (draft_id, "Edit me")
    assert [m.type for m in store.pending_mutations()] == ["draft.upsert"]
    qtbot.waitUntil(lambda: widget.model.rowCount() == 0, timeout=2_000)


def test_discard_asks_first_and_then_undoes_the_change(qtbot: QtBot, store: MailStore) -> None:
    message = next(m for m in store.page(inbox_id(store)) if not m.is_read)
    store.mark_read([message.id])
    _outbox, widget = changes(qtbot, store)
    select_rows(widget, 0)

    widget.discard_button.click()
    box = widget.confirmation
    assert box is not None and box.isVisible()
    assert "Mark 1 message read" in box.text()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert len(store.pending_mutations()) == 1  # cancelled: nothing discarded

    widget.discard_button.click()
    box = widget.confirmation
    assert box is not None
    (discard_button,) = [
        b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    ]
    discard_button.click()
    assert store.pending_mutations() == []
    detail = store.message(message.id)
    assert detail is not None and not detail.summary.is_read
    qtbot.waitUntil(lambda: widget.model.rowCount() == 0, timeout=2_000)


def test_a_change_being_sent_offers_no_actions(qtbot: QtBot, store: MailStore) -> None:
    queue_a_send(store)
    send = store.pending_mutations()[-1]
    store.set_mutation_state([send.mutation_id], OutboxState.IN_FLIGHT)
    widget = view(qtbot, store)
    select_rows(widget, 0)
    assert cell(widget, 0, STATE) == "Sending to the server"
    assert not widget.retry_button.isEnabled()
    assert not widget.edit_button.isEnabled()
    assert not widget.discard_button.isEnabled()


def test_each_draft_save_is_described_by_the_subject_it_wrote(
    qtbot: QtBot, store: MailStore
) -> None:
    draft_id = store.save_draft(
        DraftInput(draft_id=None, account_id=account(store), subject="First title")
    )
    store.save_draft(DraftInput(draft_id=draft_id, account_id=account(store), subject="Later"))
    _outbox, widget = changes(qtbot, store)
    descriptions = [cell(widget, row, DESCRIPTION) for row in range(widget.model.rowCount())]
    assert descriptions == ["Save draft “First title”", "Save draft “Later”"]


def test_dropped_messages_waiting_for_the_server_are_one_line_and_discarding_removes_them(
    qtbot: QtBot, store: MailStore
) -> None:
    from mailapp.store.imports import queue_imports

    inbox = inbox_id(store)
    before = store.count(inbox)
    eml = b"From: a@example.org\r\nSubject: Dropped %d\r\n\r\nText\r\n"
    local_ids = queue_imports(store, inbox, [eml % 1, eml % 2])
    assert store.count(inbox) == before + 2

    _outbox, details = changes(qtbot, store)
    assert [cell(details, row, DESCRIPTION) for row in range(details.model.rowCount())] == [
        "Import 2 messages into Inbox"
    ]
    select_rows(details, 0)
    details.discard_button.click()
    box = details.confirmation
    assert box is not None
    (discard_button,) = [
        b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole
    ]
    discard_button.click()
    assert store.pending_mutations() == []
    assert store.count(inbox) == before
    assert all(store.message(local_id) is None for local_id in local_ids)

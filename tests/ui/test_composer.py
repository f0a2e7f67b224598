"""The composer on a real store: autosave, reply/forward content, validation, send, undo."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore, OutboxState
from mailapp.store.outbox_admin import open_composer_drafts
from mailapp.store.schema import attachments
from mailapp.store.settings import AppSettings, save_settings
from mailapp.ui.composer.composer import AUTOSAVE_DELAY_MS, Composer, open_composer
from mailapp.ui.composer.composer_send import SendLaterDialog, UndoSendNotice
from tests.ui.conftest import inbox_id

# The completion popup asks the window system to raise it and grab the keyboard, which Qt's
# offscreen platform cannot do; it still shows and works.
pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support raise\(\)", "This plugin does not support grabbing"
)


def account(store: MailStore) -> str:
    return store.accounts()[0][0]


def message_id(store: MailStore, subject: str) -> str:
    (found,) = [m for m in store.search(f'"{subject}"') if m.subject == subject]
    return found.id


def composer(qtbot: QtBot, store: MailStore, **kwargs: object) -> Composer:
    widget = open_composer(store, account(store), **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    return widget


def submissions(store: MailStore) -> list:  # type: ignore[type-arg]
    return [m for m in store.pending_mutations() if m.type.startswith("submission.")]


def test_typing_then_pausing_saves_the_draft_within_two_seconds(
    qtbot: QtBot, store: MailStore
) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    qtbot.keyClicks(window.subject_field, "Lunch")
    qtbot.keyClicks(window.body, "Are you free on Friday?")
    typed_at = time.monotonic()
    assert store.drafts(account(store)) == []  # nothing saved while typing

    qtbot.waitUntil(lambda: len(store.drafts(account(store))) == 1, timeout=2_000)
    assert time.monotonic() - typed_at <= 2.0
    (draft,) = store.drafts(account(store))
    assert (draft.subject, draft.body) == ("Lunch", "Are you free on Friday?")
    assert draft.to == [Address(None, "bob@example.org")]
    assert window.draft_id == draft.id
    # While the composer is open the draft counts as open (for crash recovery).
    assert open_composer_drafts(store, account(store)) == [draft.id]
    assert AUTOSAVE_DELAY_MS < 2_000


def test_steady_typing_that_never_pauses_is_saved_within_the_autosave_delay(
    qtbot: QtBot, store: MailStore
) -> None:
    window = composer(qtbot, store)
    first_key = time.monotonic()
    typed = ""
    # A key every 150 ms never leaves the pause an idle-only autosave waits for.
    while not store.drafts(account(store)):
        assert time.monotonic() - first_key < 2.0, "steady typing was not saved within 2 s"
        qtbot.keyClicks(window.body, "x")
        typed += "x"
        qtbot.wait(150)
    (draft,) = store.drafts(account(store))
    assert draft.body and typed.startswith(draft.body)
    assert time.monotonic() - first_key < AUTOSAVE_DELAY_MS / 1000 + 0.5


def test_another_window_taking_the_focus_saves_at_once(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2_000)
    qtbot.keyClicks(window.body, "Saved when I look elsewhere")
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow, timeout=2_000)
    # No timer has run out yet (the idle save waits longer): the focus change saved it.
    (draft,) = store.drafts(account(store))
    assert draft.body == "Saved when I look elsewhere"


def test_closing_the_main_window_closes_and_saves_its_composers(
    qtbot: QtBot, store: MailStore
) -> None:
    from mailapp.ui.window.main_window import MainWindow

    main = MainWindow(store)
    qtbot.addWidget(main)
    main.show()
    main.mail_actions.new_message.trigger()
    (window,) = main.findChildren(Composer)
    qtbot.keyClicks(window.body, "Written just before quitting")
    assert main.close()
    assert not window.isVisible()
    (draft,) = store.drafts(account(store))
    assert draft.body == "Written just before quitting"
    assert open_composer_drafts(store, account(store)) == []


def test_closing_saves_at_once_and_clears_the_open_mark(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.body, "A thought before closing")
    window.close()
    (draft,) = store.drafts(account(store))
    assert draft.body == "A thought before closing"
    assert open_composer_drafts(store, account(store)) == []


def test_an_untouched_new_message_leaves_no_draft(qtbot: QtBot, store: MailStore) -> None:
    composer(qtbot, store).close()
    assert store.drafts(account(store)) == []


def test_reopening_a_draft_shows_it_and_edits_the_same_draft(
    qtbot: QtBot, store: MailStore
) -> None:
    first = composer(qtbot, store)
    qtbot.keyClicks(first.to_field, "Ann <ann@example.org>, bob@example.org")
    qtbot.keyClicks(first.subject_field, "Plans")
    first.close()
    (draft,) = store.drafts(account(store))

    again = composer(qtbot, store, draft_id=draft.id)
    assert again.to_field.text() == "Ann <ann@example.org>, bob@example.org"
    assert again.subject_field.text() == "Plans"
    qtbot.keyClicks(again.subject_field, " for May")
    again.close()
    (edited,) = store.drafts(account(store))
    assert (edited.id, edited.subject) == (draft.id, "Plans for May")


def test_reply_quotes_the_parent_and_threads_under_it(qtbot: QtBot, store: MailStore) -> None:
    parent = message_id(store, "Message number 5")
    window = composer(qtbot, store, mode="reply", parent_message_id=parent)
    assert window.to_field.text() == "Sender 5 <sender5@example.net>"
    assert window.subject_field.text() == "Re: Message number 5"
    assert "Sender 5 <sender5@example.net> wrote:" in window.editor.plain_text()
    assert "> Body of message 5." in window.editor.plain_text()

    qtbot.keyClicks(window.body, "Thanks!")
    window.close()
    (draft,) = store.drafts(account(store))
    assert draft.body.startswith("Thanks!")
    assert draft.in_reply_to == "<m5@example.net>"
    assert draft.references == ["<m5@example.net>"]


def test_reply_all_copies_everyone_but_me(qtbot: QtBot, store: MailStore) -> None:
    parent = message_id(store, "Message number 5")
    window = composer(qtbot, store, mode="reply_all", parent_message_id=parent)
    # The parent went to me only: reply-all must not add me back.
    assert window.to_field.text() == "Sender 5 <sender5@example.net>"
    assert "me@example.org" not in window.cc_field.text()


def test_forward_carries_the_attachment_and_the_original(qtbot: QtBot, store: MailStore) -> None:
    parent = message_id(store, "Message number 0")
    window = composer(qtbot, store, mode="forward", parent_message_id=parent)
    assert window.subject_field.text() == "Fwd: Message number 0"
    assert window.to_field.text() == ""
    assert "---------- Forwarded message ----------" in window.body.toPlainText()
    assert "Body of message 0." in window.body.toPlainText()
    assert window.attachments.list.item(0).text().startswith("notes.txt (")
    assert window.attachments.list.count() == 1

    qtbot.keyClicks(window.to_field, "carol@example.org")
    window.close()
    (draft,) = store.drafts(account(store))
    (attachment,) = draft.attachments
    assert attachment.name == "notes.txt"
    assert store.blob(attachment.blob_id) == b"hello"


def test_added_files_are_attached_and_can_be_removed(
    qtbot: QtBot, store: MailStore, tmp_path: Path
) -> None:
    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 tiny")
    window = composer(qtbot, store)
    assert window.attachments.add_files([report])
    window.close()
    (draft,) = store.drafts(account(store))
    assert [(a.name, a.content_type, a.size) for a in draft.attachments] == [
        ("report.pdf", "application/pdf", 13)
    ]

    again = composer(qtbot, store, draft_id=draft.id)
    again.attachments.list.setCurrentRow(0)
    again.attachments.remove_button.click()
    again.close()
    assert store.drafts(account(store))[0].attachments == []


@pytest.mark.parametrize(
    ("to", "expected"),
    [
        ("", "Add at least one recipient"),
        ("bob@", "“bob@” is not a valid e-mail address"),
        ("ann@example.org, bob at example.org", "bob at example.org"),
    ],
)
def test_invalid_recipients_are_refused_before_anything_is_queued(
    qtbot: QtBot, store: MailStore, to: str, expected: str
) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.to_field, to)
    qtbot.keyClicks(window.subject_field, "Hi")
    assert window.send() is None
    assert window.isVisible()
    assert not window.error_label.isHidden()
    assert expected in window.error_label.text()
    assert submissions(store) == []


def test_an_attachment_over_the_limit_is_refused(
    qtbot: QtBot, store: MailStore, tmp_path: Path
) -> None:
    big = tmp_path / "video.mp4"
    big.write_bytes(b"x" * 2048)
    window = composer(qtbot, store, max_attachment_bytes=1024)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    assert not window.attachments.add_files([big])
    assert window.attachments.list.count() == 0
    assert "video.mp4" in window.error_label.text()
    assert "server accepts attachments up to" in window.error_label.text()

    # A forwarded attachment over the limit stops the send itself.
    forward = composer(
        qtbot,
        store,
        mode="forward",
        parent_message_id=message_id(store, "Message number 0"),
        max_attachment_bytes=3,
    )
    qtbot.keyClicks(forward.to_field, "bob@example.org")
    assert forward.send() is None
    assert "notes.txt" in forward.error_label.text()
    assert submissions(store) == []


def test_send_queues_a_held_submission_and_closes(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    qtbot.keyClicks(window.subject_field, "Report")
    before = datetime.now(UTC)
    submission_id = window.send()
    assert submission_id is not None
    assert not window.isVisible()

    (queued,) = submissions(store)
    assert queued.type == "submission.create"
    assert queued.args["submissionId"] == submission_id
    assert queued.args["draftId"] == window.draft_id
    # The server holds it for the undo delay (10 s by default) so Undo can still cancel it.
    send_at = datetime.fromisoformat(queued.args["sendAt"])
    assert before + timedelta(seconds=10) <= send_at <= datetime.now(UTC) + timedelta(seconds=20)
    notice = window.undo_notice
    assert notice is not None and notice.isVisible()
    assert "Report" in notice.message.text()
    assert open_composer_drafts(store, account(store)) == []


def test_undo_takes_the_message_back_into_a_composer(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    qtbot.keyClicks(window.subject_field, "Oops")
    window.send()
    notice = window.undo_notice
    assert notice is not None
    qtbot.mouseClick(notice.undo_button, Qt.MouseButton.LeftButton)

    assert submissions(store) == []  # never reached the server: dropped locally
    assert not notice.isVisible()
    reopened = notice.reopened
    assert isinstance(reopened, Composer)
    qtbot.addWidget(reopened)
    assert reopened.draft_id == window.draft_id
    assert reopened.subject_field.text() == "Oops"
    assert [d.subject for d in store.drafts(account(store))] == ["Oops"]


def test_undo_after_the_push_started_queues_a_cancel(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    submission_id = window.send()
    (queued,) = submissions(store)
    store.set_mutation_state([queued.mutation_id], OutboxState.IN_FLIGHT)
    assert window.undo_notice is not None
    window.undo_notice.undo()
    qtbot.addWidget(window.undo_notice.reopened)

    cancel = [m for m in submissions(store) if m.type == "submission.cancel"]
    assert [m.args for m in cancel] == [{"submissionId": submission_id}]


def test_the_undo_notice_goes_away_after_the_delay(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store, undo_seconds=0.5)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    window.send()
    notice = window.undo_notice
    assert notice is not None and notice.isVisible()
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=3_000)
    assert len(submissions(store)) == 1  # the send stands


def test_send_later_carries_the_chosen_time(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    window.send_later_button.click()
    dialog = window.findChild(SendLaterDialog)
    assert dialog is not None and dialog.isVisible()
    when = datetime.now(UTC).replace(microsecond=0, second=0) + timedelta(days=2)
    dialog.when.setDateTime(QDateTime.fromSecsSinceEpoch(int(when.timestamp())))
    dialog.accept()

    (queued,) = submissions(store)
    assert datetime.fromisoformat(queued.args["sendAt"]) == when
    assert not window.isVisible()


def test_recipients_complete_from_known_addresses(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    window.show()
    qtbot.keyClicks(window.to_field, "ann@example.org, sender4")
    popup = window.to_field.completer_popup
    assert popup.popup().isVisible()
    offered = [
        popup.completionModel().index(row, 0).data() for row in range(popup.completionCount())
    ]
    assert "Sender 4 <sender4@example.net>" in offered
    window.to_field.insert_completion("Sender 4 <sender4@example.net>")
    assert window.to_field.addresses() == [
        Address(None, "ann@example.org"),
        Address("Sender 4", "sender4@example.net"),
    ]
    QApplication.processEvents()
    assert inbox_id(store)  # the store is still usable after the composer read it


def test_undo_still_works_after_the_composer_deleted_itself(qtbot: QtBot, store: MailStore) -> None:
    # The main window opens composers with WA_DeleteOnClose.
    owner = QWidget()
    qtbot.addWidget(owner)
    window = open_composer(store, account(store), parent=owner)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    qtbot.keyClicks(window.to_field, "bob@example.org")
    qtbot.keyClicks(window.subject_field, "Second thoughts")
    window.send()
    qtbot.waitUntil(lambda: owner.findChildren(Composer) == [], timeout=2_000)

    notice = owner.findChild(UndoSendNotice)
    assert notice is not None and notice.isVisible()
    notice.undo()
    (reopened,) = owner.findChildren(Composer)
    assert reopened.subject_field.text() == "Second thoughts"
    assert submissions(store) == []


def test_a_bcc_only_message_can_be_sent(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store, undo_seconds=0)
    qtbot.keyClicks(window.bcc_field, "Hidden <hidden@example.org>")
    submission_id = window.send()
    assert submission_id is not None
    assert window.undo_notice is None  # no undo delay configured: nothing to offer
    (queued,) = submissions(store)
    assert queued.args["sendAt"] is None  # sent as soon as the server has it
    draft = store.draft(queued.args["draftId"])
    assert draft is not None and draft.bcc == [Address("Hidden", "hidden@example.org")]


def test_forwarding_says_which_attachments_are_not_available_offline(
    qtbot: QtBot, store: MailStore
) -> None:
    parent = message_id(store, "Message number 0")
    with store._write() as conn:  # as the sync engine leaves parts it has not downloaded yet
        conn.execute(attachments.update().values(data=None))
    window = composer(qtbot, store, mode="forward", parent_message_id=parent)
    assert window.attachments.list.count() == 0
    assert not window.info_label.isHidden()
    assert "notes.txt" in window.info_label.text()


def test_editing_the_text_drops_a_stale_formatted_body(qtbot: QtBot, store: MailStore) -> None:
    # In plain-text mode (a setting); the rich composer edits the formatted body itself.
    save_settings(store, AppSettings(compose_html=False))
    draft_id = store.save_draft(
        DraftInput(None, account(store), body="Hello", html_body="<p>Hello</p>")
    )
    window = composer(qtbot, store, draft_id=draft_id)
    qtbot.keyClicks(window.subject_field, "Greeting")
    window.save()
    kept = store.draft(draft_id)
    assert kept is not None and kept.html_body == "<p>Hello</p>"  # text untouched: kept
    qtbot.keyClicks(window.body, "Goodbye. ")
    window.close()
    edited = store.draft(draft_id)
    assert edited is not None
    assert (edited.body, edited.html_body) == ("Goodbye. Hello", None)

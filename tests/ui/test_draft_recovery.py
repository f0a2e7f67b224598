"""A composer killed mid-draft: the next start offers the draft back, with its text.

The end-to-end test runs the real app twice in child processes (tests.ui.app_driver): the first
types into File → New Message and is killed with SIGKILL; the second is an ordinary start of
the same profile, and the offer must appear on its own, after the first paint, showing the text.
The others drive the offer's three choices on a real store.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.store import DraftInput, MailStore, open_store
from mailapp.store.outbox_admin import mark_composer_open, open_composer_drafts
from mailapp.ui.composer.composer import Composer, open_composer
from mailapp.ui.composer.draft_recovery import RecoveryOffer, offer_recovered_drafts
from tests.ui.app_driver import TEXT
from tests.ui.killed_app import START_TIMEOUT_S, AppProcess, make_profile, type_then_kill

TYPE_FOR_S = 3.0


def account(store: MailStore) -> str:
    return store.accounts()[0][0]


@pytest.mark.slow
def test_the_next_start_after_a_kill_offers_the_draft_back_with_its_text(tmp_path: Path) -> None:
    profile = make_profile(tmp_path)
    typed, killed_at, _typing = type_then_kill(tmp_path, profile, [40], TYPE_FOR_S)
    # Every key typed more than 2 s before the kill was saved (tests/ui/test_autosave_killed.py).
    must_have = max((count for count, when in typed if when <= killed_at - 2.0), default=0)

    again = AppProcess(tmp_path, "recovery", str(profile))
    try:
        status = again.wait(START_TIMEOUT_S)
    finally:
        again.close()
    assert status == 0, (again.lines, again.errors)
    (offer_line,) = [line for line in again.lines if line.startswith("offer ")]
    (shown,) = json.loads(offer_line.removeprefix("offer "))
    assert shown["subject"] == "<b>(no subject)</b>"
    assert shown["recipients"] == "No recipients yet"
    assert must_have > 0
    assert len(shown["text"]) >= must_have and TEXT.startswith(shown["text"])

    with open_store(profile / "mail.sqlite3") as store:
        (draft,) = store.drafts(account(store))
        assert draft.body == shown["text"]


def _interrupted(store: MailStore, subject: str, body: str) -> str:
    """A draft saved by a composer that never closed (the app died)."""
    draft_id = store.save_draft(
        DraftInput(
            None,
            account(store),
            subject=subject,
            to=[Address("Bob", "bob@example.org")],
            body=body,
        )
    )
    mark_composer_open(store, draft_id)
    return draft_id


def _offer(qtbot: QtBot, store: MailStore) -> tuple[RecoveryOffer, QWidget]:
    window = QWidget()
    qtbot.addWidget(window)
    window.show()
    offer = offer_recovered_drafts(store, window)
    assert offer is not None
    assert offer.isVisible() and not offer.isModal()
    return offer, window


def _composers(parent: QWidget) -> list[Composer]:
    return [c for c in parent.findChildren(Composer) if c.isVisible()]


def test_the_offer_shows_each_draft_with_its_text(qtbot: QtBot, store: MailStore) -> None:
    _interrupted(store, "Budget", "Numbers for Q3, first draft")
    _interrupted(store, "", "A note without a subject")
    offer, _window = _offer(qtbot, store)
    assert "These 2 messages were saved before it closed" in offer.heading.text()
    assert offer.summary() == [
        {
            "subject": "<b>Budget</b>",
            "recipients": "To: Bob <bob@example.org>",
            "text": "Numbers for Q3, first draft",
        },
        {
            "subject": "<b>(no subject)</b>",
            "recipients": "To: Bob <bob@example.org>",
            "text": "A note without a subject",
        },
    ]


def test_reopen_opens_the_draft_in_a_composer(qtbot: QtBot, store: MailStore) -> None:
    draft_id = _interrupted(store, "Unsaved thoughts", "Half a sentence, then the power goes")
    offer, window = _offer(qtbot, store)
    offer.entries[0].reopen_button.click()
    assert not offer.isVisible()  # nothing left to choose
    (composer,) = _composers(window)
    assert composer.draft_id == draft_id
    assert composer.subject_field.text() == "Unsaved thoughts"
    assert composer.body.toPlainText() == "Half a sentence, then the power goes"
    assert open_composer_drafts(store, account(store)) == [draft_id]  # open again, for real
    composer.close()
    assert open_composer_drafts(store, account(store)) == []


def test_keep_leaves_the_draft_in_drafts_and_stops_offering_it(
    qtbot: QtBot, store: MailStore
) -> None:
    _interrupted(store, "Left open", "Some text")
    offer, _window = _offer(qtbot, store)
    offer.entries[0].keep_button.click()
    assert not offer.isVisible()
    assert [d.subject for d in store.drafts(account(store))] == ["Left open"]
    assert offer_recovered_drafts(store, QWidget()) is None


def test_discard_deletes_only_that_draft(qtbot: QtBot, store: MailStore) -> None:
    _interrupted(store, "Throw away", "Not needed")
    _interrupted(store, "Keep me", "Needed")
    offer, _window = _offer(qtbot, store)
    offer.entries[0].discard_button.click()
    assert offer.isVisible()  # one left to choose for
    assert [e.draft.subject for e in offer.entries] == ["Keep me"]
    assert [d.subject for d in store.drafts(account(store))] == ["Keep me"]
    offer.close()  # closing keeps the rest in Drafts
    assert [d.subject for d in store.drafts(account(store))] == ["Keep me"]
    assert open_composer_drafts(store, account(store)) == []


def test_a_clean_close_is_not_offered_back(qtbot: QtBot, store: MailStore) -> None:
    composer = open_composer(store, account(store))
    qtbot.addWidget(composer)
    qtbot.keyClicks(composer.subject_field, "Finished for today")
    composer.close()
    assert offer_recovered_drafts(store, QWidget()) is None
    assert [d.subject for d in store.drafts(account(store))] == ["Finished for today"]
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, RecoveryOffer)]

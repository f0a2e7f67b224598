"""Rich-text compose and identities in a real composer on a real store, offscreen: the format
bar, the two parts written, drafts keeping their formatting, the plain-text setting, the From
chooser with each identity's signature, and a From name that could inject a header."""

from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.core.demo import DemoMessage
from mailapp.store import MailStore
from mailapp.store.identities import Identity, record_session, save_identity
from mailapp.store.outbox_admin import open_composer_drafts
from mailapp.store.settings import AppSettings, save_settings
from mailapp.ui.composer.composer import AUTOSAVE_DELAY_MS, Composer, open_composer
from mailapp.ui.composer.draft_recovery import offer_recovered_drafts
from tests.ui.conftest import ACCOUNT_EMAIL, make_message

pytestmark = pytest.mark.qt_log_ignore(
    r"This plugin does not support raise\(\)", "This plugin does not support grabbing"
)


def account(store: MailStore) -> str:
    return store.accounts()[0][0]


def composer(qtbot: QtBot, store: MailStore, **kwargs: object) -> Composer:
    widget = open_composer(store, account(store), undo_seconds=0, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(widget)
    return widget


def select(window: Composer, start: int, end: int) -> None:
    cursor = window.body.textCursor()
    cursor.setPosition(start)
    cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
    window.body.setTextCursor(cursor)


def test_formatting_from_the_bar_is_sent_as_html_with_a_clean_plain_part_and_kept_in_drafts(
    qtbot: QtBot, store: MailStore
) -> None:
    window = composer(qtbot, store)
    assert window.editor.toolbar.isVisibleTo(window)
    qtbot.keyClicks(window.body, "Hello team")
    select(window, 0, 5)
    window.editor.bold.trigger()  # Hello
    window.body.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClick(window.body, "\r")
    window.editor.bullets.trigger()
    qtbot.keyClicks(window.body, "first point")
    qtbot.keyClick(window.body, "\r")
    window.editor.bullets.trigger()  # the same button ends the list
    qtbot.keyClicks(window.body, "Earlier you said:")
    qtbot.keyClick(window.body, "\r")
    qtbot.keyClicks(window.body, "a quote")
    window.editor.quote_more.trigger()
    qtbot.keyClick(window.body, "\r")
    window.editor.quote_less.trigger()
    window.editor.insert_link("https://example.org/plan")
    select(
        window,
        len(window.body.toPlainText()) - len("https://example.org/plan"),
        len(window.body.toPlainText()),
    )
    window.editor.insert_link("https://example.org/plan")  # a link on selected text

    plain, html = window.editor.parts()
    assert plain.splitlines()[:4] == [
        "Hello team",
        "* first point",
        "Earlier you said:",
        "> a quote",
    ]
    assert plain.splitlines()[-1] == "https://example.org/plan"  # text equal to the url: once
    assert html is not None
    assert "<b>Hello</b> team" in html and "<ul><li>first point</li></ul>" in html
    assert '<blockquote type="cite"><p>a quote</p></blockquote>' in html
    assert '<a href="https://example.org/plan"' in html

    draft_id = window.save()
    assert draft_id is not None
    stored = store.draft(draft_id)
    assert stored is not None and stored.html_body == html and stored.body == plain
    window.close()
    again = composer(qtbot, store, draft_id=draft_id)
    assert again.editor.parts() == (plain, html)  # reopened: same text, same formatting


def test_a_link_on_words_is_written_as_text_and_url_in_the_plain_part(
    qtbot: QtBot, store: MailStore
) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.body, "See the plan today")
    select(window, 4, 12)
    window.editor.insert_link("https://example.org/plan")
    plain, html = window.editor.parts()
    assert plain == "See the plan <https://example.org/plan> today"
    assert html is not None and '<a href="https://example.org/plan"' in html


def test_unformatted_text_goes_out_as_plain_text_alone(qtbot: QtBot, store: MailStore) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.body, "Just words.")
    assert window.editor.parts() == ("Just words.", None)


def test_plain_text_mode_has_no_format_bar_and_writes_no_html(
    qtbot: QtBot, store: MailStore
) -> None:
    save_settings(store, AppSettings(compose_html=False))
    window = composer(qtbot, store)
    assert not window.editor.toolbar.isVisibleTo(window)
    assert not window.editor.bold.isEnabled()
    qtbot.keyClicks(window.body, "> not a quote level here")
    assert window.editor.parts() == ("> not a quote level here", None)


def test_the_from_chooser_offers_every_identity_with_its_name_and_switches_signatures(
    qtbot: QtBot, store: MailStore
) -> None:
    me = account(store)
    record_session(store, me, ACCOUNT_EMAIL, [ACCOUNT_EMAIL, "team@example.com"])
    save_identity(store, me, Identity(ACCOUNT_EMAIL, "Me Myself", "Me\nPhone 123"))
    save_identity(store, me, Identity("team@example.com", "The Team", "The Team\nteam.example"))
    window = composer(qtbot, store)
    chooser = window.from_field
    assert [chooser.itemText(i) for i in range(chooser.count())] == [
        f"Me Myself <{ACCOUNT_EMAIL}>",
        "The Team <team@example.com>",
    ]
    assert window.body.toPlainText() == "\n\n-- \nMe\nPhone 123"
    window.body.moveCursor(QTextCursor.MoveOperation.Start)
    qtbot.keyClicks(window.body, "My own words.")
    chooser.setCurrentIndex(1)
    # The signature block is replaced; what the user wrote is kept.
    assert window.body.toPlainText() == "My own words.\n\n-- \nThe Team\nteam.example"
    window.to_field.setText("friend@example.org")
    draft_id = window.save()
    assert draft_id is not None
    stored = store.draft(draft_id)
    assert stored is not None
    assert stored.from_address == Address("The Team", "team@example.com")
    window.close()
    reopened = composer(qtbot, store, draft_id=draft_id)
    assert reopened.from_field.currentText() == "The Team <team@example.com>"


@pytest.mark.parametrize("below", [False, True])
def test_a_replys_signature_goes_above_or_below_the_quote_as_set(
    qtbot: QtBot, store: MailStore, below: bool
) -> None:
    save_settings(store, AppSettings(signature_below_quote=below))
    save_identity(store, account(store), Identity(ACCOUNT_EMAIL, "Me", "Me, by mail"))
    parent = store.page(store.mailbox_by_role(account(store), "inbox").id, limit=1)[0]  # type: ignore[union-attr]
    window = composer(qtbot, store, mode="reply", parent_message_id=parent.id)
    plain = window.editor.plain_text()
    signature, quote = plain.index("-- \nMe, by mail"), plain.index("\n> ")
    assert (signature > quote) is below
    # Switching to an identity without a signature removes the block, quote kept.
    record_session(store, account(store), ACCOUNT_EMAIL, [ACCOUNT_EMAIL])
    window.from_field.identityChanged.emit(
        window.from_field.identity, Identity(ACCOUNT_EMAIL, "Me", "")
    )
    assert "Me, by mail" not in window.editor.plain_text()
    assert "\n> " in window.editor.plain_text()


def test_a_from_name_hiding_a_line_break_is_refused_before_sending(
    qtbot: QtBot, store: MailStore
) -> None:
    save_identity(store, account(store), Identity(ACCOUNT_EMAIL, "Me\r\nBcc: x@evil.example"))
    window = composer(qtbot, store)
    window.to_field.setText("friend@example.org")
    assert window.send() is None
    assert "From:" in window.error_label.text()
    assert [m for m in store.pending_mutations() if m.type == "submission.create"] == []


def test_bold_and_italic_switched_while_typing_apply_to_what_is_typed_next(
    qtbot: QtBot, store: MailStore
) -> None:
    window = composer(qtbot, store)
    qtbot.keyClicks(window.body, "The ")
    window.editor.bold.trigger()
    qtbot.keyClicks(window.body, "launch review")
    window.editor.bold.trigger()
    qtbot.keyClicks(window.body, " moves, ")
    window.editor.italic.trigger()
    qtbot.keyClicks(window.body, "finally")
    window.editor.italic.trigger()
    qtbot.keyClicks(window.body, ".")
    plain, html = window.editor.parts()
    assert plain == "The launch review moves, finally."
    assert html is not None and "The <b>launch review</b> moves, <i>finally</i>." in html


def test_a_reply_to_mail_sent_to_an_alias_goes_out_from_that_alias_and_never_to_myself(
    qtbot: QtBot, store: MailStore
) -> None:
    me = account(store)
    record_session(store, me, ACCOUNT_EMAIL, [ACCOUNT_EMAIL, "team@example.com"])
    save_identity(store, me, Identity("team@example.com", "The Team", "The Team"))
    message = dataclasses.replace(
        make_message(500, subject="To the team"),
        to=[Address(None, "team@example.com"), Address("Carol", "carol@example.net")],
        cc=[Address("Me", ACCOUNT_EMAIL)],
    )
    store.import_messages(
        me, [DemoMessage(mailbox_role="inbox", mailbox_name="Inbox", keywords=frozenset(),
                         message=message, thread_key="t500")]
    )  # fmt: skip
    (parent,) = [m for m in store.search('"To the team"') if m.subject == "To the team"]
    window = composer(qtbot, store, mode="reply_all", parent_message_id=parent.id)
    assert window.from_field.currentText() == "The Team <team@example.com>"
    assert "-- \nThe Team" in window.editor.plain_text()
    recipients = window.to_field.text() + ", " + window.cc_field.text()
    assert "carol@example.net" in recipients
    assert "team@example.com" not in recipients and ACCOUNT_EMAIL not in recipients


def test_formatting_autosaved_before_a_crash_comes_back_with_the_recovered_draft(
    qtbot: QtBot, store: MailStore
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    # Owned by its parent (as the main window's composers are), which qtbot closes.
    window = open_composer(store, account(store), parent=parent)
    window.editor.bold.trigger()
    qtbot.keyClicks(window.body, "Bold words")
    # Autosave, within its second: the app may die from here on.
    qtbot.waitUntil(lambda: window.draft_id is not None, timeout=AUTOSAVE_DELAY_MS + 500)
    draft_id = window.draft_id
    assert draft_id in open_composer_drafts(store, account(store))  # never closed: a crash
    offer = offer_recovered_drafts(store, parent)
    assert offer is not None
    offer.entries[0].reopen_button.click()
    reopened = [c for c in parent.findChildren(Composer) if c is not window and c.isVisible()]
    assert [c.draft_id for c in reopened] == [draft_id]
    plain, html = reopened[0].editor.parts()
    assert plain == "Bold words" and html is not None and "<b>Bold words</b>" in html

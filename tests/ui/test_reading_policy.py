"""The remote content setting: images from people the user has written to show without asking."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.store import open_store
from mailapp.store.settings import AppSettings, RemoteContent, load_settings, save_settings
from mailapp.ui.reading.message_view import MessageView
from tests.ui.conftest import ACCOUNT_EMAIL, demo_item

BANNER = "https://news.example.com/banner.png"


def test_known_senders_policy_shows_their_images_and_still_blocks_strangers(
    qtbot: QtBot, tmp_path: Path
) -> None:
    store = open_store(tmp_path / "mail.sqlite3")
    account_id = store.create_account(ACCOUNT_EMAIL)
    html = f'<img src="{BANNER}" alt="banner"><p>Hello</p>'
    known = demo_item(1, subject="From a friend", html_body=html, text_body=None)
    stranger = demo_item(2, subject="From a stranger", html_body=html, text_body=None)
    reply = demo_item(3, role="sent", mailbox="Sent", subject="My note")
    friend = known.message.sender
    assert friend is not None and friend != stranger.message.sender
    reply = replace(reply, message=replace(reply.message, to=[Address(None, friend.email)]))
    store.import_messages(account_id, [known, stranger, reply])
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    ids = {s.subject: s.id for s in store.page(inbox.id)}
    view = MessageView(store)
    qtbot.addWidget(view)
    view.show()

    def blocked_for(subject: str) -> bool:
        detail = store.message(ids[subject])
        assert detail is not None
        view.show_message(detail)
        return view.remote_bar.isVisible()

    assert load_settings(store).remote_content is RemoteContent.ASK
    assert blocked_for("From a friend") and blocked_for("From a stranger")

    save_settings(store, AppSettings(remote_content=RemoteContent.KNOWN_SENDERS))
    assert not blocked_for("From a friend")
    assert f'href="{BANNER}"' in view.pane.toHtml()  # shown as a link: still nothing fetched
    assert blocked_for("From a stranger")
    store.close()


def test_composer_gets_the_undo_delay_from_settings(qtbot: QtBot, tmp_path: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from mailapp.ui.composer.composer import Composer
    from mailapp.ui.window.main_window import MainWindow

    store = open_store(tmp_path / "mail.sqlite3")
    account_id = store.create_account(ACCOUNT_EMAIL)
    store.import_messages(account_id, [demo_item(1)])
    save_settings(store, AppSettings(undo_send_seconds=3))
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    # Composers of earlier tests in this process may still exist (closed, not yet deleted).
    earlier = [w for w in QApplication.topLevelWidgets() if isinstance(w, Composer)]
    window.mail_actions._open_composer("new", None)
    composers = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, Composer) and w not in earlier
    ]
    assert len(composers) == 1
    assert composers[0]._undo_seconds == 3
    composers[0].close()
    store.close()

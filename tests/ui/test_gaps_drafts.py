"""Drafts in the Drafts mailbox: listed newest first, kept live, reopened, deleted."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mailapp.core.addresses import Address
from mailapp.store import MailStore
from mailapp.store.rows import DraftInput
from mailapp.ui.composer.composer import Composer
from mailapp.ui.mailbox.message_list_model import DEFAULT_PAGE_SIZE, Column
from mailapp.ui.window.main_window import MainWindow


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def _account(store: MailStore) -> str:
    return store.accounts()[0][0]


def _save(store: MailStore, subject: str, *to: Address, draft_id: str | None = None) -> str:
    saved = store.save_draft(
        DraftInput(
            draft_id=draft_id,
            account_id=_account(store),
            subject=subject,
            to=list(to),
            body=f"Body of {subject or 'nothing'}",
        )
    )
    time.sleep(0.002)  # distinct last-edit times, in microseconds
    return saved


def _open_drafts(window: MainWindow, store: MailStore) -> None:
    drafts = store.mailbox_by_role(_account(store), "drafts")
    assert drafts is not None
    window.select_mailbox(drafts.id)


def _shown(window: MainWindow) -> list[tuple[str, str]]:
    model = window.message_model
    return [
        (
            model.index(row, Column.SUBJECT).data(),
            model.index(row, Column.SENDER).data(),
        )
        for row in range(model.rowCount())
    ]


def test_saved_drafts_are_listed_newest_first(qtbot: QtBot, store: MailStore) -> None:
    _save(store, "Quarterly plan", Address("Bob Builder", "bob@example.net"))
    _save(store, "", Address(None, "carol@example.net"), Address("Dan", "dan@example.net"))
    _save(store, "No one yet")
    window = _window(qtbot, store)
    _open_drafts(window, store)

    assert _shown(window) == [
        ("No one yet", "(no recipients)"),
        ("(no subject)", "carol@example.net, Dan"),
        ("Quarterly plan", "Bob Builder"),
    ]
    model = window.message_model
    assert model.headerData(Column.SENDER, Qt.Orientation.Horizontal) == "To"
    assert model.index(0, Column.DATE).data()  # the last edit time
    assert window.count_label.text() == "3 drafts"
    # Back in the Inbox the list is mail again.
    window.select_mailbox(window.mailbox_model.first_mailbox_with_role("inbox") or "")
    assert model.headerData(Column.SENDER, Qt.Orientation.Horizontal) == "From"
    assert model.rowCount() == 30


def test_the_list_follows_saves_and_deletes(qtbot: QtBot, store: MailStore) -> None:
    first = _save(store, "First")
    _save(store, "Second")
    window = _window(qtbot, store)
    _open_drafts(window, store)
    assert [s for s, _ in _shown(window)] == ["Second", "First"]

    _save(store, "Third")
    qtbot.waitUntil(lambda: [s for s, _ in _shown(window)] == ["Third", "Second", "First"])
    _save(store, "First, edited", draft_id=first)  # an edit makes it the newest
    qtbot.waitUntil(lambda: [s for s, _ in _shown(window)] == ["First, edited", "Third", "Second"])
    store.delete_draft(first)
    qtbot.waitUntil(lambda: [s for s, _ in _shown(window)] == ["Third", "Second"])
    assert window.count_label.text() == "2 drafts"


def test_many_drafts_are_paged_lazily(qtbot: QtBot, store: MailStore) -> None:
    account = _account(store)
    for n in range(DEFAULT_PAGE_SIZE * 2 + 5):
        store.save_draft(DraftInput(draft_id=None, account_id=account, subject=f"Draft {n}"))
    window = _window(qtbot, store)
    _open_drafts(window, store)
    model = window.message_model
    assert model.rowCount() == DEFAULT_PAGE_SIZE and model.canFetchMore(model.index(-1, -1))
    window.message_list.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() > DEFAULT_PAGE_SIZE)
    while model.canFetchMore(model.index(-1, -1)):
        model.fetchMore(model.index(-1, -1))
    subjects = [model.summary(row).subject for row in range(model.rowCount())]
    assert len(subjects) == len(set(subjects)) == DEFAULT_PAGE_SIZE * 2 + 5
    assert subjects[0] == f"Draft {DEFAULT_PAGE_SIZE * 2 + 4}"


def _composers() -> list[Composer]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, Composer) and w.isVisible()]


def test_enter_and_double_click_reopen_the_draft(qtbot: QtBot, store: MailStore) -> None:
    older = _save(store, "Older", Address("Bob", "bob@example.net"))
    _save(store, "Newer")
    window = _window(qtbot, store)
    _open_drafts(window, store)
    window.select_message_row(1)
    window.message_list.setFocus()
    qtbot.keyClick(window.message_list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(_composers()) == 1)
    [composer] = _composers()
    assert composer.draft_id == older
    assert composer.subject_field.text() == "Older"
    assert "bob@example.net" in composer.to_field.text()
    composer.close()

    rect = window.message_list.visualRect(window.message_model.index(0, Column.SUBJECT))
    viewport = window.message_list.viewport()
    # A double click is a press and release, then the double-click event (as a mouse sends it).
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: len(_composers()) == 1)
    assert _composers()[0].subject_field.text() == "Newer"
    _composers()[0].close()


def test_delete_removes_the_selected_drafts_after_confirming(
    qtbot: QtBot, store: MailStore
) -> None:
    keep = _save(store, "Keep me")
    gone = _save(store, "Throw away")
    window = _window(qtbot, store)
    _open_drafts(window, store)
    window.select_message_row(0)
    actions = window.mail_actions
    assert actions.delete.isEnabled()
    # Moving, flagging or replying to a draft means nothing: only Delete applies.
    assert not actions.reply.isEnabled() and not actions.archive.isEnabled()
    asked: list[int] = []
    actions.confirm_delete_drafts = lambda n: asked.append(n) is not None  # "No"
    actions.delete.trigger()
    assert asked == [1] and store.draft(gone) is not None

    actions.confirm_delete_drafts = lambda n: True
    actions.delete.trigger()
    qtbot.waitUntil(lambda: [s for s, _ in _shown(window)] == ["Keep me"])
    assert store.draft(gone) is None and store.draft(keep) is not None


def test_a_draft_the_composer_autosaves_shows_up(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    _open_drafts(window, store)
    assert window.message_model.rowCount() == 0
    window.mail_actions.new_message.trigger()
    qtbot.waitUntil(lambda: len(_composers()) == 1)
    [composer] = _composers()
    qtbot.keyClicks(composer.subject_field, "Typed, not sent")
    qtbot.waitUntil(lambda: _shown(window) == [("Typed, not sent", "(no recipients)")])
    composer.close()

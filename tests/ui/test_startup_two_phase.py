"""The two-phase start: the window paints from a FirstScreen snapshot, then takes the store.

What the user sees and does in between (scrolling, selecting, choosing a mailbox) must survive
the switch, and everything that needs the store must be disabled until it is there.
"""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QLineEdit, QToolButton
from pytestqt.qtbot import QtBot

from mailapp.cli import GuiOptions
from mailapp.store import MailStore
from mailapp.store.first_screen import FirstScreen, read_first_screen
from mailapp.ui import app as desktop_app
from mailapp.ui.mailbox.mailbox_tree_model import OUTBOX_ID, UNREAD_COLUMN
from mailapp.ui.mailbox.message_list_model import DEFAULT_PAGE_SIZE
from mailapp.ui.window.main_window import MainWindow
from tests.ui.conftest import inbox_id, make_message

EXTRA_INBOX = 150  # with the fixture's 30: several pages


@pytest.fixture
def long_store(store: MailStore) -> MailStore:
    inbox = inbox_id(store)
    (account_id, _email), *_ = store.accounts()
    store.import_messages(
        account_id,
        [(inbox, make_message(1000 + i), frozenset()) for i in range(EXTRA_INBOX)],
    )
    return store


def _snapshot(store: MailStore) -> FirstScreen:
    snapshot = read_first_screen(store.path, DEFAULT_PAGE_SIZE)
    assert snapshot is not None
    return snapshot


def _painted(qtbot: QtBot, window: MainWindow) -> MainWindow:
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def _tree_texts(window: MainWindow) -> list[tuple[str, str]]:
    model = window.mailbox_model
    texts: list[tuple[str, str]] = []

    def walk(parent: object) -> None:
        for row in range(model.rowCount(parent)):  # type: ignore[arg-type]
            index = model.index(row, 0, parent)  # type: ignore[arg-type]
            count = model.index(row, UNREAD_COLUMN, parent).data() or ""  # type: ignore[arg-type]
            texts.append((index.data(), count))
            walk(index)

    from PySide6.QtCore import QModelIndex

    walk(QModelIndex())
    return texts


def _list_texts(window: MainWindow) -> list[tuple[str, str]]:
    model = window.message_model
    return [
        (model.index(row, 2).data(), model.index(row, 3).data()) for row in range(model.rowCount())
    ]


def test_first_screen_looks_like_the_complete_window(qtbot: QtBot, long_store: MailStore) -> None:
    early = _painted(qtbot, MainWindow(first_screen=_snapshot(long_store)))
    complete = _painted(qtbot, MainWindow(long_store))

    assert _tree_texts(early) == _tree_texts(complete)
    assert _list_texts(early) == _list_texts(complete)
    assert early.message_model.rowCount() == DEFAULT_PAGE_SIZE
    assert early.count_label.text() == complete.count_label.text() == "180 messages"
    assert early.mailbox_tree.currentIndex().data() == "Inbox"


def test_store_actions_are_disabled_until_the_store_is_attached(
    qtbot: QtBot, long_store: MailStore
) -> None:
    window = _painted(qtbot, MainWindow(first_screen=_snapshot(long_store)))
    window.select_message_row(0)
    actions = window.mail_actions
    store_actions = [actions.new_message, *actions.message_actions, window.conflicts_action]
    assert not any(action.isEnabled() for action in store_actions)
    assert window.search_box is None  # a disabled placeholder holds its place
    assert window.reading_pane.message_id is None

    with qtbot.waitSignal(window.storeAttached):
        window.attach_store(long_store)

    assert actions.delete.isEnabled() and actions.mark_read.isEnabled()
    assert actions.new_message.isEnabled() and window.conflicts_action.isEnabled()
    assert window.search_box is not None and window.search_box.isEnabled()
    assert window.search_box.mailbox_id == inbox_id(long_store)
    # The message selected before the store opened is shown (and so marked read) now.
    selected = window.message_model.summary(0)
    assert window.reading_pane.message_id == selected.id
    assert window.message_view.attachments is not None
    buttons = [window.toolbar.widgetForAction(a) for a in window.toolbar.actions() if a.text()]
    tool_buttons = [b for b in buttons if isinstance(b, QToolButton)]
    assert tool_buttons and all(b.accessibleName() for b in tool_buttons)


def test_rows_scroll_position_and_selection_survive_the_switch(
    qtbot: QtBot, long_store: MailStore
) -> None:
    window = _painted(qtbot, MainWindow(first_screen=_snapshot(long_store)))
    shown_before = [window.message_model.summary(r) for r in range(DEFAULT_PAGE_SIZE)]
    window.select_message_row(40)
    window.message_list.scrollToBottom()  # asks for the next page, which must wait for the store
    qtbot.wait(20)
    scrolled = window.message_list.verticalScrollBar().value()
    assert scrolled > 0
    assert window.message_model.rowCount() == DEFAULT_PAGE_SIZE

    window.attach_store(long_store)

    model = window.message_model
    assert model.rowCount() > DEFAULT_PAGE_SIZE  # the deferred page came, by keyset
    # Showing the selected message marks it read; the list hears of it from the store.
    qtbot.waitUntil(lambda: model.summary(40).is_read)
    fetched = [model.summary(r) for r in range(model.rowCount())]
    assert [m.id for m in fetched[:DEFAULT_PAGE_SIZE]] == [m.id for m in shown_before]
    assert fetched == long_store.page(inbox_id(long_store), None, model.rowCount())
    assert fetched[40].is_read and not shown_before[40].is_read  # shown, so read
    assert window.message_list.verticalScrollBar().value() >= scrolled
    rows = window.message_list.selectionModel().selectedRows()
    assert [r.row() for r in rows] == [40]
    assert window.reading_pane.message_id == shown_before[40].id


def test_a_mailbox_or_order_chosen_early_is_shown_once_the_store_is_there(
    qtbot: QtBot, long_store: MailStore
) -> None:
    window = _painted(qtbot, MainWindow(first_screen=_snapshot(long_store)))
    sent = next(m.id for m in long_store.mailboxes() if m.role == "sent")
    window.select_mailbox(sent)
    assert window.message_model.mailbox_id == sent
    assert window.message_model.rowCount() == 0  # not read yet: no store

    window.attach_store(long_store)

    assert [window.message_model.summary(r) for r in range(3)] == long_store.page(sent)
    assert window.count_label.text() == "3 messages"
    assert window.mailbox_tree.currentIndex().data() == "Sent"


def test_search_typed_before_the_store_opens_is_searched_after(
    qtbot: QtBot, long_store: MailStore
) -> None:
    window = _painted(qtbot, MainWindow(first_screen=_snapshot(long_store)))
    (early_box,) = window.toolbar.findChildren(QLineEdit)
    assert early_box.isEnabled()
    qtbot.keyClicks(early_box, "1149")

    with qtbot.waitSignal(window.message_model.modelReset, timeout=10_000):
        window.attach_store(long_store)
        assert window.search_box is not None
        assert window.search_box.text() == "1149"

    assert window.message_model.search_text == "1149"
    assert [
        window.message_model.summary(r).subject for r in range(window.message_model.rowCount())
    ] == ["Message number 1149"]


def test_the_outbox_chosen_early_opens_once_the_store_is_there(
    qtbot: QtBot, long_store: MailStore
) -> None:
    window = _painted(qtbot, MainWindow(first_screen=_snapshot(long_store)))
    window.select_mailbox(OUTBOX_ID)
    assert window.outbox_view is None

    window.attach_store(long_store)

    assert window.outbox_view is not None
    assert window.right_stack.currentWidget() is window.outbox_view


def test_tree_keeps_its_state_and_follows_changes_after_the_switch(
    qtbot: QtBot, long_store: MailStore
) -> None:
    window = _painted(qtbot, MainWindow(first_screen=_snapshot(long_store)))
    window.mailbox_tree.collapseAll()
    before = _tree_texts(window)

    window.attach_store(long_store)

    assert _tree_texts(window) == before
    assert not window.mailbox_tree.isExpanded(window.mailbox_tree.model().index(0, 0))
    assert window.mailbox_tree.currentIndex().data() == "Inbox"
    unread = window.message_model.summary(0)
    assert not unread.is_read
    long_store.mark_read([unread.id], True)  # the store now drives the tree's counts
    inbox_count = window.mailbox_model.index(0, UNREAD_COLUMN)
    qtbot.waitUntil(lambda: window.mailbox_model.data(inbox_count) == str(9 + EXTRA_INBOX - 1))


def test_app_paints_the_first_screen_then_attaches_the_store(
    qtbot: QtBot, long_store: MailStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    profile = long_store.path.parent
    options = GuiOptions(
        profile=profile,
        demo=False,
        screenshot=None,
        report_first_paint=False,
        exit_after_first_paint=False,
    )
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    with ExitStack() as cleanup:
        windows = desktop_app._open_first_screen(options, cleanup, app)
        assert len(windows) == 1
        window = windows[0]
        assert not window.mail_actions.new_message.isEnabled()  # until the store is open
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.storeAttached, timeout=10_000):
            window.show()
        assert window.mail_actions.new_message.isEnabled()
        assert window.message_model.rowCount() == DEFAULT_PAGE_SIZE
        window.close()


def test_app_takes_the_normal_path_without_an_up_to_date_store(tmp_path: Path) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    options = GuiOptions(
        profile=tmp_path / "new-profile",
        demo=False,
        screenshot=None,
        report_first_paint=False,
        exit_after_first_paint=False,
    )
    with ExitStack() as cleanup:
        assert desktop_app._open_first_screen(options, cleanup, app) == []
    assert not (tmp_path / "new-profile").exists()

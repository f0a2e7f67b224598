"""The panes: proportions, splitter positions kept across restarts, the vertical view, and the
preview line under each subject."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui.mailbox.message_list_model import Column
from mailapp.ui.window.layout import SETTINGS_FILENAME
from mailapp.ui.window.main_window import MainWindow
from tests.support.contrast import measure_region


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.resize(1200, 760)
    window.show()
    qtbot.waitExposed(window)
    return window


def _at(window: MainWindow, widget: QWidget) -> QPoint:
    """Where `widget` is in the window (x() and y() are within its parent)."""
    return widget.mapTo(window, QPoint(0, 0))


def _list_share(window: MainWindow) -> float:
    list_size, pane_size = window.pane_layout.mail_splitter.sizes()
    return list_size / (list_size + pane_size)


def _drag(qtbot: QtBot, window: MainWindow, by: QPoint) -> None:
    handle = window.pane_layout.mail_splitter.handle(1)
    start = handle.rect().center()
    qtbot.mousePress(handle, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(handle, start + by)
    qtbot.mouseRelease(handle, Qt.MouseButton.LeftButton, pos=start + by)


def test_the_list_and_the_reading_pane_share_the_height(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    assert 0.45 <= _list_share(window) <= 0.55  # was a third: 300 of 740 pixels and less
    folders, rest = window.pane_layout.outer_splitter.sizes()
    assert 0.15 <= folders / (folders + rest) <= 0.25
    assert (
        _at(window, window.message_view).y() > _at(window, window.message_list).y()
    )  # the classic view


def test_dragged_splitters_come_back_after_a_restart(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    before = window.pane_layout.mail_splitter.sizes()
    _drag(qtbot, window, QPoint(0, 120))
    dragged = window.pane_layout.mail_splitter.sizes()
    assert dragged[0] > before[0] + 60
    window.close()
    assert (store.path.parent / SETTINGS_FILENAME).exists()  # in the profile, beside the mail

    again = _window(qtbot, store)
    assert abs(again.pane_layout.mail_splitter.sizes()[0] - dragged[0]) <= 2


def test_the_vertical_view_puts_three_columns_side_by_side_and_is_kept(
    qtbot: QtBot, store: MailStore
) -> None:
    window = _window(qtbot, store)
    assert not window.pane_layout.vertical_action.isChecked()
    window.pane_layout.vertical_action.trigger()  # View → Layout → Vertical View
    qtbot.waitUntil(
        lambda: _at(window, window.message_view).x() > _at(window, window.message_list).x() + 100
    )
    assert abs(_at(window, window.message_view).y() - _at(window, window.message_list).y()) < 40
    assert _at(window, window.mailbox_tree).x() < _at(window, window.message_list).x()
    assert 0.4 <= _list_share(window) <= 0.5
    window.close()

    again = _window(qtbot, store)
    assert again.pane_layout.vertical and again.pane_layout.vertical_action.isChecked()
    assert _at(again, again.message_view).x() > _at(again, again.message_list).x() + 100
    again.pane_layout.classic_action.trigger()
    qtbot.waitUntil(
        lambda: _at(again, again.message_view).y() > _at(again, again.message_list).y() + 100
    )


def test_the_preview_line_shows_the_start_of_each_message(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    view = window.message_list
    one_line = view.rowHeight(0)

    def second_line_ink() -> object:
        cell = view.visualRect(window.message_model.index(0, Column.SUBJECT))
        image = view.viewport().grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
        lower = cell.adjusted(4, cell.height() // 2 + 1, -4, -1)
        return measure_region(image, lower)

    window.pane_layout.preview_action.trigger()  # View → Layout → Preview Line
    qtbot.waitUntil(lambda: view.rowHeight(0) > 1.7 * one_line)
    assert second_line_ink() is not None  # the snippet, under the subject
    assert window.message_model.summary(0).snippet.startswith("Body of message")
    window.close()

    again = _window(qtbot, store)
    assert again.pane_layout.preview_action.isChecked()
    again.pane_layout.preview_action.trigger()
    qtbot.waitUntil(lambda: again.message_list.rowHeight(0) == one_line)

"""The keyboard of mail clients: Ctrl+Q, j/k and n/p (which Settings can turn off),
Ctrl+Shift+F to forward, Escape to close a composer with its draft saved, F1 for About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from mailapp import __version__
from mailapp.store import MailStore
from mailapp.ui.composer.composer import Composer, open_composer
from mailapp.ui.window.about import AboutDialog
from mailapp.ui.window.main_window import MainWindow
from mailapp.ui.window.settings_dialog import SettingsDialog, add_settings_action


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    return window


def _selected_row(window: MainWindow) -> int:
    rows = window.message_list.selectionModel().selectedRows()
    assert len(rows) == 1
    return rows[0].row()


def _key(
    qtbot: QtBot,
    widget: QWidget,
    key: Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    widget.setFocus()
    qtbot.keyClick(widget, key, modifier)


def test_ctrl_q_quits(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    _key(qtbot, window.message_list, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window.isVisible())


def test_j_k_move_through_the_list_and_n_p_through_unread_mail(
    qtbot: QtBot, store: MailStore
) -> None:
    window = _window(qtbot, store)
    window.select_message_row(0)
    _key(qtbot, window.message_list, Qt.Key.Key_J)
    assert _selected_row(window) == 1
    assert window.reading_pane.message_id == window.message_model.summary(1).id
    # From the reading pane too: where the eyes are after opening a message.
    _key(qtbot, window.reading_pane, Qt.Key.Key_J)
    assert _selected_row(window) == 2
    _key(qtbot, window.message_list, Qt.Key.Key_K)
    assert _selected_row(window) == 1

    unread = [
        r
        for r in range(window.message_model.rowCount())
        if not window.message_model.summary(r).is_read
    ]
    assert len(unread) >= 3
    window.select_message_row(unread[0])
    _key(qtbot, window.message_list, Qt.Key.Key_N)
    assert _selected_row(window) == unread[1]
    _key(qtbot, window.message_list, Qt.Key.Key_N)
    assert _selected_row(window) == unread[2]
    _key(qtbot, window.message_list, Qt.Key.Key_P)
    assert _selected_row(window) == unread[1]


def test_single_keys_type_into_text_fields(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    window.select_message_row(0)
    search = window.search_box
    assert search is not None
    search.setFocus()
    qtbot.keyClicks(search, "jnk")
    assert search.text() == "jnk"
    assert window.message_list.selectionModel().selectedRows()[0].row() in (0,)


def test_settings_turn_single_keys_off(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    add_settings_action(window, store).trigger()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.single_key_check.isChecked()
    dialog.single_key_check.setChecked(False)
    dialog.accept()
    window.select_message_row(0)
    _key(qtbot, window.message_list, Qt.Key.Key_J)
    assert _selected_row(window) == 0
    # Kept: a window opened later on the same profile has them off too.
    window.close()
    again = _window(qtbot, store)
    again.select_message_row(0)
    _key(qtbot, again.message_list, Qt.Key.Key_J)
    assert _selected_row(again) == 0
    _key(qtbot, again.message_list, Qt.Key.Key_Down)  # the arrows still move
    assert _selected_row(again) == 1


def test_ctrl_shift_f_forwards(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    window.select_message_row(0)
    subject = window.message_model.summary(0).subject
    _key(
        qtbot, window.message_list, Qt.Key.Key_F,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )  # fmt: skip
    qtbot.waitUntil(lambda: window.findChild(Composer) is not None)
    composer = window.findChild(Composer)
    assert composer is not None
    assert composer.subject_field.text() == f"Fwd: {subject}"
    composer.close()


def test_escape_closes_a_composer_and_keeps_the_draft(qtbot: QtBot, store: MailStore) -> None:
    (account_id, _email), *_ = store.accounts()
    composer = open_composer(store, account_id)
    qtbot.addWidget(composer)
    composer.activateWindow()
    qtbot.waitUntil(composer.isActiveWindow, timeout=5_000)
    composer.subject_field.setFocus()
    qtbot.keyClicks(composer.subject_field, "Notes for Thursday")
    qtbot.keyClick(composer.subject_field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not composer.isVisible())
    assert [d.subject for d in store.drafts(account_id)] == ["Notes for Thursday"]


def test_f1_shows_the_version_the_licences_and_the_log(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    _key(qtbot, window.message_list, Qt.Key.Key_F1)
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is not None)
    about = window.findChild(AboutDialog)
    assert about is not None and about.isVisible()
    assert __version__ in about.version_label.text()
    assert "LGPL" in about.licences_label.text() and "MIT" in about.licences_label.text()
    assert str(about.log_file) in about.log_label.text()
    assert about.log_file.name == "mailapp.log"
    about.close()
    assert isinstance(QApplication.instance(), QApplication)

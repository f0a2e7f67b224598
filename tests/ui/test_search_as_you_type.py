"""Search as you type: results from the local index after a short pause, never stale ones."""

from __future__ import annotations

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui.window.main_window import MainWindow


def _window(qtbot: QtBot, store: MailStore) -> MainWindow:
    window = MainWindow(store)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.message_list.firstPagePainted, timeout=10_000):
        window.show()
    return window


def _subjects(window: MainWindow) -> list[str]:
    model = window.message_model
    return [model.summary(r).subject for r in range(model.rowCount())]


def test_typing_lists_matches_once_typing_pauses(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    box = window.search_box
    delivered: list[str] = []
    box.resultsReady.connect(lambda text, _results: delivered.append(text))

    with qtbot.waitSignal(box.resultsReady, timeout=5_000):
        qtbot.keyClicks(box, "number 2")  # faster than the pause: one query, not eight

    assert delivered == ["number 2"]
    assert sorted(_subjects(window)) == sorted(f"Message number {i}" for i in [2, *range(20, 30)])
    assert window.count_label.text() == "11 messages found"

    with qtbot.waitSignal(box.resultsReady, timeout=5_000):
        qtbot.keyClick(box, Qt.Key.Key_3)
    assert _subjects(window) == ["Message number 23"]

    with qtbot.waitSignal(box.cleared, timeout=1_000):
        box.clear()
    assert len(_subjects(window)) == 30  # the mailbox again
    assert window.count_label.text() == "30 messages"


def test_an_answer_to_older_text_is_never_shown(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    box = window.search_box
    delivered: list[str] = []
    box.resultsReady.connect(lambda text, _results: delivered.append(text))

    started: list[str] = []

    def overtake(text: str) -> None:
        started.append(text)
        if text == "number 1":
            box.setText("number 25")  # typed on while the first query runs

    box.queryStarted.connect(overtake)
    box.setText("number 1")
    qtbot.waitUntil(lambda: started == ["number 1", "number 25"], timeout=5_000)
    qtbot.waitUntil(lambda: not box.busy, timeout=5_000)

    assert delivered == ["number 25"]
    assert _subjects(window) == ["Message number 25"]


def test_search_finds_body_text_and_opens_results(qtbot: QtBot, store: MailStore) -> None:
    window = _window(qtbot, store)
    with qtbot.waitSignal(window.search_box.resultsReady, timeout=5_000):
        window.search_box.setText("Body of message 17")
    assert _subjects(window) == ["Message number 17"]
    window.select_message_row(0)
    assert "Body of message 17." in window.reading_pane.toPlainText()

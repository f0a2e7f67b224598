"""Cyclic garbage holding Qt widgets is destroyed on the UI thread, never by a worker thread
that happened to allocate (ui/common/ui_gc.py). A composer dropped in a cycle and collected by
the sync thread froze the whole process for 30 s: Qt's window close waited for the GUI thread,
which waited for the GIL the collecting thread held."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from mailapp.ui.common import ui_gc


class _Dropped:
    """A top-level widget in a reference cycle, as a closed dialog with its connections."""

    def __init__(self, destroyed_in: list[str]) -> None:
        self.widget = QWidget()
        self.cycle = self
        self.destroyed_in = destroyed_in

    def __del__(self) -> None:
        self.destroyed_in.append(threading.current_thread().name)


def _allocate_in_a_worker() -> list[list[int]]:
    """What the sync thread does all day: allocate far past the collector's thresholds, and
    keep some of it (rows, a page, caches), returned here."""
    kept: list[list[int]] = []

    def work() -> None:
        for _ in range(50):
            kept.extend([index] for index in range(200))

    worker = threading.Thread(target=work, name="sync-like worker")
    worker.start()
    worker.join(timeout=60)
    return kept


@pytest.fixture
def collector(qapp: QApplication) -> Iterator[ui_gc.UiThreadCollector]:
    owner = QObject()
    collector = ui_gc.UiThreadCollector(owner, interval_ms=50)
    collector.start()
    yield collector
    owner.deleteLater()
    gc.enable()  # the rest of this test process keeps CPython's collector


def test_a_dropped_widget_cycle_is_destroyed_on_the_ui_thread(
    qtbot: QtBot, collector: ui_gc.UiThreadCollector
) -> None:
    destroyed_in: list[str] = []
    _Dropped(destroyed_in)
    kept = _allocate_in_a_worker()
    assert len(kept) == 10_000
    assert destroyed_in == []  # the worker's allocations collected nothing
    qtbot.waitUntil(lambda: destroyed_in != [], timeout=10_000)
    assert destroyed_in == [threading.main_thread().name]


def test_without_the_timer_a_worker_collects_the_widget(qtbot: QtBot) -> None:
    """What the app did before: CPython's own collector, in whichever thread allocated."""
    assert gc.isenabled()
    destroyed_in: list[str] = []
    _Dropped(destroyed_in)
    kept = _allocate_in_a_worker()
    assert len(kept) == 10_000
    assert destroyed_in == ["sync-like worker"]


def test_a_pause_collects_nothing_until_resumed(
    qtbot: QtBot, collector: ui_gc.UiThreadCollector
) -> None:
    destroyed_in: list[str] = []
    collector.paused = True
    _Dropped(destroyed_in)
    kept = _allocate_in_a_worker()
    assert len(kept) == 10_000
    assert collector.collect_due() == -1 and destroyed_in == []
    collector.paused = False
    qtbot.waitUntil(lambda: destroyed_in != [], timeout=10_000)
    assert destroyed_in == [threading.main_thread().name]


def test_the_apps_resume_after_start_up_collects_on_the_ui_thread(
    qtbot: QtBot, qapp: QApplication
) -> None:
    """app.py's pause/resume pair around start-up, as the app runs it."""
    ui_gc.pause()
    try:
        ui_gc.resume()
        assert not gc.isenabled()  # a worker's allocations no longer collect
        destroyed_in: list[str] = []
        _Dropped(destroyed_in)
        kept = _allocate_in_a_worker()
        assert len(kept) == 10_000 and destroyed_in == []
        qtbot.waitUntil(lambda: destroyed_in != [], timeout=10_000)
        assert destroyed_in == [threading.main_thread().name]
    finally:
        ui_gc.pause()  # the app's collector stops; the rest of this process keeps CPython's
        gc.enable()

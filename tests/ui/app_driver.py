"""Drives the real app, started by its own entry point in this process, the way a user would.

Run from the repository root with a profile that has an account (the tests that start it make
one), on the offscreen platform:

    python -m tests.ui.app_driver type PROFILE INTERVAL_MS...
        waits until the window is complete, opens File → New Message, types TEXT into the
        message body one key at a time (the intervals between keys, cycled), and prints
        ``typed N MONOTONIC`` after each key. It never stops by itself: the test kills it.

    python -m tests.ui.app_driver recovery PROFILE
        waits for the crash-recovery offer and prints ``offer JSON`` (what it shows), then quits.

    python -m tests.ui.app_driver composer PROFILE [mailto:…]
        starts the app (with the link, if given), prints ``ready`` once the window is complete,
        then waits for a composer to open (from the link, or from a later `mailapp mailto:…`)
        and prints ``composer JSON`` (its fields), then quits.

Everything else is the app's own: start-up (first screen, store, sync wiring), the actions,
the composer, its autosave. CLOCK_MONOTONIC is shared by all processes on Linux, so the test can
compare the times printed here with its own.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Iterator

from PySide6.QtCore import QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

from mailapp.cli import main

TEXT = "Typing steadily, a sentence at a time, with no pause for the autosave to wait for. " * 40
POLL_MS = 50
GIVE_UP_S = 60.0  # a driver that never finds what it waits for ends instead of hanging


def _main_window() -> QWidget | None:
    from mailapp.ui.window.main_window import MainWindow

    for widget in QApplication.topLevelWidgets():
        # New Message is enabled once the store is open, as a user would see it.
        ready = isinstance(widget, MainWindow) and widget.mail_actions.new_message.isEnabled()
        if ready and widget.isVisible():
            return widget
    return None


def _composer() -> QWidget | None:
    from mailapp.ui.composer.composer import Composer

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, Composer) and widget.isVisible():
            return widget
    return None


def _recovery_offer() -> QWidget | None:
    for widget in QApplication.topLevelWidgets():
        if widget.objectName() == "draftRecovery" and widget.isVisible():
            return widget
    return None


class _Driver:
    def __init__(self, mode: str, intervals: list[int]) -> None:
        self.mode = mode
        self.intervals: Iterator[int] = itertools.cycle(intervals or [100])
        self.started = time.monotonic()
        self.typed = 0
        self.ready = False
        self.poller = QTimer()
        self.poller.setInterval(POLL_MS)
        self.poller.timeout.connect(self.poll)
        self.poller.start()

    def poll(self) -> None:
        if time.monotonic() - self.started > GIVE_UP_S:
            print(f"gave up waiting in mode {self.mode}", flush=True)
            QApplication.exit(9)
            return
        if self.mode == "recovery":
            offer = _recovery_offer()
            if offer is not None:
                self.poller.stop()
                summary = offer.summary()  # type: ignore[attr-defined]
                print("offer", json.dumps(summary), flush=True)
                QApplication.quit()
            return
        if self.mode == "composer":
            self.wait_for_composer()
            return
        window = _main_window()
        if window is None:
            return
        self.poller.stop()
        window.mail_actions.new_message.trigger()  # type: ignore[attr-defined]
        QTimer.singleShot(0, self.type_next)

    def wait_for_composer(self) -> None:
        if not self.ready and _main_window() is not None:
            self.ready = True
            print("ready", flush=True)
        composer = _composer()
        if composer is None:
            return
        self.poller.stop()
        fields = {
            name: getattr(composer, f"{name}_field").text()
            for name in ("to", "cc", "bcc", "subject")
        }
        fields["body"] = composer.body.toPlainText()  # type: ignore[attr-defined]
        print("composer", json.dumps(fields), flush=True)
        QApplication.quit()

    def type_next(self) -> None:
        composer = _composer()
        if composer is None:
            print("no composer opened", flush=True)
            QApplication.exit(8)
            return
        QTest.keyClicks(composer.body, TEXT[self.typed % len(TEXT)])  # type: ignore[attr-defined]
        self.typed += 1
        print(f"typed {self.typed} {time.monotonic():.6f}", flush=True)
        QTimer.singleShot(next(self.intervals), self.type_next)


def run(argv: list[str]) -> int:
    mode, profile, *rest = argv
    app = QApplication(["mailapp"])  # the app's start-up takes this one over
    link = rest if mode == "composer" else []
    driver = _Driver(mode, [int(i) for i in rest] if mode != "composer" else [])
    status = main(["--profile", profile, *link])
    del driver, app
    return status


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))

"""Logging to the profile's log file, and what the user sees when something goes wrong."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

log = logging.getLogger("mailapp")


def setup_logging(log_file: Path) -> logging.Handler:
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError:
        handler = logging.StreamHandler(sys.stderr)  # a read-only home must not stop the app
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return handler


def is_headless() -> bool:
    """True when no one can see or dismiss a dialog (offscreen platform, e.g. --screenshot)."""
    return QGuiApplication.platformName() in ("offscreen", "minimal")


def show_error(title: str, message: str) -> None:
    """A modal error dialog, or a line on stderr where no dialog can be shown."""
    if QApplication.instance() is None or is_headless():
        print(f"mailapp: {message}", file=sys.stderr, flush=True)
        return
    # Imported here: building QMessageBox's Python type with its enums costs ~1 ms of every
    # start, and most runs never show it.
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.critical(None, title, message)


def show_warning(title: str, message: str) -> None:
    """A modal warning, or a line on stderr where no dialog can be shown."""
    if QApplication.instance() is None or is_headless():
        print(f"mailapp: {message}", file=sys.stderr, flush=True)
        return
    from PySide6.QtWidgets import QMessageBox

    QMessageBox.warning(None, title, message)


def install_excepthook(log_file: Path | Callable[[], Path]) -> None:
    """Unexpected exceptions go to the log with their traceback; the user gets a short note.

    `log_file` may be a function that opens the log if it is not open yet and returns its path:
    a start defers opening the log until after its first paint (see mailapp.ui.app), and an
    error before that must still reach the file.
    """
    showing = False

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        nonlocal showing
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        target = log_file() if callable(log_file) else log_file
        log.error("Unexpected error", exc_info=(kind, error, tb))
        if showing:  # an error while the dialog is up must not stack dialogs
            return
        showing = True
        try:
            show_error(
                QCoreApplication.translate("crash", "Unexpected error"),
                QCoreApplication.translate(
                    "crash",
                    "Something went wrong: {error}\nDetails were written to {log}.",
                ).format(error=error, log=target),
            )
        finally:
            showing = False

    sys.excepthook = hook

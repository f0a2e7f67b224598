"""Unexpected errors end up in the log file with a traceback; the user sees one short line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mailapp.ui.common.crash_reporting import install_excepthook, log, setup_logging


def test_unexpected_exception_is_logged_and_reported_briefly(
    qtbot: QtBot, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "logs" / "mailapp.log"
    handler = setup_logging(log_file)
    previous = sys.excepthook
    try:
        install_excepthook(log_file)
        try:
            raise RuntimeError("the frobnicator jammed")
        except RuntimeError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    finally:
        sys.excepthook = previous
        log.removeHandler(handler)
        handler.close()

    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback" in logged and "the frobnicator jammed" in logged
    shown = capsys.readouterr().err
    assert "the frobnicator jammed" in shown
    assert str(log_file) in shown
    assert "Traceback" not in shown

"""The log file opens after the first paint, yet an error before that still reaches it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailapp.store import MailStore
from mailapp.ui.common.crash_reporting import install_excepthook, log, setup_logging

REPO = Path(__file__).resolve().parents[2]

_START_THEN_LOG = """
import logging, sys
from mailapp.cli import main
status = main(["--profile", sys.argv[1]])
logging.getLogger("mailapp").info("still logging after the start")
print("status", status)
"""


def test_a_start_from_the_first_screen_opens_the_log(store: MailStore, tmp_path: Path) -> None:
    state = tmp_path / "xdg-state"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MAILAPP_REPORT_FIRST_PAINT": "1",
        "MAILAPP_EXIT_AFTER_FIRST_PAINT": "1",
        "XDG_STATE_HOME": str(state),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _START_THEN_LOG, str(store.path.parent)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("first-paint ") and lines[-1] == "status 0"
    (log_file,) = state.rglob("mailapp.log")
    assert "still logging after the start" in log_file.read_text(encoding="utf-8")


def test_an_error_before_the_log_is_open_opens_it_and_is_written_there(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "logs" / "mailapp.log"
    handlers = []

    def open_log() -> Path:
        if not handlers:
            handlers.append(setup_logging(log_file))
        return log_file

    previous = sys.excepthook
    try:
        install_excepthook(open_log)
        assert not log_file.exists()  # installing the hook does not open the log
        try:
            raise RuntimeError("the window fell over before painting")
        except RuntimeError as error:
            sys.excepthook(type(error), error, error.__traceback__)
    finally:
        sys.excepthook = previous
        for handler in handlers:
            log.removeHandler(handler)
            handler.close()

    logged = log_file.read_text(encoding="utf-8")
    assert "Traceback" in logged and "the window fell over before painting" in logged
    shown = capsys.readouterr().err
    assert "the window fell over before painting" in shown and str(log_file) in shown

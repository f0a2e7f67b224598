"""`mailapp mailto:…`: a composer filled in from the link, in the app already running for the
profile (single-instance activation over a local socket), or in a new one when none runs.

The apps are real processes (tests.ui.app_driver runs `mailapp` and reports the composer it
sees); the second start is the plain `python -m mailapp`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mailapp.store import MailStore
from mailapp.ui.mailto_compose import serve_requests
from mailapp.ui.single_instance import instance_name, send_to_running
from mailapp.ui.window.main_window import MainWindow
from tests.ui.killed_app import REPO, START_TIMEOUT_S, AppProcess, make_profile

pytestmark = pytest.mark.slow
LINK = (
    "mailto:ada@example.net,charles@example.net?cc=mary@example.org"
    "&subject=Tea%20on%20Thursday%3F&body=Dear%20Ada%2C%0D%0A%0D%0ATea%20at%20four%3F%20%E2%98%95"
)
FIELDS = {
    "to": "ada@example.net, charles@example.net",
    "cc": "mary@example.org",
    "bcc": "",
    "subject": "Tea on Thursday?",
    "body": "Dear Ada,\n\nTea at four? ☕",
}


def _composer_line(app: AppProcess) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = app.read_line(deadline - time.monotonic())
        if line is None:
            break
        if line.startswith("composer "):
            return json.loads(line.removeprefix("composer "))
    app.close()
    raise AssertionError(f"no composer: {app.lines} {app.process.stderr.read()!r}")  # type: ignore[union-attr]


def test_with_no_app_running_it_starts_and_opens_the_composer(tmp_path: Path) -> None:
    profile = make_profile(tmp_path)
    app = AppProcess(tmp_path, "composer", str(profile), LINK)
    try:
        assert _composer_line(app) == FIELDS
        assert app.wait(30) == 0
    finally:
        app.close()


def test_a_second_start_hands_the_link_to_the_running_app(tmp_path: Path) -> None:
    profile = make_profile(tmp_path)
    running = AppProcess(tmp_path, "composer", str(profile))
    try:
        assert running.read_line(START_TIMEOUT_S) == "ready"
        socket = Path(instance_name(profile))
        deadline = time.monotonic() + START_TIMEOUT_S
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the running app listens right after its first paint
        second = subprocess.run(
            [sys.executable, "-m", "mailapp", "--profile", str(profile), LINK],
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert second.returncode == 0, second.stderr
        assert _composer_line(running) == FIELDS
        assert running.wait(30) == 0
    finally:
        running.close()


def test_a_plain_second_start_shows_the_running_window(
    qtbot: QtBot, store: MailStore, tmp_path: Path
) -> None:
    """The running app is this test's window; the second start is a real `mailapp`."""
    profile = tmp_path / "profile"
    window = MainWindow(store)
    qtbot.addWidget(window)
    window.show()
    server = serve_requests(window, instance_name(profile))
    requests: list[dict[str, object]] = []
    server.requested.connect(requests.append)
    window.showMinimized()
    try:
        second = subprocess.Popen(
            [sys.executable, "-m", "mailapp", "--profile", str(profile)],
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # This window must answer while the other process waits: the event loop runs here.
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
        assert second.returncode == 0
        assert requests == [{"activate": True}]
        assert not window.isMinimized()
    finally:
        server.close()


def test_no_app_running_means_no_answer(tmp_path: Path) -> None:
    assert not send_to_running(instance_name(tmp_path / "nobody"), {"activate": True})


def test_a_socket_left_by_a_killed_app_is_taken_over(
    qtbot: QtBot, store: MailStore, tmp_path: Path
) -> None:
    name = instance_name(tmp_path / "profile")
    Path(name).write_bytes(b"")  # what a killed app leaves behind, on Unix
    assert not send_to_running(name, {"activate": True})
    window = MainWindow(store)
    qtbot.addWidget(window)
    server = serve_requests(window, name)
    try:
        assert server._server is not None and server._server.isListening()
    finally:
        server.close()

"""Start the real app under tests.ui.app_driver in a child process, read what it prints, kill it."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from mailapp.store import open_store

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 90.0


def make_profile(tmp_path: Path) -> Path:
    profile = tmp_path / "profile"
    with open_store(profile / "mail.sqlite3") as store:
        store.create_account("me@example.org", display_name="Me")
    return profile


class AppProcess:
    """``python -m tests.ui.app_driver ARGS`` with its own XDG folders; lines read as they come."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
            "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
            "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
            "XDG_CACHE_HOME": str(tmp_path / "xdg-cache"),
        }
        env.pop("MAILAPP_EXIT_AFTER_FIRST_PAINT", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.app_driver", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=REPO,
        )
        self._buffer = b""
        self.lines: list[str] = []
        self.errors = ""  # its stderr, once it has ended

    def read_line(self, timeout: float) -> str | None:
        """The next line, or None when none came within ``timeout`` seconds or the app ended."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self.process.stdout], [], [], left)
            if not ready:
                return None
            chunk = os.read(self.process.stdout.fileno(), 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        text = line.decode()
        self.lines.append(text)
        return text

    def kill(self) -> float:
        """SIGKILL, as a crash or a power cut would; returns the monotonic time it was sent.
        What the app printed before it died is read into ``lines``."""
        killed_at = time.monotonic()
        os.kill(self.process.pid, signal.SIGKILL)
        rest, errors = self.process.communicate(timeout=30)
        self.errors = errors.decode(errors="replace")
        for line in (self._buffer + rest).decode().splitlines():
            self.lines.append(line)
        self._buffer = b""
        return killed_at

    def wait(self, timeout: float) -> int:
        """The exit status of an app that ends by itself (killed if it does not in time)."""
        try:
            rest, errors = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest, errors = self.process.communicate(timeout=30)
        self.errors = errors.decode(errors="replace")
        self.lines.extend((self._buffer + rest).decode().splitlines())
        self._buffer = b""
        return self.process.returncode

    def close(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            self.process.communicate(timeout=30)


def typed_keys(lines: list[str]) -> list[tuple[int, float]]:
    """(number of keys typed so far, when) for each key tests.ui.app_driver reported."""
    result = []
    for line in lines:
        if line.startswith("typed "):
            _word, count, when = line.split()
            result.append((int(count), float(when)))
    return result


def type_then_kill(
    tmp_path: Path, profile: Path, intervals_ms: list[int], type_for_s: float
) -> tuple[list[tuple[int, float]], float, AppProcess]:
    """Start the app typing at the given rhythm; once it has typed for ``type_for_s`` seconds
    (by its own clock, so a slow machine types no less), kill it with SIGKILL.
    Returns the keys it reported, when the kill was sent, and the ended process."""
    app = AppProcess(tmp_path, "type", str(profile), *map(str, intervals_ms))
    try:
        first = app.read_line(START_TIMEOUT_S)
        assert first is not None and first.startswith("typed "), (first, app.lines)
        began = typed_keys([first])[0][1]
        while True:
            line = app.read_line(10)
            assert line is not None and line.startswith("typed "), (line, app.lines)
            if typed_keys([line])[0][1] - began >= type_for_s:
                break
        killed_at = app.kill()
    finally:
        app.close()
    return typed_keys(app.lines), killed_at, app

"""The `mailapp` command as a user runs it: in a subprocess, with its own profile and log dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from mailapp import __version__
from mailapp.store import open_store
from mailapp.ui.demo_profile import fill_demo

REPO = Path(__file__).resolve().parents[2]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _run(
    tmp_path: Path, *args: str, timeout: float = 120, env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(env_extra or {})
    env = {k: v for k, v in env.items() if v}  # an empty value in env_extra removes the variable
    # Logs and default profiles land in the test's directory, never the developer's home.
    env.update(
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
        TMPDIR=str(tmp_path / "tmp"),
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    env.pop("MAILAPP_REPORT_FIRST_PAINT", None)
    return subprocess.run(
        [sys.executable, "-m", "mailapp", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _distinct_colours(image: QImage, step: int = 7) -> int:
    colours = {
        image.pixel(x, y)
        for y in range(0, image.height(), step)
        for x in range(0, image.width(), step)
    }
    return len(colours)


@pytest.mark.slow
def test_screenshot_of_a_profile_is_a_real_picture_of_the_window(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    store = open_store(profile / "mail.sqlite3")
    fill_demo(store, 120)
    store.close()
    shot = tmp_path / "out.png"

    result = _run(tmp_path, "--screenshot", str(shot), "--profile", str(profile))

    assert result.returncode == 0, result.stderr
    data = shot.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    image = QImage()
    assert image.loadFromData(data, "PNG")
    assert image.width() >= 800 and image.height() >= 500
    assert _distinct_colours(image) > 20  # text, icons and stripes, not a blank frame
    assert "Traceback" not in result.stderr


def test_a_corrupt_database_gives_a_clear_message_and_a_failing_exit(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    database = profile / "mail.sqlite3"
    garbage = b"this is not a database, just some bytes " * 200
    database.write_bytes(garbage)
    shot = tmp_path / "never.png"

    result = _run(tmp_path, "--screenshot", str(shot), "--profile", str(profile))

    assert result.returncode != 0
    assert str(database) in result.stderr
    assert "Traceback" not in result.stderr
    assert not shot.exists()
    assert database.read_bytes() == garbage  # never reset or "repaired" behind the user's back


def test_without_a_display_it_says_so_instead_of_crashing(tmp_path: Path) -> None:
    no_display = {"QT_QPA_PLATFORM": "", "DISPLAY": "", "WAYLAND_DISPLAY": ""}
    result = _run(tmp_path, "--profile", str(tmp_path / "p"), env_extra=no_display)
    assert result.returncode == 2
    assert "no display found" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_is_printed_without_starting_qt(tmp_path: Path) -> None:
    result = _run(tmp_path, "--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mailapp {__version__}"


def test_the_command_line_module_does_not_load_qt() -> None:
    code = (
        "import sys, mailapp.cli\n"
        "mailapp.cli.build_parser().parse_args(['--profile', 'x'])\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_demo_without_the_server_extras_offers_the_offline_demo_at_once(tmp_path: Path) -> None:
    # The frozen bundle leaves uvicorn out: simulate that, then run the real command line.
    code = (
        "import atexit, sys\n"
        "sys.modules['uvicorn'] = None  # 'import uvicorn' now fails as in the bundle\n"
        "atexit.register(lambda: print('qt loaded:', any(m.startswith('PySide6') "
        "for m in sys.modules)))\n"
        "from mailapp.cli import main\n"
        "sys.argv = ['mailapp', '--demo']\n"
        "raise SystemExit(main())\n"
    )
    env = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg-config"),
        "QT_QPA_PLATFORM": "offscreen",
    }
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "mailapp --demo --offline" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == "qt loaded: False"  # said before any window is made

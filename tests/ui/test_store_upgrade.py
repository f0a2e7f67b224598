"""Start-up with a store from an older version: the upgrade runs off the UI thread while a
window says what it is doing and how far it is, and the app then opens the upgraded mail."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest
from alembic import command
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from mailapp import paths
from mailapp.core.demo import generate_demo
from mailapp.gui_options import GuiOptions
from mailapp.store import open_store
from mailapp.store.engine import make_engine, transaction
from mailapp.store.migrate import HEAD_REVISION, alembic_config, upgrade_pending
from mailapp.ui import app as app_module
from mailapp.ui.window.store_upgrade import StoreUpgradeWindow

REPO = Path(__file__).resolve().parents[2]
MESSAGES = 250


def _store_at_0009(path: Path) -> None:
    """Imported mail (raw kept, HTML and attachments) as revision 0009 stored it."""
    items = list(generate_demo(MESSAGES, seed=9, with_raw=True, realistic=True))
    with open_store(path) as store:
        store.import_messages(store.create_account("me@example.org"), items)
    engine = make_engine(path)
    with transaction(engine, path, write=True, at_start=True) as conn:
        command.downgrade(alembic_config(conn), "0009")
    engine.dispose()


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


@pytest.fixture
def old_profile(tmp_path: Path) -> Path:
    profile = tmp_path / "profile"
    profile.mkdir()
    _store_at_0009(paths.store_path(profile))
    return profile


def test_upgrade_at_start_shows_its_progress_and_keeps_the_ui_responsive(
    qtbot: QtBot, old_profile: Path
) -> None:
    path = paths.store_path(old_profile)
    assert upgrade_pending(path)
    seen: list[str] = []
    ticks = 0

    def tick() -> None:
        # Runs only when the UI thread handles events: during the upgrade, if it is off it.
        nonlocal ticks
        ticks += 1
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, StoreUpgradeWindow) and widget.isVisible():
                seen.append(widget.step.text())

    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(5)
    options = GuiOptions(
        profile=old_profile,
        demo=False,
        screenshot=None,
        report_first_paint=False,
        exit_after_first_paint=False,
    )
    with ExitStack() as cleanup:
        store = app_module._open_profile(options, cleanup)
        timer.stop()
        assert [email for _id, email in store.accounts()] == ["me@example.org"]
    assert _revision(path) == HEAD_REVISION
    assert not upgrade_pending(path)
    assert ticks > 0, "the UI thread handled no events while the store was upgraded"
    assert seen, "no upgrade window was shown"
    counted = [re.fullmatch(r"Updating your mail: ([\d,]+) of ([\d,]+) messages…", t) for t in seen]
    finished = [m for m in counted if m and m[1] == m[2] and m[2] != "0"]
    assert finished, sorted(set(seen))  # it counted the messages it upgraded, to the last
    assert not any(
        isinstance(w, StoreUpgradeWindow) and w.isVisible() for w in QApplication.topLevelWidgets()
    )


def test_current_store_opens_without_an_upgrade_window(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "mail.sqlite3"
    open_store(path).close()
    assert not upgrade_pending(path)
    assert not upgrade_pending(tmp_path / "missing.sqlite3")
    (tmp_path / "garbage.sqlite3").write_bytes(b"not a database at all" * 100)
    assert not upgrade_pending(tmp_path / "garbage.sqlite3")


def test_headless_sync_says_it_is_upgrading(old_profile: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mailapp", "sync", "--profile", str(old_profile), "--once"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "updating the mail store for this version" in result.stderr
    assert "Traceback" not in result.stderr
    assert _revision(paths.store_path(old_profile)) == HEAD_REVISION

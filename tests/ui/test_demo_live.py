"""`mailapp --demo`: the real server in-process, alice signed in on two devices, sync running."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mailapp.cli import GuiOptions, build_parser
from mailapp.store import MailStore, open_store
from mailapp.store.replica import synced_accounts
from mailapp.ui.demo_live import open_live_demo
from mailapp.ui.syncing.sync_worker import SyncController
from mailapp.ui.window.main_window import MainWindow

SYNC_TIMEOUT_MS = 20_000


@pytest.fixture
def demo_windows(qtbot: QtBot, tmp_path: Path) -> Iterator[list[MainWindow]]:
    with ExitStack() as cleanup:
        store = open_store(tmp_path / "profile" / "mail.sqlite3")
        cleanup.callback(store.close)
        windows = open_live_demo(store, cleanup, second_device=True)
        for window in windows:
            qtbot.addWidget(window)
            window.show()
        yield windows
        for window in windows:
            window.close()


def _store(window: MainWindow) -> MailStore:
    return window._store


def _wait_for_mail(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.message_model.rowCount() > 0, timeout=SYNC_TIMEOUT_MS)


def _is_online(controller: SyncController) -> Callable[[], bool]:
    return lambda: controller.state == "online"


def _inbox_subjects(window: MainWindow) -> list[str]:
    store = _store(window)
    ((account_id, _email),) = store.accounts()
    inbox = store.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    return sorted(m.subject for m in store.page(inbox.id, limit=1000))


def test_demo_opens_two_devices_of_alice_that_sync_from_the_live_server(
    qtbot: QtBot, demo_windows: list[MainWindow]
) -> None:
    first, second = demo_windows
    for window in demo_windows:
        controller = window.findChild(SyncController)
        assert controller is not None
        _wait_for_mail(qtbot, window)
        qtbot.waitUntil(_is_online(controller), timeout=SYNC_TIMEOUT_MS)
        (account,) = synced_accounts(_store(window))
        assert account.username == "alice"
        assert account.server_url.startswith("http://127.0.0.1:")
        assert window.sync_now_action.isEnabled()
    assert "alice@" in first.windowTitle() and "device 1" in first.windowTitle()
    assert "device 2" in second.windowTitle()
    assert _store(first).path != _store(second).path
    assert _inbox_subjects(first) == _inbox_subjects(second)
    assert second.x() > first.x()  # side by side


def test_marking_read_on_one_device_shows_on_the_other(
    qtbot: QtBot, demo_windows: list[MainWindow]
) -> None:
    first, second = demo_windows
    for window in demo_windows:
        _wait_for_mail(qtbot, window)
    store_one, store_two = _store(first), _store(second)
    ((account_id, _),) = store_one.accounts()
    inbox = store_one.mailbox_by_role(account_id, "inbox")
    assert inbox is not None
    unread = next(m for m in store_one.page(inbox.id, limit=1000) if not m.is_read)

    store_one.mark_read([unread.id])  # what the window's Mark Read does

    def read_on_second() -> bool:
        ((other_account, _),) = store_two.accounts()
        other_inbox = store_two.mailbox_by_role(other_account, "inbox")
        assert other_inbox is not None
        rows = store_two.page(other_inbox.id, limit=1000)
        return any(m.subject == unread.subject and m.is_read for m in rows)

    qtbot.waitUntil(read_on_second, timeout=SYNC_TIMEOUT_MS)


def test_the_demo_flags_choose_between_live_and_offline() -> None:
    def options(*argv: str) -> GuiOptions:
        args = build_parser().parse_args(list(argv))
        return GuiOptions(
            profile=args.profile,
            demo=args.demo,
            screenshot=args.screenshot,
            report_first_paint=False,
            exit_after_first_paint=False,
            demo_offline=args.offline,
            second_device=args.second_device,
        )

    assert options("--demo").live_demo
    assert options("--demo", "--second-device").second_device
    assert not options("--demo", "--offline").live_demo
    # A screenshot shows what the user sees: the live demo, synced.
    assert options("--demo", "--screenshot", "x.png").live_demo
    assert not options("--demo", "--offline", "--screenshot", "x.png").live_demo
    with tempfile.TemporaryDirectory() as folder:
        assert not options("--demo", "--profile", folder).live_demo
    assert not options().live_demo


def test_the_demo_command_starts_syncs_and_cleans_up_after_itself(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "MAILAPP_REPORT_FIRST_PAINT": "1",
        "MAILAPP_EXIT_AFTER_FIRST_PAINT": "1",
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
        "XDG_STATE_HOME": str(tmp_path / "xdg-state"),
        "TMPDIR": str(temp),
    }
    result = subprocess.run(
        [sys.executable, "-m", "mailapp", "--demo", "--second-device"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "first-paint" in result.stdout
    assert "Traceback" not in result.stderr
    (log_file,) = (tmp_path / "xdg-state").rglob("*.log")
    assert "demo server on http://127.0.0.1:" in log_file.read_text(encoding="utf-8")
    # The server's data and both demo profiles were temporary and are gone.
    assert list(temp.iterdir()) == []
    assert not (tmp_path / "xdg-data" / "mailapp" / "profiles").exists()

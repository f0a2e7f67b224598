"""`mailapp --screenshot` shows what the user would see: the live demo synced, both demo devices,
a signed-in profile synced (issue 12: all three gave the same picture, "Local only")."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from PySide6.QtGui import QImage

from mailapp.server.config import Settings
from mailapp.store import open_store
from mailapp.sync.account import add_account
from tests.server.conftest import RunningServer, run_server
from tests.sync.keyring_backend import ENV as KEYRING_FILE_ENV
from tests.sync.keyring_backend import FileKeyring
from tests.ui.test_cli import _distinct_colours, _run

pytestmark = pytest.mark.slow


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _width(path: Path) -> int:
    image = QImage(str(path))
    assert not image.isNull()
    return image.width()


def test_demo_screenshots_show_the_synced_demo_and_both_devices(tmp_path: Path) -> None:
    shots = {name: tmp_path / f"{name}.png" for name in ("live", "devices", "offline")}
    live = _run(tmp_path, "--demo", "--screenshot", str(shots["live"]))
    devices = _run(tmp_path, "--demo", "--second-device", "--screenshot", str(shots["devices"]))
    offline = _run(tmp_path, "--demo", "--offline", "--screenshot", str(shots["offline"]))
    for result in (live, devices, offline):
        assert result.returncode == 0, result.stderr
        assert "Traceback" not in result.stderr

    # The live demo is shown after its first sync, as the user sees it.
    assert "Online" in live.stdout and "Last synced" in live.stdout
    assert "Local only" not in live.stdout
    # Both devices: two synced windows, side by side in one picture.
    assert devices.stdout.count("Last synced") == 2
    assert _width(shots["devices"]) > 1.5 * _width(shots["live"])  # two 900 px windows
    assert "Local only" in offline.stdout  # --offline is what says local only
    assert len({_digest(path) for path in shots.values()}) == 3
    for path in shots.values():
        image = QImage(str(path))
        assert image.height() >= 500 and _distinct_colours(image) > 20  # not a blank frame
    # Nothing was written into the user's real profile directory, and the demos' throwaway
    # profiles (and the live demo's server data) are gone again.
    assert not (tmp_path / "xdg-data" / "mailapp" / "profiles").exists()
    assert list((tmp_path / "tmp").iterdir()) == []


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    data = tmp_path / "server"
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as running:
        yield running


def test_a_signed_in_profile_is_shown_synced(tmp_path: Path, server: RunningServer) -> None:
    # The token goes where the subprocess's keyring (the same file) finds it.
    keyring_file = tmp_path / "keyring.json"
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring(keyring_file))
    try:
        user = server.new_user("shown")
        server.deliver(user.account_id, subject="Shown after the first sync")
        profile = tmp_path / "profile"
        store = open_store(profile / "mail.sqlite3")
        add_account(store, server.url, user.name, user.password)
        store.close()
    finally:
        keyring.set_keyring(previous)
    shot = tmp_path / "profile.png"

    result = _run(
        tmp_path,
        "--screenshot",
        str(shot),
        "--profile",
        str(profile),
        env_extra={
            "PYTHON_KEYRING_BACKEND": "tests.sync.keyring_backend.FileKeyring",
            KEYRING_FILE_ENV: str(keyring_file),
        },
    )

    assert result.returncode == 0, result.stderr
    assert "Online" in result.stdout and "Last synced" in result.stdout
    assert "Local only" not in result.stdout
    # The first sync really happened before the picture: the message is in the profile.
    store = open_store(profile / "mail.sqlite3")
    try:
        ((account_id, _),) = store.accounts()
        inbox = store.mailbox_by_role(account_id, "inbox")
        assert inbox is not None
        assert [m.subject for m in store.page(inbox.id, limit=10)] == ["Shown after the first sync"]
    finally:
        store.close()

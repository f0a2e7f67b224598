"""The keyring backend that worked is remembered, so later starts skip keyring's detection.

Each case runs in a fresh interpreter, as the app and `mailapp sync --once` do, with keyring
left to choose by itself: the test's file-backed keyring is installed as a keyring plug-in
(an entry point in a throwaway dist-info), the only usable backend on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILE_KEYRING = "tests.sync.keyring_backend.FileKeyring"

SCRIPT = """
import json, sys
from mailapp.sync import credentials
key = credentials.account_key("https://mail.example.org", "alice")
if sys.argv[1] == "store":
    ok = credentials.store_token(key, "secret-token")
    token = None
else:
    ok = None
    token = credentials.load_token(key)
detected = "keyring.backends.SecretService" in sys.modules  # detection imports every plug-in
print(json.dumps({"ok": ok, "token": token, "detected": detected}))
"""


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    plugins = tmp_path / "plugins" / "mailapp_test_keyring-1.0.dist-info"
    plugins.mkdir(parents=True)
    (plugins / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: mailapp-test-keyring\nVersion: 1.0\n"
    )
    (plugins / "entry_points.txt").write_text(
        "[keyring.backends]\nmailapp-test = tests.sync.keyring_backend\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    env.update(
        PYTHONPATH=os.pathsep.join([str(tmp_path / "plugins"), str(ROOT)]),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),  # no keyringrc.cfg of the developer's
        MAILAPP_TEST_KEYRING=str(tmp_path / "keyring.json"),
    )
    return env


def run(env: dict[str, str], action: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, action],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def remembered(env: dict[str, str]) -> Path:
    return Path(env["XDG_DATA_HOME"]) / "mailapp" / "keyring-backend"


def test_the_detected_backend_is_remembered_and_used_without_detection(
    home: dict[str, str],
) -> None:
    first = run(home, "store")
    assert first == {"ok": True, "token": None, "detected": True}
    assert remembered(home).read_text().strip() == FILE_KEYRING

    again = run(home, "load")
    assert again == {"ok": None, "token": "secret-token", "detected": False}


def test_a_remembered_backend_that_cannot_load_is_forgotten(home: dict[str, str]) -> None:
    run(home, "store")
    remembered(home).write_text("gone.package.Keyring\n")

    after = run(home, "load")
    assert after == {"ok": None, "token": "secret-token", "detected": True}
    assert remembered(home).read_text().strip() == FILE_KEYRING


def test_a_configured_backend_decides_and_nothing_is_remembered(home: dict[str, str]) -> None:
    configured = dict(home, PYTHON_KEYRING_BACKEND=FILE_KEYRING)
    assert run(configured, "store")["ok"] is True
    assert not remembered(home).exists()
    assert json.loads(Path(home["MAILAPP_TEST_KEYRING"]).read_text())


def test_no_usable_keyring_is_not_remembered(home: dict[str, str]) -> None:
    (
        Path(home["PYTHONPATH"].split(os.pathsep)[0])
        / "mailapp_test_keyring-1.0.dist-info"
        / "entry_points.txt"
    ).write_text("")
    assert run(home, "store")["ok"] is False
    assert not remembered(home).exists()

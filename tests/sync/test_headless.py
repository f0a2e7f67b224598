"""`mailapp account add` and `mailapp sync` as a user runs them: one line, a clear exit code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mailapp.store import open_store
from mailapp.sync import headless
from tests.server.conftest import RunningServer, User
from tests.support.faultproxy import Fault, FaultProxy
from tests.sync.keyring_backend import ENV as KEYRING_ENV

ROOT = Path(__file__).resolve().parents[2]


def mailapp(
    *args: str, keyring_file: Path, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "tests.sync.keyring_backend.FileKeyring",
        KEYRING_ENV: str(keyring_file),
    }
    return subprocess.run(
        [sys.executable, "-m", "mailapp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )


def sign_in(profile: Path, url: str, user: User, keyring_file: Path) -> None:
    done = mailapp(
        "account", "add", "--profile", str(profile), "--server", url,
        "--username", user.name, "--password-stdin",
        stdin=user.password + "\n", keyring_file=keyring_file,
    )  # fmt: skip
    assert done.returncode == headless.EXIT_OK, done.stdout + done.stderr
    assert done.stdout.strip() == f"signed in {user.name}@example.org"


def test_account_add_then_sync_once(
    sync_server: RunningServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    alice = sync_server.new_user("alice")
    sync_server.deliver(alice.account_id, subject="Hello headless")
    profile, keys = tmp_path / "profile", tmp_path / "keys.json"
    sign_in(profile, proxy.url, alice, keys)
    assert alice.password not in keys.read_text()  # the token is kept, never the password
    assert alice.password.encode() not in (profile / "mail.sqlite3").read_bytes()

    done = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)

    assert done.returncode == headless.EXIT_OK, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("synced: pushed 0, pulled ")
    assert "conflicts 0, failed 0" in lines[0]
    with open_store(profile / "mail.sqlite3") as store:
        ((account_id, email),) = store.accounts()
        assert email == f"{alice.name}@example.org"
        inbox = store.mailbox_by_role(account_id, "inbox")
        assert inbox is not None
        assert [m.subject for m in store.page(inbox.id)] == ["Hello headless"]
    (token,) = json.loads(keys.read_text()).values()
    assert token and token.encode() not in (profile / "mail.sqlite3").read_bytes()


def test_clear_messages_for_offline_wrong_password_and_lost_sign_in(
    sync_server: RunningServer, proxy: FaultProxy, tmp_path: Path
) -> None:
    alice = sync_server.new_user("alice")
    profile, keys = tmp_path / "profile", tmp_path / "keys.json"

    wrong = mailapp(
        "account", "add", "--profile", str(profile), "--server", proxy.url,
        "--username", alice.name, "--password-stdin", stdin="nope\n", keyring_file=keys,
    )  # fmt: skip
    assert wrong.returncode == headless.EXIT_AUTH
    assert wrong.stdout.strip() == "mailapp account add: The user name or password is wrong."

    sign_in(profile, proxy.url, alice, keys)
    proxy.set_fault(Fault.REFUSE)
    offline = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
    assert offline.returncode == headless.EXIT_OFFLINE
    assert "offline" in offline.stdout and len(offline.stdout.strip().splitlines()) == 1
    proxy.clear()

    keys.write_text("{}")  # the keyring lost the token
    lost = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
    assert lost.returncode == headless.EXIT_AUTH
    assert "sign in again" in lost.stdout
    for run in (wrong, offline, lost):
        assert "Traceback" not in run.stdout + run.stderr


def test_plain_http_to_a_remote_server_is_refused(tmp_path: Path) -> None:
    done = mailapp(
        "account", "add", "--profile", str(tmp_path / "p"), "--server", "http://mail.example.com",
        "--username", "alice", "--password-stdin", stdin="pw\n",
        keyring_file=tmp_path / "keys.json",
    )  # fmt: skip
    assert done.returncode == headless.EXIT_SERVER
    assert "https" in done.stdout and "Traceback" not in done.stderr


@pytest.mark.parametrize("args", [["sync", "--profile"], ["account", "remove"]])
def test_bad_usage_is_an_argparse_message(args: list[str], tmp_path: Path) -> None:
    done = mailapp(*args, keyring_file=tmp_path / "keys.json")
    assert done.returncode == 2 and "usage:" in done.stderr


def test_headless_commands_never_load_qt(tmp_path: Path) -> None:
    code = (
        "import sys; from mailapp.cli import main; "
        f"code = main(['sync', '--profile', {str(tmp_path / 'p')!r}, '--once']); "
        "print('qt' if any(m.startswith('PySide6') for m in sys.modules) else 'no-qt', code)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.stdout.splitlines()[-1] == f"no-qt {headless.EXIT_USAGE}", done.stderr
    assert "no account in this profile" in done.stdout

"""`mailapp` started on a profile whose database cannot be used: each cause its own message, way
forward and exit code (README.md), on real files and real mechanisms: a small file system that
is really full, permissions the process really lacks, a lock another connection really holds."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mailapp.store import open_store
from mailapp.store.errors import (
    StoreCorruptError,
    StoreDiskFullError,
    StoreLockedError,
    StoreNotADatabaseError,
    StoreReadOnlyError,
)
from mailapp.ui.demo_profile import fill_demo

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MAILAPP_REPORT_FIRST_PAINT"}
    env.update(
        XDG_DATA_HOME=str(tmp_path / "xdg-data"),
        XDG_STATE_HOME=str(tmp_path / "xdg-state"),
        XDG_CONFIG_HOME=str(tmp_path / "xdg-config"),
        XDG_CACHE_HOME=str(tmp_path / "xdg-cache"),
        TMPDIR=str(tmp_path / "tmp"),
        PYTHONPATH=str(REPO),
        QT_QPA_PLATFORM="offscreen",
    )
    (tmp_path / "tmp").mkdir(exist_ok=True)
    return env


def _mailapp(
    tmp_path: Path, profile: Path, *, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    shot = tmp_path / "never.png"
    return subprocess.run(
        [
            *prefix,
            sys.executable,
            "-m",
            "mailapp",
            "--screenshot",
            str(shot),
            "--profile",
            str(profile),
        ],
        cwd=REPO,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _profile(tmp_path: Path, messages: int = 0) -> Path:
    profile = tmp_path / "profile"
    profile.mkdir()
    with open_store(profile / "mail.sqlite3") as store:
        if messages:
            fill_demo(store, messages)
        else:
            store.create_account("me@example.org")
    return profile


def _failed_with(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


def test_not_a_database(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    garbage = os.urandom(4096)
    (profile / "mail.sqlite3").write_bytes(garbage)
    result = _mailapp(tmp_path, profile)
    _failed_with(result, StoreNotADatabaseError.exit_code, "is not a database", "made a copy")
    assert (profile / "mail.sqlite3").read_bytes() == garbage
    headless = subprocess.run(
        [sys.executable, "-m", "mailapp", "sync", "--once", "--profile", str(profile)],
        cwd=REPO,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert headless.returncode == StoreNotADatabaseError.exit_code, headless.stdout


def test_a_damaged_page(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    database = profile / "mail.sqlite3"
    with sqlite3.connect(database) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        [root] = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'meta'").fetchone()
    conn.close()
    data = bytearray(database.read_bytes())
    data[(root - 1) * page_size : root * page_size] = b"\xa5" * page_size
    database.write_bytes(bytes(data))

    result = _mailapp(tmp_path, profile)

    _failed_with(result, StoreCorruptError.exit_code, "integrity check failed", "made a copy")
    assert database.read_bytes() == bytes(data)
    # The copy (and of the WAL beside it, if SQLite left one) is made before any advice to move.
    [copy] = [p for p in profile.iterdir() if ".damaged-" in p.name and not p.name.endswith("-wal")]
    assert copy.read_bytes() == bytes(data)


def test_locked_by_another_connection(tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    other = sqlite3.connect(profile / "mail.sqlite3", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        result = _mailapp(tmp_path, profile)
    finally:
        other.execute("ROLLBACK")
        other.close()
    _failed_with(result, StoreLockedError.exit_code, "in use by another program")


def _without_file_permission_override() -> tuple[str, ...]:
    """Root ignores file modes; drop the capabilities that let it (CAP_DAC_*) for the child."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv (util-linux) is missing")
    return ("setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all")


@pytest.mark.parametrize("what", ["file", "folder"])
def test_read_only(tmp_path: Path, what: str) -> None:
    profile = _profile(tmp_path)
    database = profile / "mail.sqlite3"
    target = database if what == "file" else profile
    target.chmod(0o444 if what == "file" else 0o555)
    try:
        result = _mailapp(tmp_path, profile, prefix=_without_file_permission_override())
    finally:
        target.chmod(0o600 if what == "file" else 0o700)
    _failed_with(result, StoreReadOnlyError.exit_code, "cannot be written", "read-only")
    assert "damaged" not in result.stderr and "rename" not in result.stderr


def test_a_full_disk_at_start_up(tmp_path: Path) -> None:
    """A real, really full file system: a 2 MiB tmpfs in a private mount namespace."""
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is missing")
    mount = tmp_path / "small-disk"
    mount.mkdir()
    script = textwrap.dedent(
        f"""
        set -e
        mount -t tmpfs -o size=2m tmpfs {mount}
        {sys.executable} - <<'EOF'
        from pathlib import Path
        from mailapp.store import open_store
        with open_store(Path("{mount}/profile/mail.sqlite3")) as store:
            store.create_account("me@example.org")
        try:
            with open("{mount}/filler", "wb") as filler:
                while True:
                    filler.write(b"x" * 4096)
                    filler.flush()
        except OSError:
            pass
        EOF
        set +e
        {sys.executable} -m mailapp --screenshot {tmp_path}/never.png --profile {mount}/profile
        echo "exit=$?"
        """
    )
    result = subprocess.run(
        ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
        cwd=REPO,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    if "exit=" not in result.stdout:
        pytest.skip(f"no private tmpfs here: {result.stderr.strip()[:200]}")
    assert f"exit={StoreDiskFullError.exit_code}" in result.stdout, result.stderr
    assert "is full" in result.stderr and "Free some space" in result.stderr
    assert "damaged" not in result.stderr and "Traceback" not in result.stderr


def test_an_empty_database_is_kept_aside_and_a_new_profile_starts(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "mail.sqlite3").write_bytes(b"")
    shot = tmp_path / "window.png"
    result = subprocess.run(
        [sys.executable, "-m", "mailapp", "--screenshot", str(shot), "--profile", str(profile)],
        cwd=REPO,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert shot.exists()
    [kept] = [p for p in profile.iterdir() if ".empty-" in p.name]
    assert kept.stat().st_size == 0
    assert "was empty (0 bytes)" in result.stderr and str(kept) in result.stderr
    assert (profile / "mail.sqlite3").stat().st_size > 0

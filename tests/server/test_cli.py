"""`mailapp-server` run as a subprocess, as an administrator would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mailapp.server.auth import authenticate
from mailapp.server.db import make_engine, session_scope
from tests.server.conftest import postgres_database


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_cli(
    *args: str,
    data: Path | None = None,
    stdin: str = "",
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("MAILAPP_")}
    cmd = [sys.executable, "-m", "mailapp.server.cli"]
    if data is not None:
        cmd += ["--data", str(data)]
    return subprocess.run(
        [*cmd, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        cwd=cwd,
        timeout=120,
    )


def can_log_in(database_url: str, name: str, password: str) -> bool:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return authenticate(session, name, password) is not None
    finally:
        engine.dispose()


def test_init_then_add_user_who_can_log_in(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    init = run_cli("init", data=data)
    assert init.returncode == 0, init.stderr
    assert (data / "server.sqlite3").is_file()
    added = run_cli("add-user", "alice", "--password-stdin", data=data, stdin="correct horse\n")
    assert added.returncode == 0, added.stderr
    assert "alice@example.org" in added.stdout
    url = f"sqlite:///{data / 'server.sqlite3'}"
    assert can_log_in(url, "alice", "correct horse")
    assert not can_log_in(url, "alice", "wrong horse")


def test_add_user_refuses_bad_input_with_a_message(tmp_path: Path) -> None:
    data = tmp_path / "srv"
    assert (
        run_cli("add-user", "bob", "--password-stdin", data=data, stdin="s3cret-pw\n").returncode
        == 0
    )
    cases = [
        (("add-user", "bob", "--password-stdin"), "another-pw\n", 3, "already exists"),
        (("add-user", "carol", "--password-stdin"), "short\n", 2, "at least 8"),
        (("add-user", "carol"), "", 2, "--password-stdin"),  # no terminal to prompt on
        (("add-user", "bad name", "--password-stdin"), "long-enough\n", 2, "bad user name"),
        (("import", "bob", str(tmp_path / "missing.mbox")), "", 2, "does not exist"),
        (("serve", "--port", "70000"), "", 2, "--port"),
        (("frobnicate",), "", 2, "invalid choice"),
    ]
    for args, stdin, code, message in cases:
        result = run_cli(*args, data=data, stdin=stdin)
        assert (result.returncode, message in result.stderr) == (code, True), (args, result)
        assert "Traceback" not in result.stderr


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    result = run_cli(
        "--database-url", "postgresql://admin:topsecret@127.0.0.1:1/nowhere", "init", data=tmp_path
    )
    assert result.returncode == 1
    assert "cannot open the database postgresql://admin:***@127.0.0.1:1/nowhere" in result.stderr
    assert "topsecret" not in result.stderr + result.stdout
    assert "Traceback" not in result.stderr


def test_config_prints_effective_settings_with_secrets_redacted(tmp_path: Path) -> None:
    result = run_cli(
        "config",
        data=tmp_path,
        env={
            "MAILAPP_DATABASE_URL": "postgresql://mail:db-pass-123@db.internal:5432/mail",
            "MAILAPP_SMTP_RELAY": "smtp+starttls://relayuser:relay-pass-456@smtp.example:587",
            "MAILAPP_LOCAL_DOMAIN": "mail.example",
        },
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(" = ", 1) for line in result.stdout.splitlines())
    assert lines["database_url"] == "postgresql://mail:***@db.internal:5432/mail"
    assert lines["smtp_relay_url"] == "smtp+starttls://relayuser:***@smtp.example:587"
    assert lines["local_domain"] == "mail.example"
    assert lines["data_dir"] == str(tmp_path.resolve())
    assert "db-pass-123" not in result.stdout and "relay-pass-456" not in result.stdout


def test_quick_start_prints_the_real_sqlite_url_and_how_to_connect(tmp_path: Path) -> None:
    # A data folder given relative to the working directory, as in a quick try-out.
    env = {"MAILAPP_SERVER_DATA": "srv"}
    real_url = f"sqlite:///{tmp_path.resolve() / 'srv' / 'server.sqlite3'}"
    assert real_url.startswith("sqlite:////")

    init = run_cli("init", env=env, cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    assert f"database ready: {real_url}\n" in init.stdout
    assert "mailapp account add --profile DIR --server http://127.0.0.1:8025" in init.stdout
    assert "--password-stdin" in init.stdout and "File → Add Account…" in init.stdout

    config = run_cli("config", env=env, cwd=tmp_path)
    lines = dict(line.split(" = ", 1) for line in config.stdout.splitlines())
    assert lines["database_url"] == real_url

    seeded = run_cli("seed-demo", env=env, cwd=tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    assert "--username alice --password-stdin" in seeded.stdout
    assert "File → Add Account…" in seeded.stdout

    # The serve banner names the same URL.
    base = {k: v for k, v in os.environ.items() if not k.startswith("MAILAPP_")}
    server = subprocess.Popen(
        [sys.executable, "-m", "mailapp.server.cli", "serve", "--port", str(free_port())],
        env={**base, **env},
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        banner = server.stderr.readline()  # the first line; "" if it died
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert banner.startswith("serving on http://127.0.0.1:")
    assert banner.rstrip().endswith(f"database {real_url}")


def test_help_documents_exit_codes() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for line in ("0  success", "2  bad arguments", "3  the user already exists"):
        assert line in result.stdout


@pytest.mark.postgres
def test_init_and_add_user_on_postgresql(tmp_path: Path) -> None:
    with postgres_database() as url:
        env = {"MAILAPP_DATABASE_URL": url}
        assert run_cli("init", data=tmp_path, env=env).returncode == 0
        added = run_cli(
            "add-user", "dana", "--password-stdin", data=tmp_path, env=env, stdin="pg-password\n"
        )
        assert added.returncode == 0, added.stderr
        assert can_log_in(url, "dana", "pg-password")

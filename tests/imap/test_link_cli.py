"""`mailapp-server init | link-imap | unlink | status` against the real test Dovecot."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from mailapp.server.cli import main
from mailapp.server.db import make_engine, session_scope
from mailapp.server.upstream.models import UpstreamAccount
from tests.imap.conftest import MailUser


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "srv"
    # The CLI exports its settings to the environment for `serve`'s workers; undo that.
    for name in [k for k in os.environ if k.startswith("MAILAPP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MAILAPP_SERVER_DATA", str(folder))
    return folder


def cli(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str, stdin: str = ""
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: Path):  # type: ignore[no-untyped-def]
    def invoke(*args: str, stdin: str = "") -> tuple[int, str, str]:
        return cli(monkeypatch, capsys, *args, stdin=stdin)

    assert invoke("init")[0] == 0
    assert invoke("add-user", "alice", "--password-stdin", stdin="alice-password\n")[0] == 0
    return invoke


def link_args(mail_user: MailUser, *extra: str) -> list[str]:
    return [
        "link-imap",
        "alice",
        "--host",
        mail_user.host,
        "--port",
        str(mail_user.port),
        "--tls",
        "none",
        "--username",
        mail_user.name,
        "--password-stdin",
        *extra,
    ]


def test_init_creates_a_private_server_key_once(data: Path, run) -> None:  # type: ignore[no-untyped-def]
    key = data / "upstream.key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = key.read_bytes()
    code, out, _ = run("init")
    assert code == 0 and "server key kept" in out
    assert key.read_bytes() == before


def test_link_status_unlink(data: Path, run, mail_user: MailUser) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*link_args(mail_user), stdin=mail_user.password + "\n")
    assert code == 0, err
    assert f"linked alice to {mail_user.name} at 127.0.0.1:{mail_user.port}" in out

    code, out, _ = run("status")
    assert code == 0
    assert "alice:" in out and "state pending" in out and "last sync never" in out

    # The password is nowhere in clear: not in the database file, not in `config`.
    db_bytes = (data / "server.sqlite3").read_bytes()
    for suffix in ("-wal", ""):
        path = data / f"server.sqlite3{suffix}"
        if path.exists():
            db_bytes += path.read_bytes()
    assert mail_user.password.encode() not in db_bytes
    code, out, _ = run("config")
    assert mail_user.password not in out
    engine = make_engine(f"sqlite:///{data / 'server.sqlite3'}")
    try:
        with session_scope(engine) as session:
            row = session.execute(select(UpstreamAccount)).scalar_one()
            assert mail_user.password.encode() not in row.password_enc
    finally:
        engine.dispose()

    code, out, _ = run("unlink", "alice")
    assert code == 0 and "unlinked alice" in out
    code, out, _ = run("status")
    assert "no linked upstream accounts" in out
    code, _, err = run("unlink", "alice")
    assert code == 2 and "has no linked upstream account" in err


def test_a_wrong_password_is_refused_with_its_own_message(run, mail_user: MailUser) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run(*link_args(mail_user), stdin="not-the-password\n")
    assert code == 1
    assert "not linked" in err and "refused the username or password" in err
    assert "not-the-password" not in out + err
    assert "Traceback" not in err
    assert "no linked upstream accounts" in run("status")[1]


def test_plain_imap_is_refused_off_loopback(run) -> None:  # type: ignore[no-untyped-def]
    args = ["link-imap", "alice", "--host", "imap.example.com", "--tls", "none"]
    code, _, err = run(*args, "--username", "a", "--password-stdin", stdin="pw\n")
    assert code == 2
    assert "plain IMAP without TLS is allowed only to this machine" in err


def test_tls_to_a_plain_port_says_so(run, mail_user: MailUser) -> None:  # type: ignore[no-untyped-def]
    args = link_args(mail_user)
    args[args.index("none")] = "implicit"
    code, _, err = run(*args, stdin=mail_user.password + "\n")
    assert code == 1
    assert "no TLS connection to 127.0.0.1" in err and "check --tls and --port" in err


def test_an_unreachable_host_says_so(run, mail_user: MailUser) -> None:  # type: ignore[no-untyped-def]
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    args = link_args(mail_user)
    args[args.index(str(mail_user.port))] = str(closed_port)
    code, _, err = run(*args, stdin=mail_user.password + "\n")
    assert code == 1 and "refused the connection" in err


def test_unknown_user_exits_3(run, mail_user: MailUser) -> None:  # type: ignore[no-untyped-def]
    args = link_args(mail_user)
    args[1] = "nobody"
    code, _, err = run(*args, stdin=mail_user.password + "\n")
    assert code == 3 and "no user named 'nobody'" in err


def test_link_imap_as_a_subprocess(tmp_path: Path, mail_user: MailUser) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAPP_")}
    base = [sys.executable, "-m", "mailapp.server.cli", "--data", str(tmp_path / "d")]

    def run_cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args], input=stdin, capture_output=True, text=True, env=env, timeout=120
        )

    assert run_cli("init").returncode == 0
    added = run_cli("add-user", "alice", "--password-stdin", stdin="alice-password\n")
    assert added.returncode == 0
    done = run_cli(*link_args(mail_user), stdin=mail_user.password + "\n")
    assert done.returncode == 0, done.stderr
    assert "state pending" in run_cli("status", "alice").stdout


def test_sending_through_the_provider_needs_the_accounts_address(  # type: ignore[no-untyped-def]
    run, mail_user: MailUser
) -> None:
    smtp = ("--smtp-host", "127.0.0.1")
    # The login is no address: the From of sent mail cannot be guessed, so it must be given.
    code, _, err = run(*link_args(mail_user, *smtp), stdin=mail_user.password + "\n")
    assert code == 2 and "give the account's address with --address" in err
    code, _, err = run(
        *link_args(mail_user, *smtp, "--address", "not an address"),
        stdin=mail_user.password + "\n",
    )
    assert code == 2 and "is not an email address" in err

    code, _, err = run(
        *link_args(mail_user, *smtp, "--address", "alice@provider.example"),
        stdin=mail_user.password + "\n",
    )
    assert code == 0, err
    code, out, _ = run("status")
    assert "sending as alice@provider.example" in out

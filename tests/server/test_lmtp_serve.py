"""`mailapp-server serve --lmtp` end to end: an MTA's LMTP delivery reaches a headless
`mailapp sync` client through the real server process."""

from __future__ import annotations

import contextlib
import os
import smtplib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mailapp.store import open_store
from mailapp.sync import headless
from tests.server.test_events import _add_user, _free_port, serve_subprocess
from tests.server.test_lmtp import message
from tests.sync.test_headless import mailapp, sign_in


@contextlib.contextmanager
def serve_with_lmtp(
    data: Path, database_url: str, lmtp: str
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    with serve_subprocess(data, database_url, 1, extra_args=("--lmtp", lmtp)) as running:
        yield running


@pytest.mark.slow
def test_lmtp_delivery_reaches_a_headless_client(tmp_path: Path) -> None:
    database_url = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    lmtp_port = _free_port()
    with serve_with_lmtp(tmp_path, database_url, f"127.0.0.1:{lmtp_port}") as (url, _):
        _, password = _add_user(database_url, "alice")
        user = type("U", (), {"name": "alice", "password": password})()
        profile, keys = tmp_path / "profile", tmp_path / "keys.json"
        sign_in(profile, url, user, keys)  # type: ignore[arg-type]
        done = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
        assert done.returncode == headless.EXIT_OK, done.stdout + done.stderr

        with smtplib.LMTP("127.0.0.1", lmtp_port, timeout=30) as client:
            refused = client.sendmail(
                "someone@elsewhere.example",
                ["alice@example.org"],
                message("From the MTA", to="alice@example.org"),
            )
            assert refused == {}
            with pytest.raises(smtplib.SMTPRecipientsRefused):
                client.sendmail("someone@elsewhere.example", ["nobody@example.org"], b"x\r\n")

        done = mailapp("sync", "--profile", str(profile), "--once", keyring_file=keys)
        assert done.returncode == headless.EXIT_OK, done.stdout + done.stderr
    with open_store(profile / "mail.sqlite3") as store:
        ((account, _email),) = store.accounts()
        inbox = store.mailbox_by_role(account, "inbox")
        assert inbox is not None
        assert [m.subject for m in store.page(inbox.id)] == ["From the MTA"]


def test_serve_refuses_an_lmtp_address_open_to_the_network(tmp_path: Path) -> None:
    env = {**os.environ, "MAILAPP_SERVER_DATA": str(tmp_path)}
    env["MAILAPP_DATABASE_URL"] = f"sqlite:///{tmp_path / 'server.sqlite3'}"
    done = subprocess.run(
        [sys.executable, "-m", "mailapp.server.cli", "serve", "--lmtp", "0.0.0.0:2424"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "only on loopback or a unix socket" in done.stderr
    assert "Traceback" not in done.stderr

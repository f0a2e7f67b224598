"""Passwords never reach a printed line: `redact_url` and `scrub` for the server's database and
relay URLs (even unencoded passwords holding / # ? @ :), `init`, `config` and the `serve`
banner run as an administrator runs them, and the client's log filter."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import make_url

from mailapp.server.redact import redact_url, scrub
from mailapp.sync import redact as client_redact
from tests.security.conftest import postgres_database
from tests.server.test_cli import run_cli

SPECIALS = "/#?@:%&= ;,'\"{}[]\\"
PIECES = ("pwA1", "pwB2", "pwC3")


def password_from(separators: list[str]) -> str:
    return PIECES[0] + separators[0] + PIECES[1] + separators[1] + PIECES[2]


separators = st.lists(st.text(SPECIALS, min_size=1, max_size=3), min_size=2, max_size=2)


@given(separators, st.sampled_from(["postgresql", "postgresql+psycopg", "smtp+starttls", "smtps"]))
def test_no_piece_of_a_url_password_is_shown(seps: list[str], scheme: str) -> None:
    password = password_from(seps)
    for url in (
        f"{scheme}://mail:{password}@db.internal:5432/mail?sslmode=require",
        f"{scheme}://mail@db.internal/mail?password={password}",
    ):
        shown = redact_url(url) or ""
        assert not any(piece in shown for piece in PIECES), (url, shown)
        assert "db.internal" in shown
        message = f"could not connect to {url}: password {password} rejected"
        assert not any(piece in scrub(message, url) for piece in PIECES)


def test_plain_urls_are_shown_unchanged() -> None:
    assert redact_url("sqlite:////srv/mail/server.sqlite3") == "sqlite:////srv/mail/server.sqlite3"
    assert redact_url("smtp://127.0.0.1:2525") == "smtp://127.0.0.1:2525"
    assert redact_url("postgresql://mail:s3cret@db/mail") == "postgresql://mail:***@db/mail"


NASTY = "pa/ss#wo?rd:y"  # SQLAlchemy cannot parse an unencoded @; hypothesis covers it


def test_init_and_config_do_not_print_an_unencoded_password(tmp_path: Path) -> None:
    url = f"postgresql://admin:{NASTY}@127.0.0.1:1/nowhere"
    relay = f"smtp+starttls://relay:{NASTY}@smtp.example:587"
    init = run_cli("init", data=tmp_path, env={"MAILAPP_DATABASE_URL": url})
    config = run_cli(
        "config", data=tmp_path, env={"MAILAPP_DATABASE_URL": url, "MAILAPP_SMTP_RELAY": relay}
    )
    assert init.returncode == 1 and "cannot open the database" in init.stderr
    assert config.returncode == 0
    for output in (init.stdout, init.stderr, config.stdout, config.stderr):
        assert not any(piece in output for piece in ("pa/ss", "ss#wo", "rd:y", "wo?rd")), output
    assert "postgresql://admin:***@127.0.0.1:1/nowhere" in config.stdout
    assert "smtp+starttls://relay:***@smtp.example:587" in config.stdout


@pytest.mark.postgres
def test_serve_banner_hides_an_unencoded_password(tmp_path: Path) -> None:
    with postgres_database() as plain:
        # The test server trusts every local connection, so any password opens it.
        url = (
            make_url(plain)
            .render_as_string(hide_password=False)
            .replace("postgres@", f"postgres:{NASTY}@", 1)
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAPP_")}
        env.update(MAILAPP_SERVER_DATA=str(tmp_path), MAILAPP_DATABASE_URL=url)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = str(sock.getsockname()[1])
        cmd = [sys.executable, "-m", "mailapp.server.cli", "serve", "--port", port]
        proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
        try:
            assert proc.stderr is not None
            deadline = time.monotonic() + 60
            banner = ""
            while "serving on" not in banner and time.monotonic() < deadline:
                line = proc.stderr.readline()
                if not line:
                    break
                banner += line
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stderr:
                banner += proc.stderr.read()
                proc.stderr.close()
    assert "serving on" in banner and "postgres:***@" in banner, banner
    assert "pa/ss" not in banner and "wo?rd" not in banner and "rd:y" not in banner


def test_the_clients_log_filter_hides_whole_secrets(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("mailapp.test.security.redact")
    client_redact.install(logger)
    with caplog.at_level(logging.DEBUG, logger=logger.name):
        logger.warning('login body {"name": "bob", "password": "correct horse, battery}"}')
        logger.warning("proxy https://bob:%s@proxy.example/ failed", NASTY)
        logger.warning("Authorization: Basic Ym9iOnNlY3JldA==")
    for secret in ("horse", "battery", "pa/ss", "wo?rd", "Ym9iOnNlY3JldA"):
        assert secret not in caplog.text
    assert "bob" in caplog.text and "proxy.example" in caplog.text

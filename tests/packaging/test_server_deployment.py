"""The server deployment files agree with the server: its variables, its command, its limits."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailapp.server.config import Settings
from tests.packaging.support import PACKAGING, REPO, clean_env

SERVER = PACKAGING / "server"
UNIT = SERVER / "mailapp-server.service"
ENV_EXAMPLE = SERVER / "server.env.example"


def server_variables() -> set[str]:
    """Every MAILAPP_* variable the server code reads."""
    found: set[str] = set()
    for path in (REPO / "mailapp" / "server").rglob("*.py"):
        found |= set(re.findall(r"\"(MAILAPP_[A-Z_]+)\"", path.read_text(encoding="utf-8")))
    return found


def env_example() -> dict[str, str]:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return {key: value for key, value in pairs}


def config_command(env: dict[str, str], home: Path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "mailapp.server.cli", "config"],
        env=clean_env(home, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split(" = ", 1) for line in result.stdout.splitlines())


def test_guide_documents_every_server_variable() -> None:
    guide = (PACKAGING / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(MAILAPP_[A-Z_]+)`", guide, flags=re.MULTILINE))
    assert documented == server_variables()


def test_example_settings_are_real_and_their_secrets_never_printed(tmp_path: Path) -> None:
    example = env_example()
    assert set(example) <= server_variables()
    shown = config_command(example, tmp_path)
    assert shown["data_dir"] == example["MAILAPP_SERVER_DATA"]
    assert shown["local_domain"] == example["MAILAPP_LOCAL_DOMAIN"]
    assert shown["database_url"] == "postgresql://mailapp:***@127.0.0.1:5432/mailapp"
    assert shown["smtp_relay_url"].startswith("smtp+starttls://relayuser:***@")
    assert "CHANGE-ME" not in "".join(shown.values())


def test_config_hides_a_password_given_as_a_url_parameter(tmp_path: Path) -> None:
    shown = config_command(
        {"MAILAPP_DATABASE_URL": "postgresql://mailapp@db/mail?password=query-secret-789"},
        tmp_path,
    )
    assert "query-secret-789" not in shown["database_url"]


def test_unit_runs_several_workers_behind_the_proxy() -> None:
    unit = configparser.ConfigParser(interpolation=None, strict=False)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(UNIT, encoding="utf-8")
    service = unit["Service"]
    command = service["ExecStart"].split()
    assert Path(command[0]).name == "mailapp-server" and command[1] == "serve"
    options = dict(zip(command[2::2], command[3::2], strict=True))
    assert int(options["--workers"]) >= 2
    assert options["--host"] == "127.0.0.1"  # only the reverse proxy is reachable from outside
    # systemd must wait longer than the server gives its event streams.
    assert float(service["TimeoutStopSec"]) > float(options["--grace"])
    assert service["EnvironmentFile"] == "/etc/mailapp/server.env"
    assert env_example()["MAILAPP_SERVER_DATA"] == f"/var/lib/{service['StateDirectory']}"
    nginx = (SERVER / "nginx-mailapp.conf").read_text(encoding="utf-8")
    assert f"server 127.0.0.1:{options['--port']};" in nginx
    assert f"127.0.0.1:{options['--port']}" in (SERVER / "Caddyfile").read_text()


def test_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        print("systemd-analyze is missing (Debian package systemd): cannot verify the unit")
        pytest.skip("systemd-analyze is missing")
    # The unit names the installed command; verify it against one that exists here.
    unit = tmp_path / UNIT.name
    unit.write_text(
        UNIT.read_text().replace("/opt/mailapp/bin/mailapp-server", shutil.which("true") or "")
    )
    result = subprocess.run(
        [tool, "verify", "--man=no", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "mailapp-server.service" not in result.stderr, result.stderr


def test_proxy_streams_events_unbuffered_and_admits_full_attachments() -> None:
    nginx = (SERVER / "nginx-mailapp.conf").read_text(encoding="utf-8")
    events = nginx[nginx.index("location = /v1/events") :].split("}", 1)[0]
    assert "proxy_buffering off;" in events
    assert "proxy_read_timeout 1h;" in events
    limit = re.search(r"client_max_body_size (\d+)m;", nginx)
    assert limit is not None and int(limit.group(1)) * 2**20 > Settings().max_attachment_bytes
    assert "flush_interval -1" in (SERVER / "Caddyfile").read_text(encoding="utf-8")

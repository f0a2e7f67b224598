"""What `mailapp sync --once` loads: only what a sync cycle needs, so the command starts fast.

The window, the MIME parser and composer, the demo generator, Alembic and the ORM each cost tens
to hundreds of milliseconds of start-up and a cycle against an up-to-date store needs none of
them (issue 11: `mailapp sync --once` as a whole process; see tests/bench/bench_headless.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.server.conftest import RunningServer
from tests.sync.keyring_backend import ENV as KEYRING_ENV
from tests.sync.test_headless import ROOT, sign_in

UNNEEDED = (
    "PySide6",
    "mailapp.ui",
    "alembic",
    "mako",
    "sqlalchemy.orm",
    "mailapp.mime.parse",  # parsing is the server's job; the client stores parsed records
    "mailapp.mime.compose",
    "mailapp.core.demo",
    "mailapp.server",
    "fastapi",
)
# With nothing changed, not even the engine: one stdlib request and a few sqlite3 reads answer it
# (mailapp.sync.quiet).
UNNEEDED_WHEN_NOTHING_CHANGED = (
    *UNNEEDED,
    "sqlalchemy",
    "pydantic",
    "requests",
    "urllib3",
    "mailapp.wire",
    "mailapp.sync.engine",
    "mailapp.sync.client",
)

_SYNC_AND_LIST_MODULES = """
import json, sys
from mailapp.cli import main
status = main(["sync", "--once", "--profile", sys.argv[1]])
print(json.dumps({"status": status, "modules": sorted(sys.modules)}))
"""


def test_sync_once_imports_only_what_a_cycle_needs(
    sync_server: RunningServer, tmp_path: Path
) -> None:
    alice = sync_server.new_user("alice")
    sync_server.deliver(alice.account_id, subject="Hello headless")
    profile, keys = tmp_path / "profile", tmp_path / "keys.json"
    sign_in(profile, sync_server.url, alice, keys)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHON_KEYRING_BACKEND": "tests.sync.keyring_backend.FileKeyring",
        KEYRING_ENV: str(keys),
    }
    # The first cycle pulls the message; the second finds nothing new.
    for unneeded in (UNNEEDED, UNNEEDED_WHEN_NOTHING_CHANGED):
        done = subprocess.run(
            [sys.executable, "-c", _SYNC_AND_LIST_MODULES, str(profile)],
            capture_output=True, text=True, timeout=120, cwd=ROOT, env=env, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        *lines, last = done.stdout.strip().splitlines()
        result = json.loads(last)
        assert result["status"] == 0 and lines[0].startswith("synced: pushed 0"), done.stdout
        loaded = [
            module
            for module in result["modules"]
            if any(module == name or module.startswith(name + ".") for name in unneeded)
        ]
        assert loaded == []

"""The server's SQLite database holds every user's mail: created 0600 (with its -wal and -shm)
in a 0700 data folder, under the usual 022 umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from mailapp.server.db import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_server_init_makes_a_private_data_folder_and_database(tmp_path: Path) -> None:
    data = tmp_path / "srv" / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILAPP_")}
    result = subprocess.run(
        [
            "sh",
            "-c",
            f'umask 022 && exec "$0" -m mailapp.server.cli --data {data} init',
            sys.executable,
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert mode(data) == mode(data.parent) == 0o700
    database = data / "server.sqlite3"
    assert mode(database) == 0o600


def test_a_running_engine_keeps_wal_and_shm_private(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        database = tmp_path / "new" / "server.sqlite3"
        engine = make_engine(f"sqlite:///{database}")
        try:
            with engine.connect() as conn:
                conn.exec_driver_sql("CREATE TABLE t (x)")
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
                modes = {mode(Path(f"{database}{s}")) for s in ("", "-wal", "-shm")}
        finally:
            engine.dispose()
    finally:
        os.umask(previous)
    assert modes == {0o600}
    assert mode(database.parent) == 0o700

"""The start-up fast path of migrations: a current store opens without Alembic, others still
migrate (with a backup) or are refused exactly as before."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine

from mailapp.store import StoreTooNewError, migrate, open_store
from mailapp.store.migrate import HEAD_REVISION, alembic_config

REPO = Path(__file__).resolve().parents[2]

# Opens the store in a fresh interpreter, so nothing imported by other tests hides what the
# open itself loads; prints what a user would see (their accounts) and whether Alembic loaded.
_OPEN_IN_FRESH_PROCESS = """
import json, sys
from pathlib import Path
from mailapp.store import open_store
with open_store(Path(sys.argv[1])) as store:
    accounts = [email for _id, email in store.accounts()]
print(json.dumps({
    "accounts": accounts,
    "alembic_loaded": any(m == "alembic" or m.startswith("alembic.") for m in sys.modules),
}))
"""


def _open_in_fresh_process(path: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", _OPEN_IN_FRESH_PROCESS, str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout)


def _revision(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def _set_revision(path: Path, revision: str) -> None:
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = ?", (revision,))


def test_head_constant_is_alembics_head() -> None:
    # If this fails, a revision was added under store/migrations/versions: set HEAD_REVISION to it.
    assert migrate.head_revision() == HEAD_REVISION


def test_current_store_opens_without_loading_alembic(store_path: Path) -> None:
    with open_store(store_path) as store:
        store.create_account("me@example.org")
    opened = _open_in_fresh_process(store_path)
    assert opened == {"accounts": ["me@example.org"], "alembic_loaded": False}
    assert not list(store_path.parent.glob("*.backup-*"))


def test_older_store_is_still_migrated_after_a_backup(store_path: Path) -> None:
    engine = create_engine(f"sqlite:///{store_path}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
    engine.dispose()
    with sqlite3.connect(store_path) as conn:
        conn.execute(
            "INSERT INTO accounts (id, email, created_at) VALUES ('a1', 'old@example.org', 0)"
        )

    opened = _open_in_fresh_process(store_path)

    assert opened == {"accounts": ["old@example.org"], "alembic_loaded": True}
    assert _revision(store_path) == HEAD_REVISION
    backup = store_path.with_name(f"{store_path.name}.backup-0001")
    assert _revision(backup) == "0001"


def test_newer_store_is_refused_and_left_untouched(store_path: Path) -> None:
    open_store(store_path).close()
    _set_revision(store_path, "9999_from_the_future")
    before = store_path.read_bytes()
    with pytest.raises(StoreTooNewError) as raised:
        open_store(store_path)
    assert raised.value.revision == "9999_from_the_future"
    assert "newer version of mailapp" in raised.value.message
    assert store_path.read_bytes() == before
    assert not list(store_path.parent.glob("*.backup-*"))


def test_a_stale_head_constant_never_refuses_a_store_alembic_knows(
    store_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Someone added a revision but forgot the constant: stores at the real head must still open
    # (through Alembic), not be reported as written by a newer mailapp.
    open_store(store_path).close()
    monkeypatch.setattr(migrate, "HEAD_REVISION", "an_older_head")
    with open_store(store_path) as store:
        assert store.accounts() == []
    assert _revision(store_path) == migrate.head_revision()
    assert not list(store_path.parent.glob("*.backup-*"))

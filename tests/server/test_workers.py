"""Several uvicorn worker processes on one PostgreSQL database: concurrent pushes get distinct,
commit-ordered modseqs, so a reader following /v1/changes meanwhile misses nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from mailapp.server.auth import create_user
from mailapp.server.db import make_engine, session_scope
from tests.server.conftest import _free_socket, postgres_database

WRITERS = 4
PUSHES = 6
PER_PUSH = 10


def _wait_until_up(url: str, proc: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log_path.read_text()
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("uvicorn workers did not start")


@pytest.mark.postgres
@pytest.mark.slow
def test_workers_share_one_database(tmp_path: Path) -> None:
    with postgres_database() as database_url:
        sock = _free_socket()
        port = sock.getsockname()[1]
        sock.close()
        env = {
            **os.environ,
            "MAILAPP_DATABASE_URL": database_url,
            "MAILAPP_SERVER_DATA": str(tmp_path),
        }
        log_path = tmp_path / "uvicorn.log"
        log = log_path.open("wb")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "mailapp.server.app:create_app",
                "--workers",
                "2",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_until_up(url, proc, log_path)
            engine = make_engine(database_url)
            with session_scope(engine) as session:
                create_user(session, "erin", "pw")
            engine.dispose()
            token = httpx.post(f"{url}/v1/session", json={"name": "erin", "password": "pw"}).json()[
                "token"
            ]
            headers = {"Authorization": f"Bearer {token}"}
            created: list[str] = []
            errors: list[str] = []
            done = threading.Event()

            def writer(index: int) -> None:
                with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                    for push in range(PUSHES):
                        ids = [str(uuid.uuid4()) for _ in range(PER_PUSH)]
                        mutations = [
                            {
                                "mutationId": push * PER_PUSH + n + 1,
                                "type": "mailbox.create",
                                "args": {"mailboxId": box, "name": f"w{index}-{box[:6]}"},
                            }
                            for n, box in enumerate(ids)
                        ]
                        response = client.post(
                            "/v1/sync", json={"clientId": f"w{index}", "mutations": mutations}
                        )
                        if response.status_code != 200:
                            errors.append(response.text)
                            return
                        statuses = {r["status"] for r in response.json()["results"]}
                        if statuses != {"applied"}:
                            errors.append(str(statuses))
                        created.extend(ids)

            seen: dict[str, int] = {}

            def reader() -> None:
                since = "0"
                with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
                    for _ in range(2000):
                        finished = done.is_set()
                        body = client.get("/v1/changes", params={"since": since, "limit": 7}).json()
                        for box in body["mailboxes"]["created"] + body["mailboxes"]["updated"]:
                            seen[box["id"]] = box["updatedModseq"]
                        since = body["newState"]
                        if finished and not body["hasMore"]:
                            return

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
            follower = threading.Thread(target=reader)
            follower.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            done.set()
            follower.join(timeout=120)
            assert not errors
            assert len(created) == WRITERS * PUSHES * PER_PUSH
            # The follower, reading while others wrote, ends with every mailbox.
            assert set(created) <= set(seen)
            modseqs = [seen[box] for box in created]
            assert len(set(modseqs)) == len(modseqs)
            # Both workers migrated at start-up without tripping over each other.
            assert "Traceback" not in log_path.read_text()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            log.close()

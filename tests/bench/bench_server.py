"""Sync server benchmarks; prints figures, asserts nothing about time.

    .venv/bin/python tests/bench/bench_server.py [--pg URL] [--messages 100000] [--only ...]

1. one POST /v1/sync carrying 1,000 mutations (SQLite and PostgreSQL);
2. paging GET /v1/changes over N messages, in messages per second (SQLite and PostgreSQL);
3. 50 client processes (10 users x 5 devices, real accounts) against PostgreSQL with 4 uvicorn
   workers: p50/p99, req/s and errors; see bench_server_load.py, which also runs alone.

Every server is `mailapp-server serve` in a subprocess on 127.0.0.1; databases are created for
the run and dropped afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mailapp.server.auth import create_user  # noqa: E402
from mailapp.server.db import make_engine, migrate, session_scope  # noqa: E402
from tests.bench.bench_support import fill_messages  # noqa: E402

PASSWORD = "bench-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def pg_database(admin_url: str) -> Iterator[str]:
    name = f"mailapp_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield (
            make_url(admin_url)
            .set(drivername="postgresql+psycopg", database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@contextlib.contextmanager
def serve(database_url: str, workers: int) -> Iterator[str]:
    port = free_port()
    data_dir = tempfile.TemporaryDirectory(prefix="mailapp-bench-")
    data = data_dir.name
    env = {**os.environ, "MAILAPP_SERVER_DATA": data, "MAILAPP_DATABASE_URL": database_url}
    env["MAILAPP_MAX_CHANGES_PER_PAGE"] = "1000"
    cmd = [sys.executable, "-m", "mailapp.server.cli", "serve", "--port", str(port)]
    cmd += ["--workers", str(workers), "--log-level", "warning", "--grace", "1"]
    proc = subprocess.Popen(
        cmd,
        env=env,
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/session", timeout=2).status_code == 401:
                    break
            if proc.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        data_dir.cleanup()


def add_users(database_url: str, names: list[str]) -> dict[str, str]:
    engine = make_engine(database_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            return {name: create_user(session, name, PASSWORD).id for name in names}
    finally:
        engine.dispose()


def login(client: httpx.Client, name: str) -> None:
    response = client.post("/v1/session", json={"name": name, "password": PASSWORD})
    response.raise_for_status()
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"


def draft_mutation(number: int) -> dict[str, Any]:
    return {
        "mutationId": number,
        "type": "draft.upsert",
        "args": {
            "draftId": str(uuid.uuid4()),
            "fields": {
                "subject": {"old": None, "new": f"Draft {number}"},
                "to": {"old": None, "new": [{"name": None, "email": "x@remote.example"}]},
                "body": {"old": None, "new": "Some text " * 20},
            },
        },
    }


def bench_push(label: str, database_url: str, count: int = 1000) -> None:
    add_users(database_url, ["pusher"])
    with serve(database_url, workers=1) as url, httpx.Client(base_url=url, timeout=300) as client:
        login(client, "pusher")
        body = {"clientId": "bench", "mutations": [draft_mutation(i + 1) for i in range(count)]}
        start = time.perf_counter()
        response = client.post("/v1/sync", json=body)
        elapsed = time.perf_counter() - start
        response.raise_for_status()
        applied = sum(r["status"] == "applied" for r in response.json()["results"])
    print(
        f"[{label}] push {count} mutations in one request: {elapsed:.2f} s "
        f"({count / elapsed:,.0f} mutations/s, {applied} applied)"
    )


def bench_feed(label: str, database_url: str, count: int) -> None:
    ids = add_users(database_url, ["reader"])
    start = time.perf_counter()
    fill_messages(database_url, ids["reader"], count)
    print(f"[{label}] inserted {count:,} messages in {time.perf_counter() - start:.1f} s")
    with serve(database_url, workers=1) as url, httpx.Client(base_url=url, timeout=120) as client:
        login(client, "reader")
        since, seen, pages = "0", 0, 0
        start = time.perf_counter()
        for _ in range(count // 100 + 100):  # bounded
            response = client.get("/v1/changes", params={"since": since})
            response.raise_for_status()
            page = response.json()
            seen += len(page["emails"]["created"]) + len(page["emails"]["updated"])
            pages += 1
            since = page["newState"]
            if not page["hasMore"]:
                break
        elapsed = time.perf_counter() - start
    print(
        f"[{label}] change feed: {seen:,} messages in {pages} pages, {elapsed:.1f} s "
        f"({seen / elapsed:,.0f} messages/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("MAILAPP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--only", choices=["push", "feed", "concurrent"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "push"):
            bench_push("sqlite", f"sqlite:///{tmp}/push.sqlite3")
            with pg_database(args.pg) as url:
                bench_push("postgres", url)
        if args.only in (None, "feed"):
            bench_feed("sqlite", f"sqlite:///{tmp}/feed.sqlite3", args.messages)
            with pg_database(args.pg) as url:
                bench_feed("postgres", url, args.messages)
    if args.only in (None, "concurrent"):
        from tests.bench import bench_server_load

        sys.argv = [sys.argv[0], "--pg", args.pg]
        bench_server_load.main()


if __name__ == "__main__":
    main()

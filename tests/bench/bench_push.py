"""The server's push side, one client at a time: CPU time per push; prints figures, asserts nothing.

    .venv/bin/python tests/bench/bench_push.py [--messages 2000] [--pushes 150] [--sqlite]
        [--pg URL]

`mailapp-server serve` with one worker in a subprocess (on PostgreSQL, a database made for the
run; with --sqlite, a SQLite file), one account of header-only messages, one client pushing
`email.keywords` changes on random messages of it, as a reader does (POST /v1/sync, each
answer carrying its page of changes). CPU time per push of the server's processes and, on
PostgreSQL, of its backends: pushes of 3 flags (bench_server_load.py's pushes) and of 100.
Median of three rounds; run before/after side by side all the same (the machine is shared).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_server import add_users, login, pg_database, serve  # noqa: E402
from tests.bench.bench_server_load import (  # noqa: E402
    _backend_pids,
    _cpu_seconds,
    _server_pids,
)
from tests.bench.bench_support import fill_messages  # noqa: E402

# 500 req/s on 2 cores leaves 4 ms of CPU per request for the server, PostgreSQL and clients.
CONTEXT = "issue 11: >= 500 req/s on 2 CPUs means <= 4 ms of CPU per request, all processes"


def run(database_url: str, messages: int, pushes: int, postgres: bool) -> None:
    account = add_users(database_url, ["reader"])["reader"]
    fill_messages(database_url, account, messages)
    with serve(database_url, workers=1) as url, httpx.Client(base_url=url, timeout=60) as client:
        login(client, "reader")
        state: str | None = None
        email_ids: list[str] = []
        for _ in range(1000):  # bounded: the initial pull, page by page
            body = {"clientId": "bench", "sinceState": state, "mutations": []}
            page = client.post("/v1/sync", json=body).json()
            email_ids += [e["id"] for e in page["changes"]["emails"]["created"]]
            state = page["newState"]
            if not page["changes"]["hasMore"]:
                break
        rng = random.Random(7)
        next_id = 0

        def push(count: int) -> None:
            nonlocal next_id, state
            mutations: list[dict[str, Any]] = []
            for _ in range(count):
                next_id += 1
                change = {"add" if rng.random() < 0.5 else "remove": ["$flagged"]}
                args = {"emailId": rng.choice(email_ids), **change}
                mutations.append({"mutationId": next_id, "type": "email.keywords", "args": args})
            body = {"clientId": "bench", "sinceState": state, "mutations": mutations}
            response = client.post("/v1/sync", json=body)
            response.raise_for_status()
            state = response.json()["newState"]

        servers = _server_pids(url)
        label = "PostgreSQL" if postgres else "SQLite"
        for count in (3, 100):
            for _ in range(10):
                push(count)  # warm: statement caches, pooled connections
            times = pushes if count < 50 else max(pushes // 5, 20)
            rounds: list[tuple[float, float]] = []
            for _ in range(3):
                before = _cpu_seconds(servers), _db_cpu(database_url, postgres)
                for _ in range(times):
                    push(count)
                after = _cpu_seconds(servers), _db_cpu(database_url, postgres)
                rounds.append(
                    ((after[0] - before[0]) * 1000 / times, (after[1] - before[1]) * 1000 / times)
                )
            server = statistics.median(r[0] for r in rounds)
            database = statistics.median(r[1] for r in rounds)
            extra = f", PostgreSQL backends {database:.1f} ms" if postgres else ""
            print(
                f"[{label}] push of {count} flags at {messages:,} messages: server "
                f"{server:.1f} ms CPU{extra} per push ({CONTEXT})"
            )
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, shared)")


def _db_cpu(database_url: str, postgres: bool) -> float:
    return _cpu_seconds(_backend_pids(database_url)) if postgres else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("MAILAPP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--pushes", type=int, default=150)
    args = parser.parse_args()
    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="mailapp-bench-push-") as folder:
            run(f"sqlite:///{folder}/server.sqlite3", args.messages, args.pushes, False)
    else:
        with pg_database(args.pg) as url:
            run(url, args.messages, args.pushes, True)


if __name__ == "__main__":
    main()

"""The server's pull side in process: CPU time per answer; prints figures, asserts nothing.

    .venv/bin/python tests/bench/bench_feed.py [--messages 2000] [--runs 5] [--sqlite | --pg URL]

Demo mail (the generator's realistic messages: threads, non-ASCII names, attachments) is
imported into a fresh database, then the ASGI app answers requests handed to it directly
(no socket, no HTTP client: what is timed is the server's own work, its middleware, thread-pool
hops and database reads included). CPU time of this process (every thread) per answer:

- a change-feed page of 1,000 records (GET /v1/changes since 0), per message;
- a pull of 3 changes and a pull of nothing, both as GET /v1/changes and POST /v1/sync;
- GET /v1/session, POST /v1/bodies for 100 ids, GET /v1/messages/{id}/body;
- and the client's side of a page: the wire parse of those 1,000 records (ApiClient's parse).

CPU time, not wall time: the machine is shared, and a process's CPU per request moves far less
with the load than its wall time (run before/after side by side all the same).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if os.environ.get("BENCH_FEED_KEEP_PATH") is None:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from mailapp.server.app import create_app  # noqa: E402
from mailapp.server.auth import create_user, issue_token  # noqa: E402
from mailapp.server.config import Settings  # noqa: E402
from mailapp.server.db import make_engine, migrate, session_scope  # noqa: E402
from mailapp.server.importer import import_messages  # noqa: E402
from mailapp.server.models import Account, Email  # noqa: E402
from mailapp.sync.client import ApiClient  # noqa: E402

PASSWORD = "bench-password"


def write_mbox(path: Path, count: int) -> None:
    import mailbox

    from mailapp.core.demo import generate_demo

    box = mailbox.mbox(path, create=True)
    box.lock()
    try:
        for demo in generate_demo(count, seed=11, with_raw=True):
            assert demo.message.raw is not None
            box.add(demo.message.raw)
    finally:
        box.unlock()
        box.close()


class Asgi:
    """Hands requests to the ASGI app in this process and returns (status, body)."""

    def __init__(self, app: Any, token: str) -> None:
        self.app = app
        self.token = token
        self.loop = asyncio.new_event_loop()

    def request(self, method: str, path: str, query: str = "", body: bytes = b"") -> bytes:
        return self.loop.run_until_complete(self._request(method, path, query, body))

    async def _request(self, method: str, path: str, query: str, body: bytes) -> bytes:
        headers = [
            (b"host", b"bench"),
            (b"authorization", f"Bearer {self.token}".encode()),
            (b"accept-encoding", b"identity"),
        ]
        if body:
            headers += [(b"content-type", b"application/json")]
            headers += [(b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
            "state": {},
        }
        sent = False
        parts: list[bytes] = []
        status = [0]

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))

        await self.app(scope, receive, send)
        if status[0] != 200:
            raise SystemExit(f"{method} {path}?{query}: HTTP {status[0]} {b''.join(parts)[:300]!r}")
        return b"".join(parts)


def cpu_per_call(call: Callable[[], object], runs: int) -> float:
    """CPU seconds of this process per call, the best of three rounds of `runs` calls."""
    call()  # warm caches (statement cache, token cache, imports)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for _ in range(runs):
            call()
        best = min(best, (time.process_time() - start) / runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5, help="feed pages per round")
    parser.add_argument("--pg", default=None, help="a PostgreSQL database URL (else SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-feed-") as tmp:
        work = Path(tmp)
        url = args.pg or f"sqlite:///{work}/server.sqlite3"
        engine = make_engine(url)
        migrate(engine)
        with session_scope(engine) as session:
            account = create_user(session, "reader", PASSWORD)
            token = issue_token(session, account, Settings().token_ttl)
            account_id = account.id
        write_mbox(work / "demo.mbox", args.messages)
        started = time.perf_counter()
        import_messages(engine, "reader", work / "demo.mbox")
        print(f"imported {args.messages:,} demo messages in {time.perf_counter() - started:.1f} s")
        with session_scope(engine) as session:
            top = session.execute(select(Account.modseq).where(Account.id == account_id)).one()[0]
            ids = list(session.execute(select(Email.id).limit(100)).scalars())
        settings = Settings(data_dir=work, database_url=url, max_changes_per_page=1000)
        app = create_app(settings)
        asgi = Asgi(app, token)

        page = asgi.request("GET", "/v1/changes", "since=0&limit=1000")
        records = len(json.loads(page)["emails"]["created"]) + len(
            json.loads(page)["mailboxes"]["created"]
        )
        figures: dict[str, float] = {}
        figures["page"] = cpu_per_call(
            lambda: asgi.request("GET", "/v1/changes", "since=0&limit=1000"), args.runs
        )
        since3 = f"since={top - 3}"
        figures["get3"] = cpu_per_call(lambda: asgi.request("GET", "/v1/changes", since3), 200)
        figures["get0"] = cpu_per_call(
            lambda: asgi.request("GET", "/v1/changes", f"since={top}"), 300
        )
        pull3 = json.dumps({"clientId": "bench", "sinceState": str(top - 3)}).encode()
        pull0 = json.dumps({"clientId": "bench", "sinceState": str(top)}).encode()
        figures["sync3"] = cpu_per_call(lambda: asgi.request("POST", "/v1/sync", body=pull3), 200)
        figures["sync0"] = cpu_per_call(lambda: asgi.request("POST", "/v1/sync", body=pull0), 300)
        figures["session"] = cpu_per_call(lambda: asgi.request("GET", "/v1/session"), 200)
        bodies = json.dumps({"ids": ids}).encode()
        figures["bodies"] = cpu_per_call(
            lambda: asgi.request("POST", "/v1/bodies", body=bodies), 20
        )
        figures["body"] = cpu_per_call(
            lambda: asgi.request("GET", f"/v1/messages/{ids[0]}/body"), 200
        )
        client = ApiClient("http://127.0.0.1:1", allow_insecure_http=True)
        figures["parse"] = cpu_per_call(lambda: client.parse_changes(page), args.runs)
        engine.dispose()

    us = 1e6
    print(f"change-feed page of {records:,} records ({len(page) / 1e6:.2f} MB):")
    print(f"  server {figures['page'] * us / records:7.1f} µs CPU per message")
    print(f"  client wire parse {figures['parse'] * us / records:7.1f} µs CPU per message")
    print(
        f"pull of 3 changes:  GET /v1/changes {figures['get3'] * us:7.0f} µs, "
        f"POST /v1/sync {figures['sync3'] * us:7.0f} µs CPU"
    )
    print(
        f"pull of nothing:    GET /v1/changes {figures['get0'] * us:7.0f} µs, "
        f"POST /v1/sync {figures['sync0'] * us:7.0f} µs CPU"
    )
    print(
        f"GET /v1/session {figures['session'] * us:7.0f} µs; POST /v1/bodies (100 ids) "
        f"{figures['bodies'] * us / 100:7.1f} µs per message; GET /body "
        f"{figures['body'] * us:7.0f} µs CPU"
    )
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()

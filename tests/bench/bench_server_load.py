"""50 clients against PostgreSQL with 4 uvicorn workers: p50/p99, req/s and errors (issue 11).

    .venv/bin/python tests/bench/bench_server_load.py [--users 10] [--devices 5]
        [--account-messages 2000] [--cycles 20] [--seconds 120] [--workers 4]

Realistic, not flattering: each user's account holds real MIME messages (the demo generator,
stored through the server's importer), each user has several devices, and every device is its
own client *process* with its own token. A device first pulls the whole account (paged
POST /v1/sync), keeps an event stream (GET /v1/events) open, then runs cycles mixing pulls
(POST /v1/sync, no mutations), pushes (flag changes on real messages) and change-feed reads.
Only the cycles count towards p50/p99/req/s. Bounded: `--cycles` per device and `--seconds`.

The devices speak HTTP/1.1 through the standard library's `http.client` on one kept-alive
connection each (and one for the stream), sending and reading the same requests and JSON a
client sends and reads. They used httpx until December 2026: 1.1-1.2 ms of CPU per request in
the clients alone, a third of the machine's CPU in a run where the clients share the 2 cores with
the server and PostgreSQL, which the server's figures then paid for. `--httpx` runs them so.

MAILAPP_PROFILE_DIR=/some/dir makes every worker write a cProfile file there on exit (see
mailapp/server/profiling.py); the figures of such a run are slower, only the profile counts.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_server import PASSWORD, add_users, pg_database, serve  # noqa: E402

GOAL = "goal: p99 <= 150 ms, 0 errors, >= 500 req/s"


def fill_accounts(database_url: str, names: list[str], count: int) -> None:
    """`count` demo messages per account, stored by the server's importer (real MIME)."""
    import mailbox

    from mailapp.core.demo import generate_demo
    from mailapp.server.db import make_engine
    from mailapp.server.importer import import_messages

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "demo.mbox"
        box = mailbox.mbox(source, create=True)
        for demo in generate_demo(count, seed=7, with_raw=True):
            assert demo.message.raw is not None
            box.add(demo.message.raw)
        box.close()
        engine = make_engine(database_url)
        try:
            for name in names:
                import_messages(engine, name, source)
        finally:
            engine.dispose()


class Http:
    """One kept-alive HTTP/1.1 connection (http.client): a request, its status and body."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        self.conn = self.connect()

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        headers = dict(self.headers)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if params:
            path = f"{path}?{urlencode(params)}"
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # the next request opens a new connection, as a client would
            raise

    def json(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.request(method, path, body)
        if status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {status} {data[:200]!r}")
        return json.loads(data)

    def close(self) -> None:
        self.conn.close()

    def idle_reset(self) -> None:
        """Reconnect on the next request: after the wait at the start line, the kept-alive
        connection may have idled past the server's keep-alive (httpx's pool does the same)."""
        self.conn.close()


def _sse(url: str, token: str, stop: Any, events: list[int]) -> None:
    """Hold an event stream open until `stop`, counting the state events it brings."""
    client = Http(url, timeout=30)
    with contextlib.suppress(OSError, http.client.HTTPException):
        client.conn.request("GET", "/v1/events", headers={"Authorization": f"Bearer {token}"})
        response = client.conn.getresponse()
        while not stop.is_set():
            line = response.readline()
            if not line:
                return
            if line.startswith(b"event: state"):
                events.append(1)
    client.close()


def _sse_httpx(url: str, token: str, stop: Any, events: list[int]) -> None:
    """The same stream through httpx (`--httpx`, the clients before December 2026)."""
    headers = {"Authorization": f"Bearer {token}"}
    with (
        contextlib.suppress(httpx.HTTPError),
        httpx.stream("GET", f"{url}/v1/events", headers=headers, timeout=30) as response,
    ):
        for line in response.iter_lines():
            if line.startswith("event: state"):
                events.append(1)
            if stop.is_set():
                return


class HttpxClient(Http):
    """`Http`'s requests through an httpx.Client (`--httpx`)."""

    def __init__(self, url: str, timeout: float) -> None:
        self.client = httpx.Client(base_url=url, timeout=timeout)
        self.headers = self.client.headers  # type: ignore[assignment]

    def request(
        self, method: str, path: str, body: Any = None, params: dict[str, Any] | None = None
    ) -> tuple[int, bytes]:
        try:
            response = self.client.request(method, path, json=body, params=params)
        except httpx.HTTPError as exc:
            raise OSError(repr(exc)) from exc
        return response.status_code, response.content

    def close(self) -> None:
        self.client.close()

    def idle_reset(self) -> None:
        pass  # httpx's pool expires idle connections itself


def device(url: str, name: str, number: int, cycles: int, seconds: float, barrier: Any,
           out: Any, use_httpx: bool = False) -> None:
    """One client process: log in, pull everything, open a stream, then run the cycles."""
    rng = random.Random(number)
    latencies: list[float] = []
    kinds: list[str] = []
    errors: list[str] = []
    initial = 0.0
    cpu = 0.0
    events: list[int] = []
    stop = threading.Event()
    waited = False
    client = (HttpxClient if use_httpx else Http)(url, timeout=60)
    try:
        token = client.json("POST", "/v1/session", {"name": name, "password": PASSWORD})["token"]
        client.headers["Authorization"] = f"Bearer {token}"
        device_id = f"{name}-dev{number}"
        state: str | None = None
        email_ids: list[str] = []
        start = time.perf_counter()
        for _ in range(1000):  # bounded: the initial pull, page by page
            body = {"clientId": device_id, "sinceState": state, "mutations": []}
            page = client.json("POST", "/v1/sync", body)
            changes = page["changes"]
            email_ids += [e["id"] for e in changes["emails"]["created"]]
            state = page["newState"]
            if not changes["hasMore"]:
                break
        initial = time.perf_counter() - start
        sse = _sse_httpx if use_httpx else _sse
        stream = threading.Thread(target=sse, args=(url, token, stop, events), daemon=True)
        stream.start()
        waited = True
        barrier.wait(timeout=600)
        client.idle_reset()
        used = resource.getrusage(resource.RUSAGE_SELF)
        until = time.monotonic() + seconds
        mutation_id = 0
        for cycle in range(cycles):
            if time.monotonic() > until:
                break
            kind = ("pull", "push", "pull", "feed")[cycle % 4]
            request: dict[str, Any]
            if kind == "feed":
                request = {"method": "GET", "path": "/v1/changes", "params": {"since": state}}
            else:
                mutations = []
                if kind == "push" and email_ids:
                    for _ in range(3):  # flag changes on real messages, as a reader does
                        mutation_id += 1
                        flag = {"add" if rng.random() < 0.5 else "remove": ["$flagged"]}
                        mutations.append({"mutationId": mutation_id, "type": "email.keywords",
                                          "args": {"emailId": rng.choice(email_ids), **flag}})
                body = {"clientId": device_id, "sinceState": state, "mutations": mutations}
                request = {"method": "POST", "path": "/v1/sync", "body": body}
            began = time.perf_counter()
            try:
                status, data = client.request(**request)
                ok = status == 200
                detail = f"{kind} {status} {data[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                ok, detail = False, f"{kind} {exc!r}"
            latencies.append(time.perf_counter() - began)
            kinds.append(kind)
            if not ok:
                errors.append(detail)
                continue
            answer = json.loads(data)  # every answer is read, as a client reads it
            if kind != "feed":
                state = answer["newState"]
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime
    except Exception as exc:
        errors.append(f"{name} device {number}: {exc!r}")
        if not waited:  # failed before the start line: let the others start all the same
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=600)
    finally:
        stop.set()
        client.close()
        out.put({"latencies": latencies, "kinds": kinds, "errors": errors, "initial": initial,
                 "events": len(events), "cpu": cpu})


def run(database_url: str, users: int, devices: int, messages: int, cycles: int,
        seconds: float, workers: int, use_httpx: bool = False) -> None:
    names = [f"user{n}" for n in range(users)]
    add_users(database_url, names)
    start = time.perf_counter()
    fill_accounts(database_url, names, messages)
    print(f"{users} users x {messages:,} demo messages imported in "
          f"{time.perf_counter() - start:.1f} s; {devices} devices each = {users * devices} "
          "client processes")
    ctx = mp.get_context("spawn")
    clients = users * devices
    barrier = ctx.Barrier(clients + 1)
    out = ctx.Queue()
    with serve(database_url, workers=workers) as url:
        procs = [
            ctx.Process(target=device,
                        args=(url, name, n * users + u, cycles, seconds, barrier, out,
                              use_httpx))
            for n in range(devices) for u, name in enumerate(names)
        ]
        for proc in procs:
            proc.start()
        barrier.wait(timeout=600)
        server_pids = _server_pids(url)
        cpu_before = _cpu_seconds(server_pids), _cpu_seconds(_backend_pids(database_url))
        began = time.perf_counter()
        results = [out.get(timeout=600 + seconds) for _ in procs]
        wall = time.perf_counter() - began
        cpu_server = _cpu_seconds(server_pids) - cpu_before[0]
        cpu_database = _cpu_seconds(_backend_pids(database_url)) - cpu_before[1]
        for proc in procs:
            proc.join(timeout=30)
    report(results, wall, clients, workers, (cpu_server, cpu_database))


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc), in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _server_pids(url: str) -> list[int]:
    """The `serve` process on this URL's port and its worker processes."""
    port = url.rsplit(":", 1)[1]
    parents: dict[int, int] = {}
    main: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            parents[int(entry.name)] = int(stat[1])
            if b"mailapp.server.cli" in argv and port.encode() in argv:
                main.append(int(entry.name))
    return main + [pid for pid, parent in parents.items() if parent in main]


def _backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends serving this database now (pooled, so they last the run)."""
    import psycopg

    from mailapp.server.db import normalise_url

    conninfo = normalise_url(database_url).replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(pid) for (pid,) in rows]


def report(
    results: list[dict[str, Any]], wall: float, clients: int, workers: int,
    cpu: tuple[float, float] = (0.0, 0.0),
) -> None:
    latencies = sorted(x for r in results for x in r["latencies"])
    errors = [e for r in results for e in r["errors"]]
    initial = [r["initial"] for r in results if r["initial"]]
    if not latencies:
        raise SystemExit(f"no request completed; errors: {errors[:5]}")
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    print(f"[postgres, {workers} workers] {clients} client processes: {len(latencies):,} "
          f"requests in {wall:.1f} s ({len(latencies) / wall:,.0f} req/s), p50 {p50:.0f} ms, "
          f"p99 {p99:.0f} ms, errors {len(errors)}   ({GOAL})")
    by_kind: dict[str, list[float]] = {}
    for r in results:
        for kind, seconds in zip(r.get("kinds", ()), r["latencies"], strict=False):
            by_kind.setdefault(kind, []).append(seconds)
    print(
        "  by kind: "
        + "; ".join(
            f"{kind} ({len(values):,}) p50 {statistics.median(values) * 1000:.0f} ms, p99 "
            f"{sorted(values)[min(len(values) - 1, int(len(values) * 0.99))] * 1000:.0f} ms"
            for kind, values in sorted(by_kind.items())
        )
    )
    if initial:
        received = sum(r["events"] for r in results)
        print(f"  initial pull per device: median {statistics.median(initial):.2f} s, "
              f"max {max(initial):.2f} s; state events received by the streams {received}")
    cpu_clients = sum(r.get("cpu", 0.0) for r in results)
    per_request = [1000 * c / len(latencies) for c in (*cpu, cpu_clients)]
    print(f"  CPU per request: server workers {per_request[0]:.1f} ms, PostgreSQL backends "
          f"{per_request[1]:.1f} ms, client processes {per_request[2]:.1f} ms; {os.cpu_count()} "
          f"CPUs fully ours would allow about "
          f"{(os.cpu_count() or 1) * 1000 / max(sum(per_request), 0.001):,.0f} req/s")
    for error in errors[:5]:
        print(f"  error: {error}")
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs, shared: "
          "clients and server share them, so the figures are noisy and on the low side)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pg",
        default=os.environ.get("MAILAPP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test"),
    )
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--devices", type=int, default=5)
    parser.add_argument("--account-messages", type=int, default=2000)
    parser.add_argument("--cycles", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument(
        "--httpx", action="store_true", help="clients on httpx (as before December 2026)"
    )
    args = parser.parse_args()
    with pg_database(args.pg) as url:
        run(url, args.users, args.devices, args.account_messages, args.cycles, args.seconds,
            args.workers, args.httpx)


if __name__ == "__main__":
    main()

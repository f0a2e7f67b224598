"""Sync client benchmarks; prints figures, asserts nothing about time.

    .venv/bin/python tests/bench/bench_sync.py [--messages 10000] [--mutations 1000]
        [--baseline 1000] [--latency 0.1]

1. Flush N queued mutations through the fault proxy with `--latency` seconds added per round
   trip: round trips and total time, beside a naive one-request-per-mutation baseline (its
   rows are inserted straight into the server's database: only the push is measured).
2. Initial sync of M real MIME messages (the demo generator's: threads, HTML, attachments,
   non-ASCII), written to an mbox and imported with `mailapp-server import`, over loopback
   through the real Qt sync worker, each run in a fresh child process so its peak RSS is the
   sync's own: once headers-only (bodies when opened) and once with "All mail" kept offline
   (every body, through POST /v1/bodies). Messages per second next to the goals of issue 11,
   peak RSS, and the longest stall of the UI event loop (a 10 ms heartbeat QTimer). Beside the
   wall rates, the CPU time of the client process (getrusage in the child: every thread, the
   UI thread's heartbeat too, and the feed's child process of a sync over 5,000 changes) and of
   the server process (/proc) over the same interval, per
   message: on a loaded machine the wall rate falls, the CPU per message barely moves.

The server is `mailapp-server serve` (SQLite) in a subprocess on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from mailapp.store import open_store  # noqa: E402
from mailapp.sync.account import add_account, client_for  # noqa: E402
from mailapp.sync.engine import SyncEngine  # noqa: E402
from tests.support.faultproxy import FaultProxy  # noqa: E402

PASSWORD = "bench-password"
# Goals from issue 11 (msg/s); mbsync against Dovecot fetched every body at 730–1,230 msg/s.
GOAL_HEADERS = 2500
MBSYNC_ALL_BODIES = (730, 1230)


from tests.bench.bench_support import add_user, fill_messages, serve  # noqa: E402

# -- 1. flushing queued mutations -------------------------------------------------------------


@contextlib.contextmanager
def split_timer() -> Iterator[dict[str, float]]:
    """Seconds spent in HTTP round trips (server and wire) vs applying answers to the store."""
    import mailapp.sync.push as engine_module
    from mailapp.sync.client import ApiClient

    spent = {"http": 0.0, "apply": 0.0}
    original_send, original_apply = ApiClient._send, engine_module.apply_push

    def send(self: ApiClient, *args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original_send(self, *args, **kwargs)
        finally:
            spent["http"] += time.perf_counter() - start

    def apply(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return original_apply(*args, **kwargs)
        finally:
            spent["apply"] += time.perf_counter() - start

    ApiClient._send = send  # type: ignore[method-assign]
    engine_module.apply_push = apply  # type: ignore[assignment]
    try:
        yield spent
    finally:
        ApiClient._send = original_send  # type: ignore[method-assign]
        engine_module.apply_push = original_apply


def bench_flush(
    url: str, database_url: str, work: Path, count: int, baseline: int, latency: float
) -> None:
    name = f"flush-{uuid.uuid4().hex[:6]}"
    account = add_user(database_url, name)
    fill_messages(database_url, account, count + baseline)
    port = int(url.rsplit(":", 1)[1])
    with FaultProxy(port) as proxy, open_store(work / "flush" / "mail.sqlite3") as store:
        signed = add_account(store, proxy.url, name, PASSWORD)
        client = client_for(store, signed.account_id)
        SyncEngine(store, client, signed.account_id).run_cycle()  # the initial copy
        inbox = store.mailbox_by_role(signed.account_id, "inbox")
        assert inbox is not None
        ids = [m.id for m in store.page(inbox.id, limit=count + baseline)]
        # One mutation per message, nothing for folding to remove: the batching alone counts.
        store.set_flagged(ids[:count])
        queued = len(store.pending_mutations())
        proxy.latency = latency
        before = proxy.stats.requests
        with split_timer() as spent:
            start = time.perf_counter()
            report = SyncEngine(store, client, signed.account_id).flush_only()
            elapsed = time.perf_counter() - start
        trips = proxy.stats.requests - before
        left = len(store.pending_mutations())
        print(
            f"flush {queued} queued mutations, {latency * 1000:.0f} ms per round trip: "
            f"{trips} round trips, {elapsed:.2f} s (pushed {report.pushed}, left {left})"
        )
        print(
            f"  of which HTTP round trips (latency + server + wire) {spent['http']:.2f} s, "
            f"applying the answers to the store {spent['apply']:.2f} s, "
            f"rest (folding, batching, parsing) {elapsed - spent['http'] - spent['apply']:.2f} s"
        )
        if baseline:
            store.set_flagged(ids[count : count + baseline])
            naive = SyncEngine(store, client, signed.account_id, batch_size=1)
            before = proxy.stats.requests
            start = time.perf_counter()
            naive.flush_only()
            elapsed_naive = time.perf_counter() - start
            trips = proxy.stats.requests - before
            print(
                f"  baseline, one request per mutation: {baseline} mutations, {trips} round "
                f"trips, {elapsed_naive:.2f} s ({elapsed_naive / baseline * 1000:.0f} ms each, "
                f"so {elapsed_naive * count / baseline:.1f} s for {count})"
            )
        client.close()


# -- 2. initial sync through the Qt worker (child process) ------------------------------------


def write_demo_mbox(path: Path, count: int) -> int:
    """The demo generator's messages, raw, as one mbox; returns its size in bytes."""
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
    return path.stat().st_size


def bench_initial(url: str, database_url: str, work: Path, count: int) -> None:
    name = f"initial-{uuid.uuid4().hex[:6]}"
    add_user(database_url, name)
    start = time.perf_counter()
    source = work / "demo.mbox"
    size = write_demo_mbox(source, count)
    print(
        f"generated {count:,} demo messages ({size / 1e6:.0f} MB mbox) in "
        f"{time.perf_counter() - start:.1f} s"
    )
    start = time.perf_counter()
    env = {**os.environ, "MAILAPP_DATABASE_URL": database_url}
    cmd = [sys.executable, "-m", "mailapp.server.cli", "import", name, str(source)]
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=7200)
    if done.returncode:
        raise SystemExit(f"mailapp-server import failed: {done.stderr.strip()[-2000:]}")
    elapsed = time.perf_counter() - start
    print(
        f"imported them with `mailapp-server import` in {elapsed:.1f} s "
        f"({count / elapsed:,.0f} msg/s)"
    )
    server = server_pid()
    for mode in ("headers", "all"):
        child = [
            sys.executable,
            __file__,
            "--child-initial",
            url,
            name,
            str(work / f"initial-{mode}"),
            str(count),
            mode,
            str(server),
        ]
        out = subprocess.run(
            child, check=True, capture_output=True, text=True, cwd=ROOT, timeout=7200
        )
        report_initial(mode, json.loads(out.stdout.strip().splitlines()[-1]))
    print(
        f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: the machine is "
        "shared, so these figures are noisy and on the low side)"
    )


def server_pid() -> int:
    """The pid of `mailapp-server serve` started by serve() (one worker: uvicorn serves in
    that process itself)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            if int(fields[1]) == os.getpid() and b"mailapp.server.cli" in argv and b"serve" in argv:
                return int(entry.name)
    raise SystemExit("the server process was not found")


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` so far (Linux /proc, 10 ms ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def self_cpu_seconds() -> float:
    """CPU seconds of this process and of its children that have ended: a first sync of more
    than 5,000 changes applies its feed in a child process (sync/feed_process.py), reaped
    before the cycle reports, and that CPU is the client's too."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        used = resource.getrusage(who)
        total += used.ru_utime + used.ru_stime
    return total


def report_initial(mode: str, figures: dict[str, Any]) -> None:
    rate = figures["messages"] / figures["seconds"]
    if mode == "headers":
        what = "headers only (bodies when opened)"
        goal = f"goal ≥ {GOAL_HEADERS:,} msg/s"
    else:
        what = f'every body offline ("All mail", {figures["bodies"]:,} bodies)'
        low, high = MBSYNC_ALL_BODIES
        goal = (
            f"goal ≥ 2× mbsync = {2 * low:,}–{2 * high:,} msg/s; "
            f"{rate / low:.1f}×–{rate / high:.1f}× mbsync's {low:,}–{high:,}"
        )
    print(
        f"initial sync of {figures['messages']:,} messages, {what}, through the Qt worker: "
        f"{figures['seconds']:.1f} s = {rate:,.0f} msg/s ({goal}); "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB (before sync {figures['rss_before_mb']:.0f} MB)"
    )
    print(
        f"  UI event loop during the sync (10 ms heartbeat): longest stall "
        f"{figures['max_gap_ms']} ms, p99 {figures['p99_gap_ms']} ms, "
        f"{figures['beats']} beats, {figures['change_signals']} changesApplied signals; "
        f"idle (no sync) longest gap {figures['idle_max_gap_ms']} ms, "
        f"load average {figures['load']} on {os.cpu_count()} CPUs"
    )
    messages = figures["messages"]
    client_cpu, server_cpu = figures["client_cpu"], figures["server_cpu"]
    print(
        f"  CPU during the sync: client {client_cpu:.1f} s ({client_cpu / messages * 1e6:,.0f} µs "
        f"per message), server {server_cpu:.1f} s ({server_cpu / messages * 1e6:,.0f} µs per "
        f"message); {messages / max(client_cpu, server_cpu, 1e-9):,.0f} msg per CPU-second of "
        f"the busier side, {messages / (client_cpu + server_cpu):,.0f} msg per CPU-second of "
        "both (what 2 free cores would reach at best and worst, whatever the load now)"
    )
    if figures.get("sample"):
        print(
            f"  bodies alone, {figures['sample']:,} each way, same moment: one GET /body per "
            f"message {figures['one_by_one_per_s']:,.0f} bodies/s, POST /v1/bodies in bulk "
            f"{figures['bulk_per_s']:,.0f} bodies/s "
            f"({figures['bulk_per_s'] / figures['one_by_one_per_s']:.1f}×)"
        )


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def bodies_here(store: Any) -> int:
    from sqlalchemy import func, select

    from mailapp.store.schema import message_bodies

    with store._read() as conn:
        return int(conn.execute(select(func.count()).select_from(message_bodies)).scalar_one())


def compare_body_paths(store: Any, account_id: str, sample: int = 1000) -> dict[str, float]:
    """Bodies/s of the old path (one GET /body each) and of POST /v1/bodies, on the same
    machine at the same moment (a loaded machine slows both alike)."""
    from mailapp.store.replica_bodies import missing_bodies

    engine = SyncEngine(store, client_for(store, account_id), account_id)
    ids = missing_bodies(store, account_id, None, 2 * sample)
    half = len(ids) // 2
    if not half:
        return {}
    start = time.perf_counter()
    for message_id in ids[:half]:
        engine.fetch_body(message_id)
    one_by_one = half / (time.perf_counter() - start)
    start = time.perf_counter()
    engine.fetch_bodies(ids[half:])
    bulk = (len(ids) - half) / (time.perf_counter() - start)
    engine.client.close()
    return {"sample": half, "one_by_one_per_s": one_by_one, "bulk_per_s": bulk}


def child_initial(url: str, name: str, profile: str, count: int, mode: str, server: int) -> None:
    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QTimer

    from mailapp.store.replica_bodies import ALL_MAIL
    from mailapp.store.settings import AppSettings, save_settings
    from mailapp.ui.syncing.sync_worker import SyncController

    app = QCoreApplication([])
    store = open_store(Path(profile) / "mail.sqlite3")
    signed = add_account(store, url, name, PASSWORD)
    # Headers only: no body until opened. All: every body kept offline.
    save_settings(store, AppSettings(prefetch_days=ALL_MAIL if mode == "all" else 0))
    wanted_bodies = count if mode == "all" else 0
    inbox = store.mailbox_by_role(signed.account_id, "inbox")
    assert inbox is not None
    controller = SyncController(
        store.path, signed.account_id, ui_store=store, use_network_information=False
    )
    gaps: list[int] = []
    signals = [0]
    clock = QElapsedTimer()
    heartbeat = QTimer()
    heartbeat.setInterval(10)
    heartbeat.timeout.connect(lambda: gaps.append(clock.restart()))
    finished: list[float] = []
    started = [0.0]
    cpu: dict[str, float] = {}

    def on_changes(changes: object) -> None:
        # What a view does: re-read what changed (here: the inbox count).
        signals[0] += 1
        store.count(inbox.id)

    def on_state(state: str, _retry: int) -> None:
        if state == "syncing" and not started[0]:
            started[0] = time.perf_counter()
            cpu["client"], cpu["server"] = self_cpu_seconds(), process_cpu_seconds(server)
        if (
            state == "online"
            and started[0]
            and not finished
            and store.count(inbox.id) >= count
            and bodies_here(store) >= wanted_bodies
        ):
            finished.append(time.perf_counter())
            cpu["client"] = self_cpu_seconds() - cpu["client"]
            cpu["server"] = process_cpu_seconds(server) - cpu["server"]
            app.quit()

    controller.changesApplied.connect(on_changes)
    controller.stateChanged.connect(on_state)
    before = rss_mb()
    # The same heartbeat with nothing syncing: what the machine itself adds (a loaded machine
    # delays any thread now and then).
    clock.start()
    heartbeat.start()
    QTimer.singleShot(3000, app.quit)
    app.exec()
    idle = sorted(gaps[1:]) or [0]
    gaps.clear()
    load = os.getloadavg()[0]
    QTimer.singleShot(3_600_000, app.quit)  # bounded
    clock.restart()
    controller.start()
    app.exec()
    heartbeat.stop()
    controller.shutdown()
    synced = store.count(inbox.id)
    bodies = bodies_here(store)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    compared = compare_body_paths(store, signed.account_id) if mode == "headers" else {}
    store.close()
    ordered = sorted(gaps[1:]) or [0]
    print(
        json.dumps(
            {
                "messages": synced,
                "bodies": bodies,
                "seconds": (finished[0] if finished else time.perf_counter()) - started[0],
                "client_cpu": cpu["client"] if finished else float("nan"),
                "server_cpu": cpu["server"] if finished else float("nan"),
                "peak_rss_mb": peak,
                "rss_before_mb": before,
                "max_gap_ms": ordered[-1],
                "p99_gap_ms": ordered[int(len(ordered) * 0.99)],
                "beats": len(gaps),
                "change_signals": signals[0],
                "idle_max_gap_ms": idle[-1],
                "load": round(max(load, os.getloadavg()[0]), 1),
                **compared,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--mutations", type=int, default=1000)
    parser.add_argument("--baseline", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--skip-flush", action="store_true")
    parser.add_argument("--skip-initial", action="store_true")
    parser.add_argument("--child-initial", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_initial:
        url, name, profile, count, mode, server = args.child_initial
        child_initial(url, name, profile, int(count), mode, int(server))
        return
    with tempfile.TemporaryDirectory(prefix="mailapp-bench-sync-") as tmp:
        work = Path(tmp)
        (work / "server").mkdir()
        with serve(work / "server") as (url, database_url):
            if not args.skip_flush:
                bench_flush(url, database_url, work, args.mutations, args.baseline, args.latency)
            if not args.skip_initial:
                bench_initial(url, database_url, work, args.messages)


if __name__ == "__main__":
    main()

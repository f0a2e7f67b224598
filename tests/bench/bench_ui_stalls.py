"""UI stalls and memory of the real window while it syncs a big mailbox; prints figures.

    .venv/bin/python tests/bench/bench_ui_stalls.py [--messages 100000] [--top 8] [--gc ui|cpython]

The real server (`mailapp-server serve`, SQLite) runs in a subprocess on 127.0.0.1 with
`--messages` header rows in the inbox. A fresh child process opens the profile the way the app
does after its first paint (MainWindow over the store, then `setup_window_sync`, the real sync
worker and views) on the offscreen platform, and runs until the inbox holds every message.

A probe measures the UI thread meanwhile:
- a 10 ms heartbeat QTimer on the UI thread: every gap between beats is a stall of the event loop;
- a sampling thread that, whenever the UI thread has not beaten for over 30 ms, records where the
  UI thread is (sys._current_frames()); the stalls over 50 ms are grouped by the deepest mailapp
  frame, so the cause of the longest stall is named, not guessed;
- the same sampler as a GIL probe: how late it gets the GIL back after each 5 ms tick (minus
  its own wait for a CPU) is how long another thread held it; the holder's stack as it lets go
  names what held it, and its schedstat CPU time says whether it ran meanwhile or was itself
  preempted while holding the GIL (the machine's load, not the code); full garbage collections;
- the process's RSS (VmRSS) every 100 ms: the peak while syncing and at the end, store attached.
Goals (issue 11): longest UI stall <= 50 ms; RSS with a 100k mailbox open and syncing <= 120 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

STALL_GOAL_MS = 50
RSS_GOAL_MB = 120
SAMPLE_OVER_MS = 30
TICK_S = 0.005  # the sampler's period
GIL_HOLD_MS = 15  # a GIL wait of the sampler over this names the holder
# Innermost Python functions of a thread that is blocked (socket, queue, event): not counted
# among the threads competing with the UI thread.
BLOCKED = {"readinto", "recv_into", "wait", "_worker", "select", "poll", "accept"}


def rss_mb(pid: str = "self") -> float:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # gone meanwhile
        pass
    return 0.0


def pss_mb(pid: str = "self") -> float:
    """Proportional set size: each shared page (the libraries the window and its child both
    map) divided among the processes mapping it, so a sum over processes counts it once."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) / 1024
    except OSError:  # gone meanwhile
        pass
    return 0.0


def family_pss_mb() -> float:
    """PSS of this process and its children together."""
    pids: list[str] = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as children:
                pids += children.read().split()
        except OSError:
            continue
    return pss_mb() + sum(pss_mb(pid) for pid in pids)


def children_rss_mb() -> float:
    """RSS of this process's children (the feed child of a big first sync, whose memory the
    app's footprint includes though not its process's)."""
    pids: list[str] = []
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/children") as children:
                pids += children.read().split()
        except OSError:
            continue
    return sum(rss_mb(pid) for pid in pids)


def child(profile: Path, count: int, top: int, gc_mode: str) -> None:
    import faulthandler
    import gc
    import signal
    import threading
    from collections import Counter
    from contextlib import ExitStack

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from mailapp.store import open_store
    from mailapp.ui.window.main_window import MainWindow
    from mailapp.ui.window.window_sync import setup_window_sync

    # `kill -USR1 <child>` prints every thread's stack to stderr, for a run that seems stuck.
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    faulthandler.enable()  # a crash prints where each thread was
    app = QApplication([])
    ui_thread = threading.get_ident()
    last_beat = [time.perf_counter()]
    last_cpu = [time.thread_time()]
    gaps: list[float] = []
    # The UI thread's own CPU time between beats: on a loaded machine a gap also holds time the
    # thread waited for a CPU (or the GIL); this is the part its own work took.
    cpu_gaps: list[float] = []
    samples: list[tuple[float, str]] = []  # (time, where the UI thread was) during stalls
    rss: list[float] = []
    child_rss: list[float] = []  # sampled with `rss`, at the same moments
    family_pss: list[float] = []  # the window's and its children's PSS, once a second
    stop = threading.Event()

    # The kernel's count of how long this thread waited on a run queue for a CPU (Linux
    # schedstat, ns): a stall minus that wait is what the process itself caused (its own work,
    # or waiting for the GIL), the part the code can change on a machine shared with others.
    schedstat = open(f"/proc/self/task/{threading.get_native_id()}/schedstat", "rb", 0)  # noqa: SIM115

    def run_delay() -> float:
        schedstat.seek(0)
        return int(schedstat.read().split()[1]) / 1e6

    # Times the UI thread went to sleep by itself: between two beats mostly waits for the GIL
    # (each return from Qt's C++ into Python that finds the GIL taken waits on it), so a stall
    # with many is one of many short GIL waits, not one long hold.
    status = open(f"/proc/self/task/{threading.get_native_id()}/status", "rb", 0)  # noqa: SIM115

    def sleeps() -> int:
        status.seek(0)
        line = next(x for x in status.read().splitlines() if x.startswith(b"voluntary_ctxt"))
        return int(line.split()[1])

    last_queue, last_sleeps = [run_delay()], [sleeps()]
    own_gaps: list[float] = []  # each gap minus the CPU queue wait in it
    gap_sleeps: list[tuple[float, int]] = []  # (own gap, the UI thread's sleeps in it)

    def beat() -> None:
        now, cpu, queue, slept = time.perf_counter(), time.thread_time(), run_delay(), sleeps()
        gap = (now - last_beat[0]) * 1000
        gaps.append(gap)
        cpu_gaps.append((cpu - last_cpu[0]) * 1000)
        own_gaps.append(gap - (queue - last_queue[0]))
        gap_sleeps.append((own_gaps[-1], slept - last_sleeps[0]))
        last_beat[0], last_cpu[0], last_queue[0], last_sleeps[0] = now, cpu, queue, slept

    others: list[str] = []  # where the other threads were during stalls

    def where_in(frame: Any, outside: str) -> str:
        # Frames walked by hand: traceback.extract_stack() reads each sampled file's source
        # into linecache, memory the app itself never holds (22 MB of it in a run traced with
        # tracemalloc), which the RSS measured here must not include.
        stack: list[tuple[str, str, int]] = []  # (file, function, line), innermost first
        while frame is not None:
            stack.append((frame.f_code.co_filename, frame.f_code.co_name, frame.f_lineno))
            frame = frame.f_back
        ours = [f for f in stack if "/mailapp/" in f[0] and "bench_" not in f[0]]
        where = " <- ".join(f"{Path(file).stem}.{name}:{line}" for file, name, line in ours[:3])
        file, name, _line = stack[0]
        return f"{where or outside} [in {Path(file).name}:{name}]"

    names: dict[int, str] = {}
    natives: dict[int, int] = {}
    # The sampler is a GIL probe too: it wakes every TICK_S, and how late it gets the GIL back
    # (minus its own wait for a CPU) is how long another thread held it. At that moment the
    # holder has just let go, so its stack names what held the GIL (a long C call returns to
    # the line that made it); its schedstat says whether it ran on a CPU all that while or was
    # itself preempted holding the GIL (the machine's load, not the code).
    threads_stat: dict[int, Any] = {}  # native id -> its schedstat file
    holds: list[tuple[float, str, float]] = []  # (GIL wait ms, holder's site, holder's CPU ms)

    def stat_of(native: int) -> tuple[float, float]:
        """(CPU ms, run-queue wait ms) of a thread of this process, 0s once it is gone."""
        try:
            if native not in threads_stat:
                threads_stat[native] = open(f"/proc/self/task/{native}/schedstat", "rb", 0)  # noqa: SIM115
            threads_stat[native].seek(0)
            cpu, queue = threads_stat[native].read().split()[:2]
        except (OSError, ValueError):
            return 0.0, 0.0
        return int(cpu) / 1e6, int(queue) / 1e6

    def gc_timer(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc_started[0] = time.perf_counter()
        elif info["generation"] == 2:
            gc_full.append((time.perf_counter() - gc_started[0]) * 1000)

    gc_started = [0.0]
    gc_full: list[float] = []  # ms of each full collection (all threads)
    gc.callbacks.append(gc_timer)

    def sampler() -> None:
        next_rss = 0.0
        me = threading.get_native_id()
        woke, my_queue = time.perf_counter(), stat_of(me)[1]
        before: dict[int, tuple[float, float]] = {}
        while not stop.wait(TICK_S):
            now, queue = time.perf_counter(), stat_of(me)[1]
            gil_wait = (now - woke - TICK_S) * 1000 - (queue - my_queue)
            if len(names) != threading.active_count():
                names.update((t.ident or 0, t.name) for t in threading.enumerate())
                natives.update((t.ident or 0, t.native_id or 0) for t in threading.enumerate())
            frames = sys._current_frames()
            after = {ident: stat_of(natives.get(ident, 0)) for ident in frames}
            if gil_wait > GIL_HOLD_MS:
                for ident, other in frames.items():
                    ran = after[ident][0] - before.get(ident, after[ident])[0]
                    if ident != threading.get_ident() and other.f_code.co_name not in BLOCKED:
                        site = (
                            f"{names.get(ident, 'a Qt thread')}: {where_in(other, '(no mailapp)')}"
                        )
                        holds.append((gil_wait, site, ran))
            before, woke, my_queue = after, now, queue
            if now >= next_rss:
                rss.append(rss_mb())
                child_rss.append(children_rss_mb())
                if len(rss) % 10 == 1:  # smaps_rollup walks every mapping: once a second
                    family_pss.append(family_pss_mb())
                next_rss = now + 0.1
            if (now - last_beat[0]) * 1000 < SAMPLE_OVER_MS:
                continue
            frame = frames.get(ui_thread)
            if frame is None:
                continue
            samples.append((now, where_in(frame, "(Qt event loop)")))
            # The UI thread mostly stalls outside Python, waiting for the GIL (its own CPU time
            # stays small): what the other threads run meanwhile is what holds it.
            for ident, other in frames.items():
                if other.f_code.co_name in BLOCKED:
                    continue  # waiting for the network or a queue: holding neither
                if ident not in (ui_thread, threading.get_ident()):
                    others.append(
                        f"{names.get(ident, 'a Qt thread')}: {where_in(other, '(no mailapp)')}"
                    )

    with ExitStack() as cleanup:
        store = open_store(profile / "mail.sqlite3")
        cleanup.callback(store.close)
        window = MainWindow(store)
        window.resize(1200, 800)
        window.show()
        if gc_mode == "ui":
            from mailapp.ui.common import ui_gc

            ui_gc.resume()  # as the app after its first paint: cycles collected on the UI thread
        inbox = store.mailbox_by_role(store.accounts()[0][0], "inbox")
        heartbeat = QTimer()
        heartbeat.setInterval(10)
        heartbeat.timeout.connect(beat)
        start = time.perf_counter()
        done: list[float] = []

        def check() -> None:
            nonlocal inbox
            if inbox is None:
                inbox = store.mailbox_by_role(store.accounts()[0][0], "inbox")
            if inbox is not None and store.count(inbox.id) >= count and not done:
                done.append(time.perf_counter())
                QTimer.singleShot(500, app.quit)  # let the last refreshes land

        poll = QTimer()
        poll.setInterval(250)
        poll.timeout.connect(check)
        threading.Thread(target=sampler, daemon=True).start()
        last_beat[0], last_cpu[0] = time.perf_counter(), time.thread_time()
        last_queue[0], last_sleeps[0] = run_delay(), sleeps()
        heartbeat.start()
        poll.start()
        setup_window_sync(window, store, cleanup)
        QTimer.singleShot(3_600_000, app.quit)  # bounded
        app.exec()
        heartbeat.stop()
        stop.set()
        end_rss = rss_mb()
        window.close()
    ordered = sorted(gaps[1:]) or [0.0]
    cpu_ordered = sorted(cpu_gaps[1:]) or [0.0]
    own_ordered = sorted(own_gaps[1:]) or [0.0]
    # A 5 ms sample per stalled moment: the counts weigh the sites by time spent stalled.
    long_sites = Counter(where for _taken, where in samples)
    gc.callbacks.remove(gc_timer)
    # Per holder site: how often, the longest wait, and the share of the waits it ran on a CPU.
    hold_sites: dict[str, list[float]] = {}
    for waited, site, ran in holds:
        entry = hold_sites.setdefault(site, [0, 0.0, 0.0, 0.0])
        entry[0] += 1
        entry[1] = max(entry[1], waited)
        entry[2] += waited
        entry[3] += min(ran, waited)
    hold_list = sorted(hold_sites.items(), key=lambda item: -item[1][2])[:top]
    print(
        json.dumps(
            {
                "seconds": (done[0] if done else time.perf_counter()) - start,
                "complete": bool(done),
                "max_gap_ms": round(ordered[-1], 1),
                "p99_gap_ms": round(ordered[int(len(ordered) * 0.99)], 1),
                "over_goal": sum(1 for g in ordered if g > STALL_GOAL_MS + 10),
                "max_cpu_ms": round(cpu_ordered[-1], 1),
                "p99_cpu_ms": round(cpu_ordered[int(len(cpu_ordered) * 0.99)], 1),
                "beats": len(ordered),
                "max_own_ms": round(own_ordered[-1], 1),
                "p99_own_ms": round(own_ordered[int(len(own_ordered) * 0.99)], 1),
                "own_over_goal": sum(1 for g in own_ordered if g > STALL_GOAL_MS + 10),
                "peak_rss_mb": round(max(rss or [0.0]), 1),
                "child_rss_mb": round(max(child_rss or [0.0]), 1),
                "family_rss_mb": round(
                    max(map(sum, zip(rss, child_rss, strict=False)), default=0.0), 1
                ),
                "family_pss_mb": round(max(family_pss or [0.0]), 1),
                "end_rss_mb": round(end_rss, 1),
                "sites": long_sites.most_common(top),
                "other_sites": Counter(others).most_common(top),
                "load": round(os.getloadavg()[0], 1),
                "gil_waits": len({round(w, 3) for w, _s, _r in holds}),
                "gil_max_ms": round(max((w for w, _s, _r in holds), default=0.0), 1),
                "gil_sites": [
                    (site, n, round(most, 1), round(ran / total * 100) if total else 0)
                    for site, (n, most, total, ran) in hold_list
                ],
                "longest_own": [(round(g, 1), n) for g, n in sorted(gap_sleeps[1:])[-8:]],
                "gc_full": len(gc_full),
                "gc_full_max_ms": round(max(gc_full, default=0.0), 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--top", type=int, default=8)
    parser.add_argument(
        "--gc", choices=("ui", "cpython"), default="ui",
        help="ui: the app's collector on the UI thread (default); cpython: CPython's own, in "
        "whichever thread allocates (the app before ui_gc)",
    )  # fmt: skip
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(Path(args.child[0]), int(args.child[1]), args.top, args.gc)
        return
    from mailapp.store import open_store
    from mailapp.sync.account import add_account
    from tests.bench.bench_support import PASSWORD, add_user, fill_messages, new_name, serve

    with tempfile.TemporaryDirectory(prefix="bench-stalls-") as tmp:
        work = Path(tmp)
        (work / "server").mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHON_KEYRING_BACKEND": "tests.sync.keyring_backend.FileKeyring",
            "MAILAPP_TEST_KEYRING": str(work / "keys.json"),
        }
        os.environ.update({k: env[k] for k in ("PYTHON_KEYRING_BACKEND", "MAILAPP_TEST_KEYRING")})
        with serve(work / "server") as (url, database_url):
            name = new_name("stalls")
            account = add_user(database_url, name)
            start = time.perf_counter()
            fill_messages(database_url, account, args.messages)
            print(f"seeded {args.messages:,} messages in {time.perf_counter() - start:.1f} s")
            with open_store(work / "profile" / "mail.sqlite3") as store:
                add_account(store, url, name, PASSWORD)
            command = [sys.executable, __file__, "--child", str(work / "profile")]
            command += [str(args.messages), "--top", str(args.top), "--gc", args.gc]
            out = subprocess.run(
                command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, timeout=4000,
                check=False,
            )  # fmt: skip
        if out.returncode:
            raise SystemExit(f"the window's process failed ({out.returncode}): {out.stdout}")
        figures = json.loads(out.stdout.strip().splitlines()[-1])
    print(
        f"window syncing {args.messages:,} messages ({figures['seconds']:.0f} s, "
        f"{'complete' if figures['complete'] else 'NOT complete'}): longest UI stall "
        f"{figures['max_gap_ms']} ms, p99 {figures['p99_gap_ms']} ms, "
        f"{figures['over_goal']} stalls over {STALL_GOAL_MS + 10} ms in {figures['beats']} "
        f"beats; goal <= {STALL_GOAL_MS} ms"
    )
    print(
        f"  the UI thread's own CPU time between two beats: longest {figures['max_cpu_ms']} ms, "
        f"p99 {figures['p99_cpu_ms']} ms (the rest of a stall is waiting for a CPU or the GIL)"
    )
    print(
        f"  without the time the UI thread waited for a CPU (schedstat run delay): longest "
        f"{figures['max_own_ms']} ms, p99 {figures['p99_own_ms']} ms, "
        f"{figures['own_over_goal']} over {STALL_GOAL_MS + 10} ms (the process's own part: its "
        f"work and waiting for the GIL)"
    )
    print(
        f"RSS with the {args.messages:,}-message store attached and syncing: peak "
        f"{figures['peak_rss_mb']} MB, at the end {figures['end_rss_mb']} MB (a feed child "
        f"process's peak besides: {figures['child_rss_mb']} MB); "
        f"goal <= {RSS_GOAL_MB} MB (bare Qt 60 MB); load average {figures['load']} on "
        f"{os.cpu_count()} CPUs"
    )
    print(
        f"  the window and its child together: peak RSS {figures['family_rss_mb']} MB (the "
        f"libraries both map counted twice), peak PSS {figures['family_pss_mb']} MB (counted once)"
    )
    print(f"  where the UI thread was during stalls over {SAMPLE_OVER_MS} ms (5 ms samples):")
    for where, hits in figures["sites"]:
        print(f"    {hits:5d} x {where}")
    print("  and where the other threads were meanwhile (what held the GIL or a CPU):")
    for where, hits in figures["other_sites"]:
        print(f"    {hits:5d} x {where}")
    print(
        f"GIL probe: {figures['gil_waits']} waits over {GIL_HOLD_MS} ms for the GIL (without CPU "
        f"waits), longest {figures['gil_max_ms']} ms; full garbage collections "
        f"{figures['gc_full']}, longest {figures['gc_full_max_ms']} ms. Where the holder was as it "
        f"let go (times, longest wait, % of the waits it ran on a CPU; the rest it was preempted):"
    )
    shown = ", ".join(f"{gap} ms ({n})" for gap, n in reversed(figures["longest_own"]))
    print(f"  the longest stalls without CPU waits (times the UI thread slept in each): {shown}")
    for site, hits, most, ran in figures["gil_sites"]:
        print(f"    {hits:5d} x {most:6.1f} ms {ran:3d}% {site}")


if __name__ == "__main__":
    main()

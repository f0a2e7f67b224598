"""Start-up, memory and search benchmark for the desktop app over a 100,000-message profile.

    python tests/bench/bench_startup.py [--messages 100000] [--runs 7]

Prints, each as the median of several fresh subprocesses (after one discarded warm-up run, so
the OS page cache is warm and the figures measure our code rather than the disk):
- time from process start to the first painted page of the message list (`mailapp --profile P`),
- the same for a bare PySide6 window with a QTableView started the same way, and the ratio
  (the two are started in turns; their CPU times and the load average are printed too, since
  the machine may be shared and wall time suffers most from that);
- peak RSS of the app process (ru_maxrss from wait4);
- how long after the first paint the store is attached, and the longest UI stall meanwhile, and
  the RSS of that process once the window is complete (the 100,000-message mailbox open, the
  sync machinery set up, not syncing: the profile has no account);
- where the app's start-up import time goes (`-X importtime` self times summed per owner);
- `store.search` latency, median and p95, for a rare, a medium and a common term.
Targets: start within 1.6x of the bare window, RSS under 150 MB, search p95 under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# Only light imports up here: the child processes are forked from this one, and a fork starts out
# with the parent's resident pages, which ru_maxrss would count. The store is imported after the
# start-up runs and the profile is built in a separate process.
from mailapp.cli import EXIT_AFTER_FIRST_PAINT_ENV, REPORT_FIRST_PAINT_ENV  # noqa: E402
from mailapp.paths import store_path  # noqa: E402

TARGET_RATIO = 1.6
TARGET_RSS_MB = 150
TARGET_OPEN_RSS_MB = 120  # issue 11: a 100k mailbox open (and syncing)
TARGET_SEARCH_P95_MS = 50
SEARCH_REPEATS = 40

# The baseline: the least a PySide6 app must do to paint a table, started like mailapp.
BARE_WINDOW = f"""
import os, sys, time
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

class View(QTableView):
    done = False
    def paintEvent(self, event):
        super().paintEvent(event)
        if not self.done and self.model().rowCount():
            self.done = True
            print(f"first-paint {{time.time():.6f}}", flush=True)
            if os.environ.get("{EXIT_AFTER_FIRST_PAINT_ENV}"):
                app.quit()

app = QApplication(sys.argv)
model = QStandardItemModel(0, 5)
for row in range(100):
    model.appendRow([QStandardItem(f"cell {{row}} {{col}}") for col in range(5)])
window = QMainWindow()
view = View()
view.setModel(model)
window.setCentralWidget(view)
window.resize(1200, 760)
window.show()
app.exec()
"""


def build_profile(profile: Path, messages: int) -> None:
    marker = profile / f"built-{messages}"
    if marker.exists():
        print(f"profile: reusing {profile}")
        return
    profile.mkdir(parents=True, exist_ok=True)
    for stale in profile.glob("mail.sqlite3*"):
        stale.unlink()
    started = time.perf_counter()
    build = (
        "import sys; from pathlib import Path; from mailapp.store import open_store; "
        "from mailapp.ui.demo_profile import fill_demo; "
        "store = open_store(Path(sys.argv[1])); fill_demo(store, int(sys.argv[2])); store.close()"
    )
    subprocess.run(
        [sys.executable, "-c", build, str(store_path(profile)), str(messages)], check=True, cwd=REPO
    )
    marker.touch()
    print(
        f"profile: built {messages:,} messages in {time.perf_counter() - started:.1f} s"
        f" at {profile}"
    )


@dataclass(frozen=True)
class Start:
    seconds: float  # wall time from spawning to the reported first paint
    cpu_seconds: float  # the child's user + system time (it exits right after the first paint)
    rss_mb: float  # the child's peak RSS


def timed_start(command: list[str], env: dict[str, str]) -> Start:
    started = time.time()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=REPO
    )
    assert child.stdout is not None
    painted: float | None = None
    for line in child.stdout:
        if line.startswith("first-paint "):
            painted = float(line.split()[1])
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if painted is None or child.returncode != 0:
        raise SystemExit(f"{command} exited {child.returncode} without reporting a first paint")
    return Start(painted - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def interleaved_starts(
    commands: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, list[Start]]:
    """`runs` starts of each command, taken in turns so a change in the machine's load (it may
    be shared) weighs on every command alike; one discarded warm-up start each first."""
    for command in commands.values():
        timed_start(command, env)  # warm-up: page cache, font cache, .pyc files
    samples: dict[str, list[Start]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            samples[name].append(timed_start(command, env))
    return samples


IMPORT_COSTS = (
    "PySide6.QtWidgets",
    "sqlalchemy",
    "mailapp",
    "mailapp.store",
    "mailapp.ui.window.main_window",
)

# Who a module's import time is charged to in the start-up attribution; first match wins.
OWNERS = (
    ("mailapp.ui", "mailapp.ui"),
    ("mailapp.store", "mailapp.store"),
    ("mailapp.core", "mailapp.core"),
    ("mailapp", "mailapp (other)"),
    ("PySide6", "PySide6/shiboken6"),
    ("shiboken6", "PySide6/shiboken6"),
    ("shibokensupport", "PySide6/shiboken6"),
    ("sqlalchemy", "sqlalchemy"),
    ("alembic", "alembic/mako/pygments"),
    ("mako", "alembic/mako/pygments"),
    ("pygments", "alembic/mako/pygments"),
    ("pydantic", "pydantic"),
)


def _owner(module: str) -> str:
    for prefix, owner in OWNERS:
        if module == prefix or module.startswith(f"{prefix}."):
            return owner
    return "stdlib and others"


def start_attribution(command: list[str], env: dict[str, str], runs: int) -> None:
    """Median per-owner sums of `-X importtime` self times over a few starts of the app.

    Self times add up to the whole import time without double counting; stdlib modules are
    charged to "stdlib and others" whoever imported them. Inflated by importtime's own overhead
    (~10-20 %), so compare owners with each other, not with the wall-clock figures above.
    """
    per_owner: dict[str, list[float]] = {}
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-X", "importtime", *command[1:]],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        sums: dict[str, float] = {}
        for line in result.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, _cumulative, name = line.removeprefix("import time:").split("|")
            owner = _owner(name.strip())
            sums[owner] = sums.get(owner, 0.0) + int(self_us) / 1000
        for owner, ms in sums.items():
            per_owner.setdefault(owner, []).append(ms)
    medians = {
        owner: statistics.median(v + [0.0] * (runs - len(v))) for owner, v in per_owner.items()
    }
    total = sum(medians.values())
    print(f"start-up imports (-X importtime, median of {runs}): {total:.0f} ms in all")
    for owner, ms in sorted(medians.items(), key=lambda item: -item[1]):
        print(f"  {owner:24} {ms:6.0f} ms")


def import_costs(env: dict[str, str], runs: int) -> None:
    """Median wall time of `python -c "import X"`: where the start-up time goes."""
    baseline = None
    for module in ("sys", *IMPORT_COSTS):
        samples = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(
                [sys.executable, "-c", f"import {module}"],
                env=env,
                cwd=REPO,
                check=True,
                stderr=subprocess.DEVNULL,
            )
            samples.append(time.perf_counter() - started)
        median = statistics.median(samples) * 1000
        if baseline is None:
            baseline = median
            print(f"import (bare interpreter start {baseline:.0f} ms, subtracted below)")
            continue
        print(f"import {module:24} {median - baseline:6.0f} ms")


# The second phase of a start (mailapp.ui.app): after the first paint the store's modules load
# on a worker thread and the store opens. Prints how long after the first paint the window is
# complete, and the longest time the UI thread did not answer meanwhile (a 2 ms timer's gaps).
SECOND_PHASE = """
import sys, time
from contextlib import ExitStack
from pathlib import Path
from PySide6.QtCore import QTimer
from mailapp.cli import GuiOptions
from mailapp.ui import app as desktop_app

qapp = desktop_app._create_application([])
options = GuiOptions(Path(sys.argv[1]), False, None, False, False)
marks, ticks = {}, []
timer = QTimer(interval=2)
timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
with ExitStack() as cleanup:
    (window,) = desktop_app._open_first_screen(options, cleanup, qapp)
    def painted():
        marks.setdefault("painted", time.perf_counter())
        timer.start()
    def attached():
        marks["attached"] = time.perf_counter()
        timer.stop()
        qapp.quit()
    window.message_list.firstPagePainted.connect(painted)
    window.storeAttached.connect(attached)
    window.show()
    qapp.exec()
    # VmRSS with the window complete; VmHWM, the peak, includes the start-up's transient pages.
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    rss = {key: int(status[key].split()[0]) / 1024 for key in ("VmRSS", "VmHWM")}
    window.close()
ticks = [marks["painted"], *ticks, marks["attached"]]
print(rss["VmRSS"], rss["VmHWM"])
print(marks["attached"] - marks["painted"], max(b - a for a, b in zip(ticks, ticks[1:])))
"""


def second_phase(profile: Path, env: dict[str, str], runs: int) -> None:
    complete, stalls, rss, peak = [], [], [], []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", SECOND_PHASE, str(profile)],
            env={k: v for k, v in env.items() if k != EXIT_AFTER_FIRST_PAINT_ENV},
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        resident, high, done, stall = map(float, result.stdout.split()[-4:])
        complete.append(done)
        stalls.append(stall)
        rss.append(resident)
        peak.append(high)
    print(
        f"second phase: store attached {statistics.median(complete) * 1000:.0f} ms after the"
        f" first paint (median of {runs}); longest UI stall meanwhile"
        f" {statistics.median(stalls) * 1000:.0f} ms (median)"
    )
    print(
        f"memory with the window complete (store attached, not syncing): RSS"
        f" {statistics.median(rss):.1f} MB, peak {max(peak):.1f} MB (goal <="
        f" {TARGET_OPEN_RSS_MB} MB with the mailbox open and syncing: see bench_ui_stalls.py)"
    )


def search_latency(profile: Path) -> None:
    from mailapp.core.demo import COMMON_TERM, MEDIUM_TERM, RARE_TERM
    from mailapp.store import open_store

    store = open_store(store_path(profile))
    try:
        for label, term in (("rare", RARE_TERM), ("medium", MEDIUM_TERM), ("common", COMMON_TERM)):
            store.search(term)  # first query pays for loading index pages
            times = []
            hits = 0
            for _ in range(SEARCH_REPEATS):
                started = time.perf_counter()
                hits = len(store.search(term))
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
            verdict = "ok" if p95 < TARGET_SEARCH_P95_MS else "OVER TARGET"
            median = statistics.median(times)
            print(
                f"search {label:6} {term!r:12} hits={hits:4}  median {median:6.1f} ms"
                f"  p95 {p95:6.1f} ms  ({verdict}, target p95 < {TARGET_SEARCH_P95_MS} ms)"
            )
    finally:
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--cache-dir", type=Path, default=Path(tempfile.gettempdir()) / "mailapp-bench"
    )
    args = parser.parse_args()

    profile = args.cache_dir / f"profile-{args.messages}"
    build_profile(profile, args.messages)

    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not env.get("DISPLAY") else "xcb")
    env[REPORT_FIRST_PAINT_ENV] = "1"
    env[EXIT_AFTER_FIRST_PAINT_ENV] = "1"
    # Keep the log out of the user's real state dir.
    env["XDG_STATE_HOME"] = str(args.cache_dir / "state")
    # An installed app starts from compiled .pyc files (pip writes them). A shell with
    # PYTHONDONTWRITEBYTECODE would make every start compile mailapp's sources again (~30 ms,
    # which the bare window never pays), so the children cache bytecode, outside the checkout;
    # the warm-up start writes it.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(args.cache_dir / "pycache")
    print(
        f"platform: {env['QT_QPA_PLATFORM']}, {args.runs} runs each (+1 warm-up), "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs"
    )
    # The machine may be shared: the load average says how much the figures can be trusted.
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))

    app_command = [sys.executable, "-m", "mailapp", "--profile", str(profile)]
    samples = interleaved_starts(
        {"mailapp": app_command, "bare window": [sys.executable, "-c", BARE_WINDOW]},
        env,
        args.runs,
    )
    medians: dict[str, tuple[float, float]] = {}
    for name, starts in samples.items():
        wall = statistics.median(s.seconds for s in starts)
        fastest = min(s.seconds for s in starts)
        cpu = statistics.median(s.cpu_seconds for s in starts)
        medians[name] = (wall, cpu)
        print(
            f"start  {name:11} median {wall * 1000:7.0f} ms  (min {fastest * 1000:5.0f})"
            f"  CPU {cpu * 1000:5.0f} ms  peak RSS {max(s.rss_mb for s in starts):6.1f} MB"
        )
    print("load average after:  {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    ratio = medians["mailapp"][0] / medians["bare window"][0]
    cpu_ratio = medians["mailapp"][1] / medians["bare window"][1]
    print(
        f"start  ratio {ratio:.2f}x  ({'ok' if ratio <= TARGET_RATIO else 'OVER TARGET'}, "
        f"target <= {TARGET_RATIO}x); CPU-time ratio {cpu_ratio:.2f}x (less load-sensitive)"
    )
    app_rss = max(s.rss_mb for s in samples["mailapp"])
    parent_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory this script peaked at {parent_mb:.1f} MB before forking (a floor for child RSS)")
    print(
        f"memory mailapp peak RSS {app_rss:.1f} MB  "
        f"({'ok' if app_rss < TARGET_RSS_MB else 'OVER TARGET'}, target < {TARGET_RSS_MB} MB)"
    )
    second_phase(profile, env, min(args.runs, 5))
    start_attribution(app_command, env, min(args.runs, 5))
    import_costs(env, args.runs)
    search_latency(profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`mailapp sync --once` as a whole process when nothing changed; prints figures, asserts nothing.

    .venv/bin/python tests/bench/bench_headless.py [--messages 10000] [--runs 7]

The real server (`mailapp-server serve`, SQLite) runs in a subprocess on 127.0.0.1; a profile is
signed in with `mailapp account add` and synced once; then `mailapp sync --once` runs `--runs`
times with nothing changed. Prints the median and range of the whole process's wall time beside
the goal, and the heaviest imports of one run (`python -X importtime`).
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.bench_support import (  # noqa: E402
    PASSWORD,
    add_user,
    deliver_messages,
    new_name,
    serve,
)

GOAL_MS = 250
MBSYNC_MS = "63–184"


def mailapp(
    env: dict[str, str], *args: str, stdin: str = "", python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python, "-m", "mailapp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env=env,
        check=False,
    )


def heaviest_imports(stderr: str, top: int = 12) -> list[tuple[int, str]]:
    """(cumulative µs, module) of the top-level imports in `-X importtime` output."""
    rows = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _self, cumulative, name = line[12:].split("|")
        if not name.startswith("   "):  # nested imports are counted in their parent
            rows.append((int(cumulative), name.strip()))
    return sorted(rows, reverse=True)[:top]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-headless-") as tmp:
        work = Path(tmp)
        (work / "server").mkdir()
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "PYTHON_KEYRING_BACKEND": "tests.sync.keyring_backend.FileKeyring",
            "MAILAPP_TEST_KEYRING": str(work / "keys.json"),
            # An installed mailapp has its bytecode compiled (pip writes it): measured without,
            # a source tree under PYTHONDONTWRITEBYTECODE recompiled ~20 modules on every run,
            # 30 ms of CPU the command does not spend once installed.
            "PYTHONPYCACHEPREFIX": str(work / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        with serve(work / "server") as (url, database_url):
            name = new_name("headless")
            account = add_user(database_url, name)
            deliver_messages(database_url, account, args.messages)
            profile = str(work / "profile")
            done = mailapp(
                env, "account", "add", "--profile", profile, "--server", url,
                "--username", name, "--password-stdin", stdin=PASSWORD + "\n",
            )  # fmt: skip
            if done.returncode:
                raise SystemExit(done.stdout + done.stderr)
            start = time.perf_counter()
            first = mailapp(env, "sync", "--profile", profile, "--once")
            print(
                f"initial `mailapp sync --once` of {args.messages:,} messages: "
                f"{time.perf_counter() - start:.1f} s ({first.stdout.strip()})"
            )
            mailapp(env, "sync", "--profile", profile, "--once")  # its bytecode, compiled once
            times, cpu = [], []
            for _ in range(args.runs):
                used = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                done = mailapp(env, "sync", "--profile", profile, "--once")
                times.append((time.perf_counter() - start) * 1000)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append((after.ru_utime - used.ru_utime + after.ru_stime - used.ru_stime) * 1000)
                if done.returncode:
                    raise SystemExit(done.stdout + done.stderr)
            bare = []
            for _ in range(3):
                start = time.perf_counter()
                subprocess.run([sys.executable, "-c", "pass"], check=True)
                bare.append((time.perf_counter() - start) * 1000)
            profiled = mailapp(
                env, "sync", "--profile", profile, "--once", python=("-X", "importtime")
            )
        print(
            f"`mailapp sync --once`, nothing changed, {args.messages:,} messages, whole process: "
            f"median {statistics.median(times):.0f} ms (min {min(times):.0f}, max "
            f"{max(times):.0f}, {args.runs} runs), "
            f"CPU time median {statistics.median(cpu):.0f} ms; "
            f"goal <= {GOAL_MS} ms (mbsync {MBSYNC_MS} ms); "
            f"a bare `python -c pass` {statistics.median(bare):.0f} ms; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        total = sum(us for us, _ in heaviest_imports(profiled.stderr, top=10_000))
        print(f"  imports of one run (-X importtime): {total / 1000:.0f} ms; the heaviest:")
        for us, module in heaviest_imports(profiled.stderr):
            print(f"    {us / 1000:7.1f} ms  {module}")


if __name__ == "__main__":
    main()

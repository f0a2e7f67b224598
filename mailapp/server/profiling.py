"""Opt-in cProfile of a server worker: MAILAPP_PROFILE_DIR=/dir writes <dir>/worker-<pid>.prof.

For finding where a load test's time goes (tests/bench/bench_server_load.py). Sync routes run
in anyio's thread pool, and cProfile sees only the thread that enabled it, so every thread
gets its own profiler the first time it runs Python code; their figures are merged on exit.
Off by default: profiling slows every call.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import threading
from pathlib import Path

_profiles: list[cProfile.Profile] = []
_lock = threading.Lock()


def _start_in_this_thread(*_: object) -> None:
    profile = cProfile.Profile()
    with _lock:
        _profiles.append(profile)
    profile.enable()  # replaces this bootstrap hook for the current thread


def start() -> Path | None:
    """Profile this process from now on when MAILAPP_PROFILE_DIR is set; returns the target."""
    directory = os.environ.get("MAILAPP_PROFILE_DIR")
    if not directory:
        return None
    threading.setprofile(_start_in_this_thread)  # threads started from now on
    _start_in_this_thread()  # and this one (the event loop's)
    return Path(directory) / f"worker-{os.getpid()}.prof"


def stop(target: Path | None) -> None:
    """Merge every thread's figures into `target`."""
    if target is None:
        return
    threading.setprofile(None)  # type: ignore[arg-type]
    sys.setprofile(None)
    with _lock:
        profiles = list(_profiles)
        _profiles.clear()
    stats: pstats.Stats | None = None
    for profile in profiles:
        profile.create_stats()
        if not getattr(profile, "stats", None):
            continue
        if stats is None:
            stats = pstats.Stats(profile)
        else:
            stats.add(profile)
    if stats is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        stats.dump_stats(str(target))

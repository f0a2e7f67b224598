"""How a sync thread shares its process with a window's UI thread (issue 11: no UI stall).

Both run Python, so they take turns holding CPython's GIL. A thread that wants it waits up to
the switch interval before asking its holder to let go, and the UI thread asks each time it
comes back from Qt's C++ into Python: every slot, every model `data()` call, and after each
SQLite step of its own reads (sqlite3 lets go of the GIL around every step). At the default
5 ms, a UI turn with a few dozen such re-entries while the sync thread applied a page waited up
to 5 ms at each. Measured with tests/bench/bench_ui_stalls.py (30,000 messages, load 10-13,
the UI thread's stalls without its wait for a CPU, p99 / longest): default 31-35 / 70-164 ms;
1 ms 20-28 / 36-95 ms; 0.5 ms 23-26 / 49-65 ms. The cost is more, shorter turns for the sync
thread, a few microseconds each, lost in its SQL.

Lowering the sync thread's OS priority (nice 5 or 10 on Linux, per thread) was measured too and
left out: it shortened the UI thread's waits for a CPU a little, but a sync thread preempted
while holding the GIL then waited longer for its next turn, and the UI thread with it (the
longest stall without CPU waits rose to 117 ms, 320 ms in all).

Qt-free; the Qt worker (mailapp.ui.syncing.sync_thread) calls this when its thread starts.
"""

from __future__ import annotations

import sys

UI_SWITCH_INTERVAL_S = 0.0005


def share_gil_with_ui() -> None:
    """Shorten the GIL switch interval for the whole process (never lengthen it)."""
    if sys.getswitchinterval() > UI_SWITCH_INTERVAL_S:
        sys.setswitchinterval(UI_SWITCH_INTERVAL_S)

"""Is the sync server reachable? Debounced probe results, and detection of waking from sleep.

The operating system's reachability report is only a hint (a captive portal looks "online", a
VPN coming up looks like nothing changed); the truth is whether our own server answers its
health check. One lost packet must not flip the app offline and one lucky answer on a flaky
link must not start a sync storm, so a change of state needs a run of consistent results
lasting `down_after` (about 1 s) or `up_after` (0.25 s: probes come every 0.25 s while
undecided, so that is two answers in a row). "Up" is kept short because the user waits for
it (the outbox flushes within ~2 s of the server being back); a link that answers probes and
then fails the sync itself is slowed down by the cycle's own backoff, not by this debounce.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable

Clock = Callable[[], float]


class Reachability(enum.Enum):
    UNKNOWN = "unknown"
    UP = "up"
    DOWN = "down"


class ConnectivityMonitor:
    """Feed it probe (or request) outcomes with `record()`; it answers the debounced state."""

    def __init__(
        self, clock: Clock = time.monotonic, *, down_after: float = 1.0, up_after: float = 0.25
    ) -> None:
        self._clock = clock
        self.down_after = down_after
        self.up_after = up_after
        self.state = Reachability.UNKNOWN
        # Start of the current run of results that disagree with `state`, and their verdict.
        self._streak_since: float | None = None
        self._streak_ok: bool | None = None

    def record(self, ok: bool) -> Reachability | None:
        """Take one outcome; returns the new state when it changed, else None."""
        now = self._clock()
        if self.state is Reachability.UNKNOWN:
            # Nothing to debounce against yet: the first answer decides, so startup is quick.
            return self._set(Reachability.UP if ok else Reachability.DOWN)
        agrees = ok == (self.state is Reachability.UP)
        if agrees:
            self._streak_since = self._streak_ok = None
            return None
        if self._streak_ok is not ok or self._streak_since is None:
            self._streak_since, self._streak_ok = now, ok
        needed = self.up_after if ok else self.down_after
        if now - self._streak_since >= needed:
            return self._set(Reachability.UP if ok else Reachability.DOWN)
        return None

    def settling(self) -> bool:
        """True while a run of disagreeing results is under way (probe again soon to decide)."""
        return self._streak_since is not None

    def reset(self) -> None:
        """Forget everything (e.g. after "work offline" is switched off)."""
        self.state = Reachability.UNKNOWN
        self._streak_since = self._streak_ok = None

    def _set(self, state: Reachability) -> Reachability:
        self.state = state
        self._streak_since = self._streak_ok = None
        return state


class WakeDetector:
    """Notices that the machine slept: a periodic check that runs much later than it should.

    Use a wall clock (`time.time`): the monotonic clock stops during suspend on Linux, so only
    the wall clock shows the gap.
    """

    def __init__(self, clock: Clock = time.time, *, interval: float = 10.0, slack: float = 3.0):
        self._clock = clock
        self.interval = interval
        # How many intervals late counts as "slept": a busy machine runs timers a bit late.
        self.slack = slack
        self._last = clock()

    def check(self) -> bool:
        """Call about every `interval` seconds; True when the previous call was long ago."""
        now = self._clock()
        gap = now - self._last
        self._last = now
        # A wall clock set backwards is not a wake-up either.
        return gap > self.interval * self.slack

"""Retry delays: exponential growth with full jitter, never shorter than a server's Retry-After."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay before retry number `attempt` (1 = the first retry after one failure).

    The upper bound grows as `base * factor ** (attempt - 1)` up to `cap`; the delay is drawn
    uniformly from [bound * (1 - jitter), bound] so that many clients failing together (a
    server restart) do not come back in lockstep.
    """

    base: float = 1.0
    factor: float = 2.0
    cap: float = 300.0
    jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, repr=False)

    def bound(self, attempt: int) -> float:
        exponent = max(0, attempt - 1)
        # Stop multiplying once past the cap: factor ** exponent could overflow a float.
        if exponent > 64:
            return self.cap
        return min(self.cap, self.base * self.factor**exponent)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait; a server's Retry-After wins when it asks for longer."""
        upper = self.bound(attempt)
        delay = upper * (1.0 - self.jitter * self.random())
        if retry_after is not None and retry_after > 0:
            delay = max(delay, float(retry_after))
        return delay


@dataclass
class RetryCounter:
    """Consecutive failures of one kind of work, and the delay before the next try."""

    backoff: Backoff = field(default_factory=Backoff)
    failures: int = 0

    def failed(self, retry_after: float | None = None) -> float:
        self.failures += 1
        return self.backoff.delay(self.failures, retry_after)

    def reset(self) -> None:
        self.failures = 0

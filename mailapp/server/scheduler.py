"""Timing of background work: retry backoff, and a loop that runs a blocking step in a thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable

log = logging.getLogger(__name__)


def retry_delay(
    attempt: int, *, base: float, cap: float, rng: random.Random | None = None
) -> float:
    """Seconds to wait before attempt `attempt + 1`: exponential, capped, with "equal jitter"
    so a relay that comes back is not hit by every queued job in the same second."""
    exp = min(cap, base * (2 ** max(0, attempt - 1)))
    return exp / 2 + (rng or random).uniform(0, exp / 2)


class BackgroundLoop:
    """Runs `step` (blocking; returns how much it did) in a worker thread until stopped.

    It runs again at once while there is work, otherwise after `interval` seconds or as soon
    as `wake()` is called (a commit that may have made something due).
    """

    def __init__(
        self, name: str, step: Callable[[], int], *, interval: float, min_interval: float = 0.02
    ) -> None:
        self.name = name
        self._step = step
        self._interval = interval
        self._min_interval = min_interval
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.runs = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            # The step in flight finishes (a thread cannot be cancelled); its work is committed
            # or rolled back as a whole, so waiting for it is what makes shutdown clean.
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                done = await asyncio.to_thread(self._step)
            except Exception:
                log.exception("%s: step failed; trying again later", self.name)
                done = 0
            self.runs += 1
            if self._stopping:
                break
            if done:
                await asyncio.sleep(self._min_interval)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            # Coalesce bursts of commits into one run.
            await asyncio.sleep(self._min_interval)

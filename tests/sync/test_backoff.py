"""Retry delays: exponential, jittered within bounds, never under a server's Retry-After."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mailapp.sync.backoff import Backoff, RetryCounter


def test_delays_grow_exponentially_up_to_the_cap() -> None:
    backoff = Backoff(base=1.0, factor=2.0, cap=60.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 32, 60, 60]


def test_a_huge_attempt_number_stays_at_the_cap() -> None:
    assert Backoff(cap=300.0, jitter=0.0).delay(10_000) == 300.0


@settings(max_examples=50)
@given(attempt=st.integers(1, 40), draw=st.floats(0.0, 1.0, exclude_max=True))
def test_jitter_stays_within_its_bounds(attempt: int, draw: float) -> None:
    backoff = Backoff(base=2.0, cap=300.0, jitter=0.5, random=lambda: draw)
    upper = backoff.bound(attempt)
    assert upper * 0.5 <= backoff.delay(attempt) <= upper


def test_jitter_spreads_clients_that_failed_together() -> None:
    delays = {round(Backoff(base=8.0, jitter=0.5).delay(1), 6) for _ in range(50)}
    assert len(delays) > 10  # not all in lockstep
    assert all(4.0 <= d <= 8.0 for d in delays)


def test_retry_after_wins_when_longer() -> None:
    backoff = Backoff(base=1.0, jitter=0.0)
    assert backoff.delay(1, retry_after=120.0) == 120.0
    # ...but a short Retry-After does not undercut a long backoff.
    assert backoff.delay(6, retry_after=1.0) == 32.0


def test_counter_resets_after_success() -> None:
    counter = RetryCounter(Backoff(base=1.0, jitter=0.0))
    assert [counter.failed() for _ in range(3)] == [1.0, 2.0, 4.0]
    counter.reset()
    assert counter.failed() == 1.0

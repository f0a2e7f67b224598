"""Debounced reachability (down after ~1 s of failures, up after ~0.25 s of successes) and
wake-from-sleep detection, on a fake clock."""

from __future__ import annotations

from mailapp.sync.connectivity import ConnectivityMonitor, Reachability, WakeDetector


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def feed(monitor: ConnectivityMonitor, clock: FakeClock, ok: bool, seconds: float) -> list:
    """Probe every 0.25 s for `seconds`; returns the state changes seen."""
    changes = []
    for _ in range(round(seconds / 0.25)):
        change = monitor.record(ok)
        if change is not None:
            changes.append((round(clock.now - 1000.0, 2), change))
        clock.advance(0.25)
    return changes


def test_first_answer_decides_at_startup() -> None:
    clock = FakeClock()
    monitor = ConnectivityMonitor(clock)
    assert monitor.record(True) is Reachability.UP
    other = ConnectivityMonitor(clock)
    assert other.record(False) is Reachability.DOWN


def test_down_only_after_about_one_second_of_failures() -> None:
    clock = FakeClock()
    monitor = ConnectivityMonitor(clock)
    monitor.record(True)
    clock.advance(0.25)
    changes = feed(monitor, clock, False, 2.0)
    # First failure at t=0.25; declared down once failures lasted 1 s.
    assert changes == [(1.25, Reachability.DOWN)]


def test_a_single_lost_probe_does_not_go_offline() -> None:
    clock = FakeClock()
    monitor = ConnectivityMonitor(clock)
    monitor.record(True)
    assert feed(monitor, clock, False, 0.75) == []
    assert feed(monitor, clock, True, 0.25) == []
    assert feed(monitor, clock, False, 0.75) == []
    assert monitor.state is Reachability.UP


def test_up_only_after_half_a_second_of_successes() -> None:
    clock = FakeClock()
    monitor = ConnectivityMonitor(clock)
    monitor.record(False)
    changes = feed(monitor, clock, True, 2.0)
    # Two answers in a row (at 0 and 0.25 s): one lucky answer is not enough.
    assert changes == [(0.25, Reachability.UP)]


def test_flapping_link_stays_down_until_it_is_stable() -> None:
    clock = FakeClock()
    monitor = ConnectivityMonitor(clock)
    monitor.record(False)
    for _ in range(5):
        assert feed(monitor, clock, True, 0.25) == []
        assert feed(monitor, clock, False, 0.25) == []
    assert monitor.state is Reachability.DOWN
    assert monitor.settling() is False
    assert feed(monitor, clock, True, 0.75)[-1][1] is Reachability.UP


def test_wake_is_noticed_when_a_periodic_check_runs_far_too_late() -> None:
    wall = FakeClock()
    detector = WakeDetector(wall, interval=10.0, slack=3.0)
    for _ in range(5):
        wall.advance(12.0)  # a busy machine runs timers a little late: not a wake-up
        assert detector.check() is False
    wall.advance(3600.0)  # the lid was closed for an hour
    assert detector.check() is True
    wall.advance(10.0)
    assert detector.check() is False


def test_a_wall_clock_set_backwards_is_not_a_wake() -> None:
    wall = FakeClock()
    detector = WakeDetector(wall, interval=10.0)
    wall.advance(-7200.0)
    assert detector.check() is False

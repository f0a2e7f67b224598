"""When the scheduler syncs, probes and what state it reports, on a fake clock."""

from __future__ import annotations

import pytest

from mailapp.sync.backoff import Backoff
from mailapp.sync.errors import (
    AuthError,
    OfflineError,
    PermanentError,
    ProtocolError,
    TlsError,
    TransientError,
)
from mailapp.sync.scheduler import (
    Action,
    Failure,
    FailureKind,
    SchedulerSettings,
    SyncScheduler,
    SyncState,
    classify,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def no_jitter() -> SchedulerSettings:
    return SchedulerSettings(
        offline_probe=Backoff(base=1.0, cap=30.0, jitter=0.0),
        down_poll=Backoff(base=0.5, cap=0.5, jitter=0.0),
        retry=Backoff(base=2.0, cap=300.0, jitter=0.0),
        error_retry=Backoff(base=30.0, cap=1800.0, jitter=0.0),
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def online(clock: FakeClock) -> SyncScheduler:
    """A scheduler that has started, found the server and finished its first cycle."""
    scheduler = SyncScheduler(clock, no_jitter())
    scheduler.start()
    assert scheduler.next_action() is Action.PROBE
    scheduler.probe_result(True)
    assert scheduler.next_action() is Action.CYCLE
    scheduler.cycle_started()
    scheduler.cycle_succeeded()
    return scheduler


def run_until(scheduler: SyncScheduler, clock: FakeClock, limit: float, probe_ok: bool) -> Action:
    """Advance the clock deadline by deadline, answering probes; stop at the first cycle."""
    end = clock.now + limit
    while clock.now <= end:
        deadline = scheduler.next_deadline()
        if deadline is None or deadline > end:
            break
        clock.now = max(clock.now, deadline)
        action = scheduler.next_action()
        if action is Action.PROBE:
            scheduler.probe_result(probe_ok)
        elif action is Action.CYCLE:
            return action
    return Action.NONE


def test_startup_probes_then_syncs(online: SyncScheduler) -> None:
    assert online.state is SyncState.ONLINE
    assert online.next_action() is Action.NONE


def test_local_changes_are_debounced_to_about_one_second(
    online: SyncScheduler, clock: FakeClock
) -> None:
    online.local_change()
    clock.now += 0.6
    online.local_change()
    clock.now += 0.6
    assert online.next_action() is Action.NONE  # the second edit pushed the cycle back
    clock.now += 0.45
    assert online.next_action() is Action.CYCLE


def test_continuous_editing_still_syncs_within_max_wait(
    online: SyncScheduler, clock: FakeClock
) -> None:
    started = clock.now
    while online.next_action() is not Action.CYCLE:
        online.local_change()
        clock.now += 0.5
        assert clock.now - started < 6.0
    assert clock.now - started >= 5.0


def test_server_event_and_sync_now_start_a_cycle_at_once(online: SyncScheduler) -> None:
    online.server_event()
    assert online.next_action() is Action.CYCLE
    online.cycle_started()
    online.cycle_succeeded()
    online.sync_now()
    assert online.next_action() is Action.CYCLE


def test_left_over_work_follows_within_a_few_frames(
    online: SyncScheduler, clock: FakeClock
) -> None:
    online.server_event()
    online.cycle_started()
    online.cycle_succeeded()
    online.more_work()  # bodies left to prefetch
    assert online.next_action() is Action.NONE  # a short pause for the other threads first
    assert run_until(online, clock, 0.1, probe_ok=True) is Action.CYCLE


def test_periodic_timer_syncs_after_the_interval(online: SyncScheduler, clock: FakeClock) -> None:
    assert online.next_deadline() == pytest.approx(clock.now + 300.0)
    clock.now += 300.0
    assert online.next_action() is Action.CYCLE


def test_a_trigger_during_a_cycle_runs_another_cycle_afterwards(online: SyncScheduler) -> None:
    online.server_event()
    online.cycle_started()
    assert online.state is SyncState.SYNCING
    online.server_event()
    assert online.next_action() is Action.NONE  # never two cycles at once
    online.cycle_succeeded()
    assert online.next_action() is Action.CYCLE


def _go_offline(online: SyncScheduler, clock: FakeClock) -> None:
    online.server_event()
    online.cycle_started()
    online.cycle_failed(classify(OfflineError("no network")))
    assert online.state is SyncState.RETRYING  # one failure is not yet "offline"
    assert run_until(online, clock, 1.5, probe_ok=False) is Action.NONE
    assert online.state is SyncState.OFFLINE


def _probe_gaps(scheduler: SyncScheduler, clock: FakeClock, count: int) -> list[float]:
    """Let `count` failing probes run; the gaps before each."""
    gaps = []
    for _ in range(count):
        deadline = scheduler.next_deadline()
        assert deadline is not None
        gaps.append(round(deadline - clock.now, 3))
        clock.now = deadline
        assert scheduler.next_action() is Action.PROBE
        scheduler.probe_result(False)
    return gaps


def test_offline_after_a_second_of_failed_probes_then_back_within_two_seconds(
    online: SyncScheduler, clock: FakeClock
) -> None:
    _go_offline(online, clock)
    # The OS cannot tell (no backend) or says the network is up: the server's health check
    # is polled twice a second, however long it has been down (up to fast_poll_for).
    assert _probe_gaps(online, clock, 6)[1:] == [0.5] * 5
    # The server comes back right after a probe failed (the worst case): the next probe finds
    # it, a second good answer confirms it, and the cycle that waited runs.
    back = clock.now
    assert run_until(online, clock, 5.0, probe_ok=True) is Action.CYCLE
    assert online.state is SyncState.ONLINE
    assert clock.now - back == pytest.approx(0.75)


def test_when_the_os_says_the_network_is_gone_probes_back_off_until_it_says_otherwise(
    online: SyncScheduler, clock: FakeClock
) -> None:
    online.set_os_online(False)
    _go_offline(online, clock)
    # No network: probing twice a second would only cost battery; the OS will tell.
    assert _probe_gaps(online, clock, 4)[1:] == [2.0, 4.0, 8.0]
    assert online.retry_in() == 16
    online.set_os_online(True)  # the network is back: probe at once
    assert online.next_action() is Action.PROBE
    online.probe_result(True)
    back = clock.now
    assert run_until(online, clock, 5.0, probe_ok=True) is Action.CYCLE
    assert clock.now - back == pytest.approx(0.25)


def test_fast_polling_slows_down_after_five_minutes_down(
    online: SyncScheduler, clock: FakeClock
) -> None:
    _go_offline(online, clock)
    down_at = clock.now
    while clock.now - down_at < online.settings.fast_poll_for - 1.0:
        assert _probe_gaps(online, clock, 1) == [0.5]
    _probe_gaps(online, clock, 2)
    assert _probe_gaps(online, clock, 2) == [30.0, 30.0]


def test_transient_errors_back_off_and_honour_retry_after(
    online: SyncScheduler, clock: FakeClock
) -> None:
    delays = []
    for _ in range(3):
        online.sync_now()
        online.cycle_started()
        online.cycle_failed(classify(TransientError("busy")))
        delays.append(online.next_deadline() - clock.now)  # type: ignore[operator]
    assert delays == [2.0, 4.0, 8.0]
    assert online.state is SyncState.RETRYING
    assert online.retry_in() == 8
    online.cycle_started()
    online.cycle_failed(classify(TransientError("slow down", retry_after=120.0)))
    assert online.retry_in() == 120
    # Neither a new local change nor "Sync now" jumps a server's Retry-After.
    online.local_change()
    online.sync_now()
    clock.now += 119.0
    assert online.next_action() is Action.NONE
    clock.now += 1.0
    assert online.next_action() is Action.CYCLE
    online.cycle_started()
    online.cycle_succeeded()
    assert online.state is SyncState.ONLINE
    online.cycle_started()
    online.cycle_failed(classify(TransientError("busy")))
    assert online.retry_in() == 2  # the backoff restarted after the success


def test_auth_failure_waits_for_the_user(online: SyncScheduler, clock: FakeClock) -> None:
    online.sync_now()
    online.cycle_started()
    online.cycle_failed(classify(AuthError("sign in again")))
    assert online.state is SyncState.AUTH_REQUIRED
    online.local_change()
    clock.now += 3600.0
    assert online.next_action() is Action.NONE
    online.credentials_updated()
    assert online.next_action() is Action.CYCLE


def test_tls_failure_is_never_retried_blindly(online: SyncScheduler, clock: FakeClock) -> None:
    online.sync_now()
    online.cycle_started()
    online.cycle_failed(classify(TlsError("bad certificate")))
    assert online.state is SyncState.ERROR
    assert online.last_error == "bad certificate"
    online.local_change()
    assert online.retry_in() == 0  # nothing is planned: only the user can retry
    clock.now += 86400.0
    assert online.next_action() is Action.NONE
    online.sync_now()
    assert online.next_action() is Action.CYCLE


@pytest.mark.parametrize(
    "error", [ProtocolError("garbage"), PermanentError("refused"), RuntimeError("bug")]
)
def test_other_errors_retry_slowly_and_say_when(
    online: SyncScheduler, clock: FakeClock, error: Exception
) -> None:
    online.sync_now()
    online.cycle_started()
    online.cycle_failed(classify(error))
    assert online.state is SyncState.ERROR
    assert online.retry_in() == 30
    assert online.last_error
    clock.now += 30.0
    assert online.next_action() is Action.CYCLE


def test_lost_responses_with_passing_probes_still_back_off(
    online: SyncScheduler, clock: FakeClock
) -> None:
    """A connection cut after each request (probes pass) must not become a tight loop."""
    cycles = 0
    start = clock.now
    online.sync_now()
    while clock.now - start < 20.0:
        deadline = online.next_deadline()
        assert deadline is not None
        clock.now = max(clock.now, deadline)
        action = online.next_action()
        if action is Action.PROBE:
            online.probe_result(True)
        elif action is Action.CYCLE:
            cycles += 1
            online.cycle_started()
            online.cycle_failed(Failure(FailureKind.OFFLINE, "cut"))
    assert 3 <= cycles <= 6


def test_work_offline_does_nothing_at_all(online: SyncScheduler, clock: FakeClock) -> None:
    online.set_work_offline(True)
    assert online.state is SyncState.WORKING_OFFLINE
    online.local_change()
    online.server_event()
    online.sync_now()
    online.hint()
    clock.now += 10_000.0
    assert online.next_action() is Action.NONE
    assert online.next_deadline() is None
    online.set_work_offline(False)
    assert online.next_action() is Action.PROBE  # find out where we are first
    online.probe_result(True)
    assert online.next_action() is Action.CYCLE


def test_waking_from_sleep_reprobes_and_syncs(online: SyncScheduler) -> None:
    online.wake()
    assert online.next_action() is Action.PROBE
    online.probe_result(True)
    assert online.next_action() is Action.CYCLE


def test_failed_cycle_is_retried_without_any_new_trigger(
    online: SyncScheduler, clock: FakeClock
) -> None:
    """Nothing sits stuck until restart: a failed push is retried on its own."""
    online.local_change()
    clock.now += 1.0
    assert online.next_action() is Action.CYCLE
    online.cycle_started()
    online.cycle_failed(classify(TransientError("HTTP 503")))
    assert run_until(online, clock, 10.0, probe_ok=True) is Action.CYCLE


def test_a_cycle_cut_off_on_purpose_runs_again_later(online: SyncScheduler) -> None:
    online.sync_now()
    online.cycle_started()
    online.set_work_offline(True)
    online.cycle_cancelled()
    assert online.state is SyncState.WORKING_OFFLINE
    assert online.failure is None  # nothing failed: the user asked for it
    online.set_work_offline(False)
    online.probe_result(True)
    assert online.next_action() is Action.CYCLE

"""When to sync, when to probe, and what to tell the user: a Qt-free state machine.

The Qt worker feeds it events (a local change, a server event, "Sync now", probe and cycle
outcomes) and asks `next_action()` / `next_deadline()` to know what to do and when to wake up.
All times come from an injectable monotonic clock, so every rule is testable without sleeping.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

from mailapp.sync.backoff import Backoff, RetryCounter
from mailapp.sync.connectivity import Clock, ConnectivityMonitor, Reachability
from mailapp.sync.errors import AuthError, OfflineError, SyncError, TlsError, TransientError


class SyncState(enum.StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"
    WORKING_OFFLINE = "working_offline"
    SYNCING = "syncing"
    RETRYING = "retrying"
    AUTH_REQUIRED = "auth_required"
    ERROR = "error"


class Action(enum.Enum):
    NONE = "none"
    PROBE = "probe"
    CYCLE = "cycle"


class FailureKind(enum.Enum):
    OFFLINE = "offline"  # the server cannot be reached: wait for connectivity
    TRANSIENT = "transient"  # 5xx, 429: back off, honour Retry-After
    AUTH = "auth"  # 401: nothing automatic until the user signs in again
    TLS = "tls"  # certificate refused: never retried blindly, only when asked
    ERROR = "error"  # garbage, 4xx, a bug: back off with long delays


@dataclass(frozen=True)
class Failure:
    kind: FailureKind
    message: str
    retry_after: float | None = None


def classify(error: BaseException) -> Failure:
    """How the scheduler should react to an exception out of a sync cycle."""
    if isinstance(error, OfflineError):
        return Failure(FailureKind.OFFLINE, error.user_message)
    if isinstance(error, TransientError):
        return Failure(FailureKind.TRANSIENT, error.user_message, error.retry_after)
    if isinstance(error, AuthError):
        return Failure(FailureKind.AUTH, error.user_message)
    if isinstance(error, TlsError):
        return Failure(FailureKind.TLS, error.user_message)
    if isinstance(error, SyncError):
        return Failure(FailureKind.ERROR, error.user_message)
    # A bug in the engine or the store: say so plainly and keep retrying slowly.
    return Failure(FailureKind.ERROR, f"Sync failed unexpectedly ({type(error).__name__}).")


@dataclass
class SchedulerSettings:
    local_debounce: float = 1.0  # a burst of local edits becomes one cycle...
    local_max_wait: float = 5.0  # ...but continuous editing still syncs this often
    interval: float = 300.0  # periodic sync even without any trigger
    # Reachability is debounced: "down" after this long of failures, "up" after this long of
    # answers (a health check, so an answer is good evidence; see ConnectivityMonitor).
    down_after: float = 1.0
    up_after: float = 0.25
    settle_probe_interval: float = 0.25  # probing while the debounced state is undecided
    # A pause between follow-up cycles (bodies left to prefetch) for the other threads: a few
    # frames are enough for the UI thread to catch up. 0.5 s here was most of the wall time
    # of an "All mail" first sync (one follow-up per 1,000 bodies: 5 s of 10,000 messages).
    more_work_delay: float = 0.05
    # While down and the OS does not say the network is gone (or cannot say: no backend),
    # the health check is polled two to four times a second, so a server that comes back is
    # found within ~1 s (polling, the "up" debounce and the flush; the goal is 2 s). Polling
    # slows to `offline_probe` after `fast_poll_for` seconds down, or at once when the OS
    # reports no network: its next report probes again at once.
    down_poll: Backoff = field(default_factory=lambda: Backoff(base=0.5, cap=0.5, jitter=0.5))
    fast_poll_for: float = 300.0
    offline_probe: Backoff = field(default_factory=lambda: Backoff(base=1.0, cap=30.0))
    retry: Backoff = field(default_factory=lambda: Backoff(base=2.0, cap=300.0))
    error_retry: Backoff = field(default_factory=lambda: Backoff(base=30.0, cap=1800.0))


class SyncScheduler:
    def __init__(
        self,
        clock: Clock = time.monotonic,
        settings: SchedulerSettings | None = None,
        connectivity: ConnectivityMonitor | None = None,
    ) -> None:
        self._clock = clock
        self.settings = settings or SchedulerSettings()
        self.connectivity = connectivity or ConnectivityMonitor(
            clock, down_after=self.settings.down_after, up_after=self.settings.up_after
        )
        self.work_offline = False
        self.os_online: bool | None = None  # the OS's report: None when it cannot tell
        self._down_since: float | None = None
        self.syncing = False
        self.failure: FailureKind | None = None
        self.last_error: str | None = None
        self._cycle_due: float | None = None
        self._not_before: float | None = None  # backoff / Retry-After floor for automatic runs
        self._hold_until: float | None = None  # the server's own Retry-After
        self._local_first: float | None = None
        self._local_due: float | None = None
        self._probe_due: float | None = None
        self._probe_failures = RetryCounter(self.settings.offline_probe)
        self._cycle_failures = RetryCounter(self.settings.retry)
        self._error_failures = RetryCounter(self.settings.error_retry)

    # -- what the user sees --------------------------------------------------------------------

    @property
    def state(self) -> SyncState:
        if self.work_offline:
            return SyncState.WORKING_OFFLINE
        if self.syncing:
            return SyncState.SYNCING
        if self.failure is FailureKind.AUTH:
            return SyncState.AUTH_REQUIRED
        if self.connectivity.state is Reachability.DOWN:
            return SyncState.OFFLINE
        if self.failure in (FailureKind.TRANSIENT, FailureKind.OFFLINE):
            return SyncState.RETRYING
        if self.failure in (FailureKind.TLS, FailureKind.ERROR):
            return SyncState.ERROR
        return SyncState.ONLINE

    def retry_in(self) -> int:
        """Whole seconds until the next automatic attempt when failing; 0 when none is planned."""
        state = self.state
        if self.failure in (FailureKind.AUTH, FailureKind.TLS):
            return 0  # only the user can fix these; nothing retries on its own
        if state is SyncState.OFFLINE:
            due = self._probe_due
        elif state in (SyncState.RETRYING, SyncState.ERROR):
            due = self._effective_cycle_due()
        else:
            return 0
        if due is None:
            return 0
        return max(0, round(due - self._clock() + 0.49))

    # -- triggers ------------------------------------------------------------------------------

    def start(self) -> None:
        """Find out whether the server is there, then sync."""
        self._probe_due = self._clock()
        self._request(self._clock())

    def local_change(self) -> None:
        now = self._clock()
        if self._local_first is None:
            self._local_first = now
        # Debounce: each edit pushes the push back, but continuous editing still syncs.
        self._local_due = min(
            now + self.settings.local_debounce, self._local_first + self.settings.local_max_wait
        )

    def server_event(self) -> None:
        self._request(self._clock())

    def timer(self) -> None:
        self._request(self._clock())

    def sync_now(self) -> None:
        """The user asked: skip the backoff (a server's Retry-After still holds)."""
        now = self._clock()
        hold = self._hold_until
        self._not_before = hold if hold is not None and hold > now else None
        if self.failure in (FailureKind.AUTH, FailureKind.TLS, FailureKind.ERROR):
            self.failure = None
        if self.connectivity.state is not Reachability.UP:
            self._probe_due = now
        self._request(now)

    def wake(self) -> None:
        """Back from sleep: the network may have changed under us, so check and sync."""
        self.connectivity.reset()
        self._probe_due = self._clock()
        self._request(self._clock())

    def hint(self) -> None:
        """The OS says the network changed, or the event stream dropped: probe soon."""
        if self.work_offline:
            return
        self._probe_due = self._clock()

    def set_os_online(self, online: bool | None) -> None:
        """The OS's network report changed: probe at once (also when it says "gone", which
        a probe confirms quickly; the server may be on this machine)."""
        self.os_online = online
        self.hint()

    def credentials_updated(self) -> None:
        if self.failure is FailureKind.AUTH:
            self.failure = None
        self._request(self._clock())

    def set_work_offline(self, on: bool) -> None:
        if on == self.work_offline:
            return
        self.work_offline = on
        if not on:
            self.connectivity.reset()
            self._probe_due = self._clock()
            self._request(self._clock())

    # -- outcomes ------------------------------------------------------------------------------

    def probe_result(self, ok: bool) -> Reachability | None:
        """Record a probe; returns the new reachability when it flipped."""
        now = self._clock()
        changed = self.connectivity.record(ok)
        if ok:
            self._probe_failures.reset()
        if changed is Reachability.UP:
            # Back online: whatever waited for the network goes now.
            self._not_before = None
            # A new network may fix a certificate problem (a captive portal's, say): try again.
            if self.failure in (FailureKind.OFFLINE, FailureKind.TLS):
                self.failure = None
            self._request(now)
        self._plan_probe(ok, now)
        return changed

    def cycle_started(self) -> None:
        self.syncing = True
        self._cycle_due = None
        self._local_first = self._local_due = None

    def more_work(self) -> None:
        """The last cycle left work behind (e.g. bodies to prefetch): another one shortly."""
        self._request(self._clock() + self.settings.more_work_delay)

    def download_failed(self, delay: float) -> None:
        """A download the user asked for hit a timeout or a cut connection while the server
        may well be up (slow for that one request): a cycle, which fetches what is still
        wanted, in `delay` seconds. A probe (hint) meanwhile finds out whether it is gone."""
        self._request(self._clock() + delay)

    def cycle_cancelled(self) -> None:
        """The cycle was cut off on purpose (work offline, shutdown): run it again later."""
        self.syncing = False
        self._request(self._clock())

    def cycle_succeeded(self) -> None:
        now = self._clock()
        self.syncing = False
        self.failure = None
        self.last_error = None
        self._not_before = self._hold_until = None
        self._cycle_failures.reset()
        self._error_failures.reset()
        self.connectivity.record(True)
        periodic = now + self.settings.interval
        self._cycle_due = periodic if self._cycle_due is None else min(self._cycle_due, periodic)

    def cycle_failed(self, failure: Failure) -> None:
        kind, message, retry_after = failure.kind, failure.message, failure.retry_after
        now = self._clock()
        self.syncing = False
        self.failure = kind
        self.last_error = message
        if kind is FailureKind.OFFLINE:
            # Evidence for "down", debounced like a probe; the cycle reruns once back up.
            self.connectivity.record(False)
            self._request(now)
            # Probes may still pass while requests die (a cut connection): back off anyway.
            self._not_before = now + self._cycle_failures.failed()
            self._plan_probe(False, now)
            return
        self.connectivity.record(True)  # the server answered, even if badly
        if kind is FailureKind.TRANSIENT:
            delay = self._cycle_failures.failed(retry_after)
            # "Sync now" may skip our own backoff, never the server's explicit request.
            self._hold_until = now + retry_after if retry_after else None
        elif kind is FailureKind.ERROR:
            delay = self._error_failures.failed(retry_after)
        else:
            # AUTH and TLS wait for the user; a timer would only repeat the same refusal.
            self._cycle_due = None
            return
        self._not_before = now + delay
        self._cycle_due = self._not_before

    # -- what to do next -----------------------------------------------------------------------

    def next_action(self) -> Action:
        if self.work_offline or self.syncing:
            return Action.NONE
        now = self._clock()
        if self._probe_due is not None and self._probe_due <= now:
            self._probe_due = None
            return Action.PROBE
        due = self._effective_cycle_due()
        if due is not None and due <= now and self._may_cycle():
            return Action.CYCLE
        return Action.NONE

    def next_deadline(self) -> float | None:
        """The monotonic time of the next thing to do, or None when only an event can wake us."""
        if self.work_offline or self.syncing:
            return None
        candidates = []
        if self._probe_due is not None:
            candidates.append(self._probe_due)
        due = self._effective_cycle_due()
        if due is not None and self._may_cycle():
            candidates.append(due)
        return min(candidates, default=None)

    # -- internals -----------------------------------------------------------------------------

    def _request(self, at: float) -> None:
        self._cycle_due = at if self._cycle_due is None else min(self._cycle_due, at)

    def _effective_cycle_due(self) -> float | None:
        wanted = [t for t in (self._cycle_due, self._local_due) if t is not None]
        if not wanted:
            return None
        due = min(wanted)
        return due if self._not_before is None else max(due, self._not_before)

    def _may_cycle(self) -> bool:
        if self.failure in (FailureKind.AUTH, FailureKind.TLS):
            return False
        # While undecided or down, probes (cheap) find out first; cycles follow "up".
        return self.connectivity.state is Reachability.UP and not self.connectivity.settling()

    def _plan_probe(self, ok: bool, now: float) -> None:
        down = self.connectivity.state is Reachability.DOWN
        if not down:
            self._down_since = None
        elif self._down_since is None:
            self._down_since = now
        if self.connectivity.settling():
            self._probe_due = now + self.settings.settle_probe_interval
        elif down:
            self._probe_due = now + (
                self.settings.settle_probe_interval if ok else self._down_probe_delay(now)
            )
        else:
            self._probe_due = None

    def _down_probe_delay(self, now: float) -> float:
        delay = self._probe_failures.failed()  # counted either way: slow polling continues it
        assert self._down_since is not None
        polling_fast = now - self._down_since < self.settings.fast_poll_for
        if self.os_online is not False and polling_fast:
            return self.settings.down_poll.delay(1)
        return delay

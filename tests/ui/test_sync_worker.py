"""The Qt sync worker against the real server on loopback, through the fault proxy."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import QElapsedTimer, QTimer
from pytestqt.qtbot import QtBot

from mailapp.server.config import Settings
from mailapp.store import ChangeSet, MailStore, open_store
from mailapp.sync.abortable import AbortableSession
from mailapp.sync.account import add_account
from mailapp.sync.client import ApiClient
from mailapp.sync.credentials import account_key, forget_token, load_token
from mailapp.sync.scheduler import SchedulerSettings
from mailapp.sync.threads import UI_SWITCH_INTERVAL_S
from mailapp.ui.syncing.sync_factories import ClientFactory, default_client
from mailapp.ui.syncing.sync_worker import SyncController
from tests.server.conftest import RunningServer, User, run_server
from tests.support.faultproxy import Fault, FaultProxy

pytestmark = pytest.mark.slow
WAIT_MS = 20_000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data = tmp_path_factory.mktemp("sync-worker-server")
    settings = Settings(data_dir=data, database_url=f"sqlite:///{data / 'server.sqlite3'}")
    with run_server(settings) as running:
        yield running


@pytest.fixture
def proxy(server: RunningServer) -> Iterator[FaultProxy]:
    with FaultProxy(int(server.url.rsplit(":", 1)[1])) as running:
        yield running


@dataclass
class App:
    """What the desktop app holds: its own store, and the controller of the sync thread."""

    store: MailStore
    account_id: str
    user: User
    controller: SyncController
    states: list[str]
    changes: list[ChangeSet]
    errors: list[str]
    pending: list[int]

    def inbox(self) -> str:
        row = self.store.mailbox_by_role(self.account_id, "inbox")
        assert row is not None
        return row.id

    def subjects(self) -> list[str]:
        return sorted(m.subject for m in self.store.page(self.inbox(), limit=10_000))


AppFactory = Callable[..., App]


@pytest.fixture
def make_app(
    tmp_path: Path, server: RunningServer, proxy: FaultProxy, qtbot: QtBot
) -> Iterator[AppFactory]:
    made: list[App] = []

    def make(
        *,
        seed: int = 0,
        start: bool = True,
        client_factory: ClientFactory = default_client,
        **settings: object,
    ) -> App:
        user = server.new_user("worker")
        for index in range(seed):
            server.deliver(user.account_id, subject=f"Seeded {index}")
        store = open_store(tmp_path / f"profile{len(made)}" / "mail.sqlite3")
        signed = add_account(store, proxy.url, user.name, user.password)
        controller = SyncController(
            store.path,
            signed.account_id,
            ui_store=store,
            client_factory=client_factory,
            settings=SchedulerSettings(**settings),  # type: ignore[arg-type]
        )
        app = App(store, signed.account_id, user, controller, [], [], [], [])
        controller.stateChanged.connect(lambda state, _retry: app.states.append(state))
        controller.changesApplied.connect(app.changes.append)
        controller.errorRaised.connect(app.errors.append)
        controller.pendingChanged.connect(app.pending.append)
        made.append(app)
        if start:
            controller.start()
            qtbot.waitUntil(lambda: app.controller.state == "online", timeout=WAIT_MS)
        return app

    yield make
    for app in made:
        assert app.controller.shutdown(timeout_s=3.0)
        app.store.close()


def wait_synced(qtbot: QtBot, app: App) -> None:
    qtbot.waitUntil(
        lambda: app.controller.state == "online" and app.pending and app.pending[-1] == 0,
        timeout=WAIT_MS,
    )


def test_first_sync_brings_the_servers_mail(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app(seed=3)
    qtbot.waitUntil(lambda: len(app.subjects()) == 3, timeout=WAIT_MS)
    assert app.subjects() == ["Seeded 0", "Seeded 1", "Seeded 2"]
    # The UI's own store instance is told exactly which rows to re-read.
    ids = {m.id for m in app.store.page(app.inbox(), limit=10)}
    qtbot.waitUntil(lambda: ids <= set().union(*(c.messages for c in app.changes)), timeout=WAIT_MS)


def test_state_goes_offline_and_back_as_the_server_disappears(
    qtbot: QtBot, make_app: AppFactory, proxy: FaultProxy
) -> None:
    app = make_app()
    proxy.set_fault(Fault.REFUSE)
    qtbot.waitUntil(lambda: app.controller.state == "offline", timeout=WAIT_MS)
    proxy.set_fault(Fault.NONE)
    qtbot.waitUntil(lambda: app.controller.state == "online", timeout=WAIT_MS)
    assert "offline" in app.states
    assert app.states[-1] == "online"


def test_a_local_change_is_pushed_within_about_two_seconds(
    qtbot: QtBot, make_app: AppFactory, server: RunningServer
) -> None:
    app = make_app(seed=1)
    qtbot.waitUntil(lambda: len(app.subjects()) == 1, timeout=WAIT_MS)
    (message,) = app.store.page(app.inbox(), limit=1)
    started = time.monotonic()
    app.store.mark_read([message.id])
    qtbot.waitUntil(lambda: app.pending and app.pending[-1] == 1, timeout=WAIT_MS)
    wait_synced(qtbot, app)
    elapsed = time.monotonic() - started
    on_server = app.user.client.get(f"/v1/messages/{message.id}").json()
    assert "$seen" in on_server["keywords"]
    assert elapsed < 4.0, f"the change took {elapsed:.1f} s to reach the server"


def test_working_offline_makes_no_requests_at_all(
    qtbot: QtBot, make_app: AppFactory, proxy: FaultProxy
) -> None:
    app = make_app(seed=2)
    qtbot.waitUntil(lambda: len(app.subjects()) == 2, timeout=WAIT_MS)
    app.controller.set_work_offline(True)
    qtbot.waitUntil(lambda: app.controller.state == "working_offline", timeout=WAIT_MS)
    before = (proxy.stats.connections, proxy.stats.requests)
    for message in app.store.page(app.inbox(), limit=10):
        app.store.set_flagged([message.id])
    app.controller.sync_now()
    qtbot.wait(2500)
    assert (proxy.stats.connections, proxy.stats.requests) == before
    assert app.pending[-1] == 2  # kept, waiting
    app.controller.set_work_offline(False)
    wait_synced(qtbot, app)
    flagged = [
        "$flagged" in app.user.client.get(f"/v1/messages/{m.id}").json()["keywords"]
        for m in app.store.page(app.inbox(), limit=10)
    ]
    assert flagged == [True, True]


def test_a_server_event_triggers_a_pull(
    qtbot: QtBot, make_app: AppFactory, server: RunningServer
) -> None:
    # A periodic sync far away: only the event stream can bring the new mail quickly.
    app = make_app(interval=3600.0)
    qtbot.wait(500)  # let the event stream connect
    server.deliver(app.user.account_id, subject="Pushed by the server")
    qtbot.waitUntil(lambda: app.subjects() == ["Pushed by the server"], timeout=WAIT_MS)
    new_id = app.store.page(app.inbox(), limit=1)[0].id
    # The views are told to refresh that row (the signal follows the write).
    qtbot.waitUntil(lambda: any(new_id in c.messages for c in app.changes), timeout=WAIT_MS)


def test_shutdown_joins_within_the_timeout_while_the_server_hangs(
    qtbot: QtBot, make_app: AppFactory, proxy: FaultProxy
) -> None:
    app = make_app(seed=1)
    qtbot.waitUntil(lambda: len(app.subjects()) == 1, timeout=WAIT_MS)
    # The sync request now hangs longer than the shutdown timeout. Only it: a health probe
    # that hung too would tell the scheduler the server is down, and if one was due at this
    # moment (under load it often is) the cycle never started and the state went "offline".
    proxy.latency_path = "/v1/sync"
    proxy.latency = 3.0
    (message,) = app.store.page(app.inbox(), limit=1)
    app.store.mark_read([message.id])
    app.controller.sync_now()
    qtbot.waitUntil(lambda: app.controller.state == "syncing", timeout=WAIT_MS)
    started = time.monotonic()
    assert app.controller.shutdown(timeout_s=1.5)
    assert time.monotonic() - started < 2.0
    # The mutation was not lost: it waits in the outbox for the next start.
    assert [row.type for row in app.store.pending_mutations()] == ["email.keywords"]
    proxy.latency, proxy.latency_path = 0.0, None
    qtbot.wait(3000)  # let the proxy finish the delayed request it still holds


def test_a_revoked_sign_in_asks_the_user_again(
    qtbot: QtBot, make_app: AppFactory, server: RunningServer, proxy: FaultProxy
) -> None:
    app = make_app()
    token = load_token(account_key(proxy.url, app.user.name))
    assert token
    assert server.client(token).delete("/v1/session").status_code == 204
    app.controller.sync_now()
    qtbot.waitUntil(lambda: app.controller.state == "auth_required", timeout=WAIT_MS)
    assert app.errors[-1] == "The server did not accept your sign-in; sign in again."
    # Signing in again resumes syncing.
    app.controller.set_token(server.login(app.user.name, app.user.password))
    qtbot.waitUntil(lambda: app.controller.state == "online", timeout=WAIT_MS)


def test_recent_bodies_are_prefetched_and_old_ones_fetched_when_opened(
    qtbot: QtBot, make_app: AppFactory, server: RunningServer
) -> None:
    app = make_app(start=False)
    server.deliver(app.user.account_id, subject="Old", date="Mon, 06 Jan 2020 10:00:00 +0000")
    server.deliver(app.user.account_id, subject="Recent")
    app.controller.start()
    qtbot.waitUntil(lambda: app.subjects() == ["Old", "Recent"], timeout=WAIT_MS)
    by_subject = {m.subject: m.id for m in app.store.page(app.inbox(), limit=10)}

    def available(subject: str) -> bool:
        detail = app.store.message(by_subject[subject])
        return detail is not None and detail.body_available

    qtbot.waitUntil(lambda: available("Recent"), timeout=WAIT_MS)
    assert not available("Old")  # outside the 30-day window: headers only
    app.controller.set_work_offline(True)
    app.controller.fetch_body(by_subject["Old"])
    qtbot.wait(300)
    assert not available("Old")  # working offline: "not available offline"
    app.controller.set_work_offline(False)
    app.controller.fetch_body(by_subject["Old"])
    qtbot.waitUntil(lambda: available("Old"), timeout=WAIT_MS)
    detail = app.store.message(by_subject["Old"])
    assert detail is not None and "Body of Old" in (detail.text_body or "")
    qtbot.waitUntil(
        lambda: any(by_subject["Old"] in c.messages for c in app.changes), timeout=WAIT_MS
    )


def _impatient_client(
    store: MailStore, account_id: str, session: AbortableSession, token: str | None
) -> ApiClient:
    """Requests give up after two seconds (the real ones wait minutes) so a test can time out."""
    client = default_client(store, account_id, session, token)
    client.total_timeout = client.transfer_timeout = 2.0
    return client


def test_a_body_download_that_timed_out_while_online_is_retried_soon(
    qtbot: QtBot, make_app: AppFactory, server: RunningServer, proxy: FaultProxy
) -> None:
    app = make_app(start=False, client_factory=_impatient_client)
    server.deliver(app.user.account_id, subject="Old", date="Mon, 06 Jan 2020 10:00:00 +0000")
    app.controller.start()
    qtbot.waitUntil(lambda: app.subjects() == ["Old"], timeout=WAIT_MS)
    wait_synced(qtbot, app)
    (old,) = app.store.page(app.inbox(), limit=1)
    offline: list[str] = []
    retrying: list[tuple[str, str]] = []
    app.controller.bodyOffline.connect(offline.append)
    app.controller.bodyRetrying.connect(lambda *answer: retrying.append(answer))
    # Only the body request hangs: the server is reachable (health, sync) but slow for it.
    proxy.latency_path, proxy.latency = "/v1/messages/", 5.0
    states_before = len(app.states)
    app.controller.fetch_body(old.id)
    qtbot.waitUntil(lambda: bool(retrying), timeout=WAIT_MS)
    assert retrying[0] == (old.id, f"{proxy.url} did not finish answering within 2 s.")
    assert offline == []  # the app is online: "when you're back online" would be untrue
    proxy.latency, proxy.latency_path = 0.0, None

    # Nothing else happens (no new mail, no user action, the periodic sync is minutes away),
    # yet the body arrives once the server answers it again.
    def available() -> bool:
        detail = app.store.message(old.id)
        return detail is not None and detail.body_available

    qtbot.waitUntil(available, timeout=10_000)
    # The app never said it was offline. (The retry cycle that stored the body may still be
    # finishing: "syncing" until it does.)
    assert "offline" not in app.states[states_before:]
    qtbot.waitUntil(lambda: app.controller.state == "online", timeout=WAIT_MS)
    qtbot.wait(4000)  # let the proxy finish the delayed request it still holds


def test_without_a_saved_sign_in_it_asks_and_then_syncs(
    qtbot: QtBot, make_app: AppFactory, server: RunningServer, proxy: FaultProxy
) -> None:
    app = make_app(seed=1, start=False)
    forget_token(account_key(proxy.url, app.user.name))
    app.controller.start()
    qtbot.waitUntil(lambda: app.controller.state == "auth_required", timeout=WAIT_MS)
    assert app.subjects() == []
    app.controller.set_token(server.login(app.user.name, app.user.password))
    qtbot.waitUntil(lambda: app.subjects() == ["Seeded 0"], timeout=WAIT_MS)


def test_a_started_sync_thread_hands_the_gil_back_to_the_ui_thread_quickly(
    qtbot: QtBot, make_app: AppFactory
) -> None:
    """CPython's default 5 ms switch interval let each of the UI thread's returns into Python
    wait up to 5 ms while the sync thread applied a page (mailapp.sync.threads)."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        make_app()  # started and online: its thread has set up
        assert sys.getswitchinterval() <= UI_SWITCH_INTERVAL_S
    finally:
        sys.setswitchinterval(before)


def test_the_ui_thread_stays_responsive_during_a_sync(
    qtbot: QtBot, make_app: AppFactory, proxy: FaultProxy
) -> None:
    app = make_app(seed=50, start=False)
    # Every round trip takes a second: any network I/O on the UI thread would stall it that long.
    proxy.latency = 1.0
    timer = QTimer()
    timer.setInterval(10)
    clock = QElapsedTimer()
    gaps: list[int] = []

    def beat() -> None:
        gaps.append(clock.restart())

    timer.timeout.connect(beat)
    clock.start()
    timer.start()
    app.controller.start()
    qtbot.waitUntil(lambda: len(app.subjects()) == 50, timeout=WAIT_MS)
    timer.stop()
    proxy.latency = 0.0
    assert len(gaps) > 100
    assert max(gaps[1:]) < 800, f"the UI stalled for {max(gaps[1:])} ms"


def test_a_network_change_reported_by_the_os_probes_the_server_at_once(
    qtbot: QtBot, make_app: AppFactory, proxy: FaultProxy
) -> None:
    """The OS's report (QNetworkInformation, through NetworkWatch) cannot be produced here, so
    the test gives the report itself; the probe that answers it is real, and asks the health
    check (no sign-in, so the server logs no refused request)."""
    from mailapp.ui.syncing.network_watch import NetworkWatch

    app = make_app()
    qtbot.wait(500)  # settled: online and idle, nothing polls
    before = len(proxy.stats.paths)
    NetworkWatch.shared().changed.emit(True)  # e.g. Wi-Fi switched to another network
    qtbot.waitUntil(lambda: "/v1/health" in proxy.stats.paths[before:], timeout=1000)
    assert app.controller.state == "online"

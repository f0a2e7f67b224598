"""`mailapp --demo`: the real sync server in this process, two seeded users, sync running.

This is the ONE client module that imports the server (lazily, inside functions): the demo
wires both ends together so a person can try syncing, offline work and conflicts without
setting anything up. Normal start-up never imports it.

The server runs under uvicorn on a thread, on a free loopback port, with its SQLite data in a
temporary folder that is deleted on exit. The demo's sign-in tokens stay in memory (the null
keyring): a throw-away server's tokens do not belong in the user's keyring.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mailapp import paths
from mailapp.store import MailStore, open_store
from mailapp.store.settings import apply_prefetch_window, load_settings
from mailapp.sync.account import add_account

if TYPE_CHECKING:
    from mailapp.ui.window.main_window import MainWindow

log = logging.getLogger(__name__)

DEMO_USER = "alice"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


class DemoError(Exception):
    """The demo server could not start; the message says why."""


@dataclass(frozen=True)
class DemoServer:
    url: str
    passwords: dict[str, str]  # user name -> password, for this run only
    data_dir: Path


def _free_loopback_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def run_demo_server(data_dir: Path) -> Iterator[DemoServer]:
    """Start the real server on 127.0.0.1 with alice and bob seeded; stop it afterwards."""
    import uvicorn

    from mailapp.server.app import create_app
    from mailapp.server.config import Settings
    from mailapp.server.db import make_engine, migrate
    from mailapp.server.seed import seed_demo

    data_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'server.sqlite3'}")
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        passwords = seed_demo(engine, settings.local_domain)
    finally:
        engine.dispose()
    sock = _free_loopback_socket()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            log_level="warning",
            lifespan="on",
            access_log=False,
            # The event stream never ends by itself; quitting the demo must not wait for it.
            timeout_graceful_shutdown=1,
        )
    )
    # uvicorn installs signal handlers only on the main thread; this is not it.
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="mailapp-demo-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            sock.close()
            raise DemoError("The demo server did not start; see the log for details.")
        time.sleep(0.02)
    port = sock.getsockname()[1]
    log.info("demo server on http://127.0.0.1:%d", port)
    try:
        yield DemoServer(f"http://127.0.0.1:{port}", passwords, data_dir)
    finally:
        server.should_exit = True
        thread.join(timeout=STOP_TIMEOUT)
        sock.close()


def use_memory_keyring(cleanup: ExitStack) -> None:
    """Until `cleanup` ends, tokens live only in memory (credentials' session copy)."""
    import keyring
    from keyring.backends import null

    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    cleanup.callback(keyring.set_keyring, previous)


def sign_in(store: MailStore, demo: DemoServer, user: str = DEMO_USER) -> str:
    """Sign `store` in as `user` (loopback, so quick); returns the local account id."""
    signed_in = add_account(store, demo.url, user, demo.passwords[user])
    apply_prefetch_window(store, load_settings(store))
    return signed_in.account_id


@dataclass
class Device:
    """One demo client: a profile signed in to the demo server."""

    store: MailStore
    account_id: str
    profile: Path


class LiveDemo:
    """The running demo: its server and the devices signed in to it (closed by `cleanup`)."""

    def __init__(self, cleanup: ExitStack) -> None:
        use_memory_keyring(cleanup)
        self._cleanup = cleanup
        root = Path(cleanup.enter_context(tempfile.TemporaryDirectory(prefix="mailapp-live-")))
        self.root = root
        self.server = cleanup.enter_context(run_demo_server(root / "server"))

    def device(self, name: str, store: MailStore | None = None, user: str = DEMO_USER) -> Device:
        """Sign a profile in: `store` if given (the app's own), else a new one under the demo."""
        if store is None:
            profile = self.root / name
            store = open_store(paths.store_path(profile))
            self._cleanup.callback(store.close)
        else:
            profile = store.path.parent
        return Device(store, sign_in(store, self.server, user), profile)


def open_live_demo(
    store: MailStore, cleanup: ExitStack, *, second_device: bool = False
) -> list[MainWindow]:
    """Start the demo server, sign `store` in as alice, and open her window(s) with sync."""
    from mailapp.ui.window.main_window import MainWindow
    from mailapp.ui.window.window_sync import setup_window_sync

    demo = LiveDemo(cleanup)
    devices = [demo.device("main", store)]
    if second_device:
        devices.append(demo.device("second-device"))
    # Runs after every sync thread has stopped (cleanup is last-in, first-out) and before the
    # stores close and the demo's folder goes: what those threads announced is handled while
    # the files are still there, so no late refresh reads a deleted profile.
    cleanup.callback(_drain_posted_events)
    from PySide6.QtCore import QCoreApplication

    windows: list[MainWindow] = []
    for number, device in enumerate(devices, start=1):
        window = MainWindow(device.store)
        who = dict(device.store.accounts())[device.account_id]
        window.setWindowTitle(
            QCoreApplication.translate("DemoLive", "Mail — {who} (demo, device {number})").format(
                who=who, number=number
            )
            if second_device
            else QCoreApplication.translate("DemoLive", "Mail — {who} (demo)").format(who=who)
        )
        setup_window_sync(window, device.store, cleanup)
        windows.append(window)
    if len(windows) == 2:
        # Side by side, so an edit on one device can be watched arriving on the other.
        first, second = windows
        first.resize(900, 700)
        second.resize(900, 700)
        second.move(first.x() + first.width() + 20, first.y())
    return windows


def _drain_posted_events() -> None:
    from PySide6.QtCore import QCoreApplication

    QCoreApplication.sendPostedEvents()
    QCoreApplication.processEvents()

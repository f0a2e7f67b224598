"""IDLE on one folder of an owned upstream account: new mail or another client's change there
wakes the account's sync at once (which folders: watchers.py).

One thread and one extra IMAP connection per watched folder. IDLE is renewed every few minutes
(servers drop it after 30), and a lost connection is re-opened with backoff; while it is down
the worker's poll interval still catches everything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from imapclient.exceptions import IMAPClientError

from mailapp.server.upstream import connection
from mailapp.server.upstream.connection import Endpoint, UpstreamError

log = logging.getLogger(__name__)

ACTIVITY = frozenset({b"EXISTS", b"EXPUNGE", b"FETCH", b"VANISHED", b"RECENT"})
IDLE_RENEW_SECONDS = 9 * 60
CHECK_SECONDS = 1.0
MAX_BACKOFF = 300.0


class IdleWatcher:
    def __init__(
        self,
        endpoint: Endpoint,
        password: str,
        on_change: Callable[[], None],
        *,
        name: str,
        folder: str = "INBOX",
    ) -> None:
        self.endpoint = endpoint
        self.folder = folder
        self._password = password
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.connected = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                self._watch()
                backoff = 1.0
            except (UpstreamError, IMAPClientError, OSError, EOFError) as exc:
                log.info(
                    "IDLE on %s of %s stopped (%s); retrying",
                    self.folder,
                    self.endpoint.describe(),
                    exc,
                )
            self.connected.clear()
            if self._stop.wait(backoff):
                return
            backoff = min(backoff * 2, MAX_BACKOFF)

    def _watch(self) -> None:
        client = connection.connect(self.endpoint, self._password, timeout=CHECK_SECONDS * 30)
        try:
            if not client.has_capability("IDLE"):
                log.info("%s offers no IDLE; polling only", self.endpoint.describe())
                self._stop.wait()
                return
            client.select_folder(self.folder, readonly=True)
            while not self._stop.is_set():
                client.idle()
                self.connected.set()
                changed = False
                renew_at = time.monotonic() + IDLE_RENEW_SECONDS
                while not self._stop.is_set() and time.monotonic() < renew_at and not changed:
                    responses = client.idle_check(timeout=CHECK_SECONDS)
                    changed = any(
                        len(r) > 1 and isinstance(r[1], bytes) and r[1].upper() in ACTIVITY
                        for r in responses
                    )
                client.idle_done()
                if changed:
                    self.on_change()
        finally:
            connection.close(client)

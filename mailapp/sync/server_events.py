"""Listens to the server's `GET /v1/events` stream on a background thread.

Each `state` event means "the account changed": the callback asks the scheduler for a pull.
The reader is bounded everywhere: lines longer than `MAX_LINE` end the connection, a silent
stream ends after `read_timeout` (the server sends a heartbeat comment every 15 s), and
reconnects back off with jitter up to `Backoff.cap`. Reconnects send `Last-Event-ID`, so a
change made while the connection was down is announced at once.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator

import requests
from requests.exceptions import RequestException
from urllib3.exceptions import HTTPError

from mailapp.sync.abortable import AbortableSession
from mailapp.sync.backoff import Backoff, RetryCounter

log = logging.getLogger(__name__)

MAX_LINE = 64 * 1024
MAX_EVENT = 256 * 1024


class ServerEventListener:
    """`start()` a daemon thread; `on_state(state)` runs on that thread for every event.

    `on_connected(bool)` reports the stream coming up or dropping: a drop is a hint that the
    server may be gone (the worker probes), never a verdict on its own.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        on_state: Callable[[str], None],
        *,
        on_connected: Callable[[bool], None] | None = None,
        connect_timeout: float = 5.0,
        read_timeout: float = 45.0,
        backoff: Backoff | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._on_state = on_state
        self._on_connected = on_connected or (lambda _up: None)
        self._timeout = (connect_timeout, read_timeout)
        self._retry = RetryCounter(backoff or Backoff(base=1.0, cap=60.0))
        self._session = AbortableSession()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_event_id: str | None = None
        self.connections = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="mailapp-server-events", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop and join; True when the thread ended within `timeout`."""
        self._stop.set()
        self._session.abort()
        if self._thread is not None:
            self._thread.join(timeout)
            alive = self._thread.is_alive()
        else:
            alive = False
        self._session.close()
        return not alive

    # -- the reader thread ---------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            connected = False
            try:
                for _ in self._events():
                    if not connected:
                        connected = True
                        self._retry.reset()
                        self._on_connected(True)
            except (RequestException, HTTPError, ValueError, OSError) as exc:
                log.debug("event stream ended: %s", type(exc).__name__)
            except Exception:
                log.exception("event stream reader failed")
            if self._stop.is_set():
                return
            self._on_connected(False)
            self._stop.wait(self._retry.failed())

    def _events(self) -> Iterator[None]:
        """Yields once when connected and once per dispatched event; returns when it ends."""
        headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        if self.last_event_id:
            headers["Last-Event-ID"] = self.last_event_id
        with self._session.get(
            f"{self.base_url}/v1/events",
            headers=headers,
            stream=True,
            timeout=self._timeout,
            allow_redirects=False,
        ) as response:
            if response.status_code != 200:
                # 401, 429 (too many streams), 503: wait and try again later, with backoff.
                raise requests.exceptions.ConnectionError(f"HTTP {response.status_code}")
            self.connections += 1
            yield None
            data: list[str] = []
            event_id: str | None = None
            size = 0
            for line in _lines(response):
                if self._stop.is_set():
                    return
                if not line:
                    if data:
                        self._dispatch("\n".join(data), event_id)
                        yield None
                    data, event_id, size = [], None, 0
                    continue
                if line.startswith(":"):
                    continue  # heartbeat comment
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                size += len(line)
                if size > MAX_EVENT:
                    raise ValueError("event too large")
                if name == "data":
                    data.append(value)
                elif name == "id" and "\0" not in value:
                    event_id = value

    def _dispatch(self, data: str, event_id: str | None) -> None:
        if event_id is not None:
            self.last_event_id = event_id
        try:
            payload = json.loads(data)
        except ValueError:
            return
        state = payload.get("state") if isinstance(payload, dict) else None
        if isinstance(state, str):
            self._on_state(state)


def _lines(response: requests.Response) -> Iterator[str]:
    """Lines of the stream as they arrive (CR, LF or CRLF endings), each at most MAX_LINE."""
    raw = response.raw
    buffer = b""
    skip_lf = False  # the previous line ended with CR: a LF right after it belongs to it
    while True:
        # read1 returns whatever arrived, so an event is seen without waiting for more bytes.
        chunk = raw.read1(8192)
        if not chunk:
            return
        buffer += chunk
        while buffer:
            if skip_lf and buffer.startswith(b"\n"):
                buffer = buffer[1:]
            skip_lf = False
            ends = [i for i in (buffer.find(b"\n"), buffer.find(b"\r")) if i >= 0]
            if not ends:
                break
            cut = min(ends)
            skip_lf = buffer[cut : cut + 1] == b"\r"
            line, buffer = buffer[:cut], buffer[cut + 1 :]
            yield line.decode("utf-8", errors="replace")
        if len(buffer) > MAX_LINE:
            raise ValueError("line too long")

"""A requests Session whose in-progress requests another thread can cut off at once.

A request blocked on a hanging server only notices after its read timeout (30 s). Closing the
app or switching to "work offline" must not wait that long, so the session remembers its open
sockets and `abort()` shuts them down: the blocked read returns immediately with a connection
error, which the API client reports as OfflineError. While aborted, new requests fail before
any byte goes out, so "work offline" really makes no network requests.

The same cut bounds each request in time (`deadline`): a read timeout restarts with every byte,
so a server that drips a byte now and then would otherwise hold a request for as long as it
likes.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class AbortedError(requests.exceptions.ConnectionError):
    """The request was cut off on purpose (shutdown or "work offline")."""


class Watch:
    """One request's deadline: once it passes, the connections the request uses are cut."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list[HTTPConnection] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def attach(self, connection: HTTPConnection) -> None:
        with self._lock:
            self._connections.append(connection)
            expired = self.expired
        if expired:
            raise AbortedError("the request ran out of time")

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.cancel()

    def check(self, connection: HTTPConnection) -> None:
        """After a connect that the deadline overtook: cut it at once."""
        if self.expired and connection.sock is not None:
            _cut(connection.sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            if connection.sock is not None:  # read now: it may have connected meanwhile
                _cut(connection.sock)


class _Registry:
    def __init__(self) -> None:
        self.aborted = False
        self.current = threading.local()  # .watch: the calling thread's request deadline
        self._lock = threading.Lock()
        # The sockets themselves: a response read to its end after "Connection: close" still
        # holds its socket when the connection object has already let go of it.
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            aborted = self.aborted
        if aborted:  # abort() ran while this connection was being made
            _cut(sock)
            raise AbortedError("the connection was aborted")

    def abort(self) -> None:
        with self._lock:
            self.aborted = True
            sockets = list(self._sockets)
        for sock in sockets:
            _cut(sock)


def _cut(sock: socket.socket) -> None:
    # shutdown(), unlike close(), wakes a recv() blocked in another thread.
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def _pool_classes(registry: _Registry) -> dict[str, type[HTTPConnectionPool]]:
    def tracking(base: type[HTTPConnection]) -> type[HTTPConnection]:
        class Tracking(base):  # type: ignore[valid-type, misc]
            def connect(self) -> None:
                if registry.aborted:
                    raise AbortedError("the connection was aborted")
                super().connect()
                if self.sock is not None:
                    registry.add(self.sock)
                watch: Watch | None = getattr(registry.current, "watch", None)
                if watch is not None:
                    watch.check(self)

            def request(self, *args: Any, **kwargs: Any) -> Any:
                # Also a pooled connection, which does not connect again, joins the request's
                # deadline here.
                watch: Watch | None = getattr(registry.current, "watch", None)
                if watch is not None:
                    watch.attach(self)
                return super().request(*args, **kwargs)

        return Tracking

    class Pool(HTTPConnectionPool):
        ConnectionCls = tracking(HTTPConnection)

    class SecurePool(HTTPSConnectionPool):
        ConnectionCls = tracking(HTTPSConnection)  # type: ignore[assignment]

    return {"http": Pool, "https": SecurePool}


class _AbortableAdapter(HTTPAdapter):
    def __init__(self, registry: _Registry) -> None:
        self._registry = registry
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._registry)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> Any:
        if self._registry.aborted:
            raise AbortedError("the connection was aborted", request=request)
        return super().send(request, *args, **kwargs)


class AbortableSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        # Only the configured server: an environment proxy must not see tokens.
        self.trust_env = False
        self._registry = _Registry()
        adapter = _AbortableAdapter(self._registry)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    @property
    def aborted(self) -> bool:
        return self._registry.aborted

    def abort(self) -> None:
        """From any thread: cut open connections and refuse new requests until `resume()`."""
        self._registry.abort()

    @contextlib.contextmanager
    def deadline(self, seconds: float) -> Iterator[Watch]:
        """Requests this thread makes inside the block are cut once `seconds` have passed,
        however steadily the server trickles bytes; the Watch says whether that happened."""
        watch = Watch(seconds)
        self._registry.current.watch = watch
        watch.start()
        try:
            yield watch
        finally:
            watch.stop()
            self._registry.current.watch = None

    def resume(self) -> None:
        """Allow requests again (the cut connections are dropped from the pool)."""
        self.close()  # drop pooled connections whose sockets were shut down
        self._registry.aborted = False

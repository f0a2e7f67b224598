"""A fault-injecting HTTP/1.1 proxy for loopback tests of the sync engine.

It sits between the client and the real server and can refuse connections, add latency to every
round trip, cut a connection after the request reached the server (the "lost response" case) or
partway through its answer, or answer 500 / 429 itself. It understands just enough HTTP to find
request boundaries on keep-alive connections, which is what the engine's `requests.Session` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


class Fault(enum.Enum):
    NONE = "none"
    REFUSE = "refuse"
    CUT_AFTER_REQUEST = "cut_after_request"
    # Forward the first `cut_after_bytes` bytes of the answer, then close: a stream cut midway.
    CUT_MID_RESPONSE = "cut_mid_response"
    HTTP_500 = "http_500"
    HTTP_429 = "http_429"


@dataclass
class ProxyStats:
    connections: int = 0
    requests: int = 0  # requests forwarded to the server
    faults_injected: int = 0
    paths: list[str] = field(default_factory=list)


_CANNED = {
    Fault.HTTP_500: b"HTTP/1.1 500 Internal Server Error\r\n",
    Fault.HTTP_429: b"HTTP/1.1 429 Too Many Requests\r\n",
}
_MAX_HEAD = 64 * 1024


class FaultProxy:
    """Run with `with FaultProxy(port) as proxy:`; point the client at `proxy.url`."""

    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        self.upstream = (upstream_host, upstream_port)
        self.latency = 0.0
        # Latency only for requests whose path starts with this (None: every request).
        self.latency_path: str | None = None
        self.retry_after = 1
        self.cut_after_bytes = 16384
        self.stats = ProxyStats()
        self._fault = Fault.NONE
        self._fault_budget: int | None = None
        self._fault_path: str | None = None
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._handlers: set[asyncio.Task[None]] = set()
        self.port = 0

    # -- control, from the test thread ------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def set_fault(self, fault: Fault, times: int | None = None, path: str | None = None) -> None:
        """Inject `fault` on the next `times` requests (forever when None); with `path`, only
        on requests whose path starts with it (the others pass untouched)."""
        if fault is Fault.REFUSE:
            self._call(self._close_listener())
        elif self._fault is Fault.REFUSE:
            self._call(self._open_listener())
        with self._lock:
            self._fault, self._fault_budget, self._fault_path = fault, times, path

    def clear(self) -> None:
        self.set_fault(Fault.NONE)
        self.latency = 0.0
        self.latency_path = None

    def start(self) -> FaultProxy:
        self._thread.start()
        self._call(self._open_listener())
        return self

    def stop(self) -> None:
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextlib.contextmanager
    def fault(self, fault: Fault, times: int | None = None) -> Iterator[None]:
        self.set_fault(fault, times)
        try:
            yield
        finally:
            self.set_fault(Fault.NONE)

    # -- internals, on the proxy's loop -----------------------------------------------------

    def _call(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=10)  # type: ignore[arg-type]

    async def _open_listener(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._handle, "127.0.0.1", self.port, reuse_address=True
            )
            self.port = self._server.sockets[0].getsockname()[1]

    async def _close_listener(self) -> None:
        # A closed listener makes connect() fail with ECONNREFUSED, like a server that is down.
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.close()

    async def _shutdown(self) -> None:
        # Every transport is closed and every handler finished before the loop stops; otherwise
        # asyncio reports unclosed transports from whichever test happens to run next.
        await self._close_listener()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        for writer in list(self._writers):
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    def _take_fault(self, path: str = "") -> Fault:
        with self._lock:
            fault = self._fault
            if fault is Fault.NONE or fault is Fault.REFUSE:
                return fault
            if self._fault_path is not None and not path.startswith(self._fault_path):
                return Fault.NONE
            if self._fault_budget is not None:
                self._fault_budget -= 1
                if self._fault_budget <= 0:
                    self._fault, self._fault_budget = Fault.NONE, None
            self.stats.faults_injected += 1
            return fault

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.stats.connections += 1
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        upstream: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        pump: asyncio.Task[None] | None = None
        cut_pending = asyncio.Event()
        try:
            while True:
                request = await _read_request(reader)
                if request is None:
                    return
                path = _request_path(request)
                self.stats.paths.append(path)
                fault = self._take_fault(path)
                if fault in _CANNED:
                    writer.write(self._canned(fault))
                    await writer.drain()
                    continue
                if self.latency and (
                    self.latency_path is None or path.startswith(self.latency_path)
                ):
                    await asyncio.sleep(self.latency)
                if upstream is None:
                    upstream = await asyncio.open_connection(*self.upstream)
                    pump = asyncio.create_task(self._pump(upstream[0], writer, cut_pending))
                if fault is Fault.CUT_AFTER_REQUEST:
                    cut_pending.set()
                if fault is Fault.CUT_MID_RESPONSE:
                    # A fresh pump that stops after the budget (this connection ends with it).
                    assert pump is not None
                    pump.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await pump
                    pump = asyncio.create_task(
                        self._pump(upstream[0], writer, cut_pending, self.cut_after_bytes)
                    )
                self.stats.requests += 1
                upstream[1].write(request)
                await upstream[1].drain()
                if fault in (Fault.CUT_AFTER_REQUEST, Fault.CUT_MID_RESPONSE):
                    assert pump is not None
                    await pump  # returns once the server answered; the answer is thrown away
                    return
        except (ConnectionError, asyncio.IncompleteReadError, OSError):
            return
        finally:
            if pump is not None and not pump.done():
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError, OSError):
                    await pump
            for stream in (upstream[1] if upstream else None, writer):
                if stream is not None:
                    stream.close()
                    with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                        await stream.wait_closed()
            self._writers.discard(writer)

    async def _pump(
        self,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        cut: asyncio.Event,
        budget: int | None = None,
    ) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await source.read(65536):
                if cut.is_set():
                    return  # the server has committed and answered; the client never hears it
                if budget is not None:
                    data = data[:budget]
                    budget -= len(data)
                sink.write(data)
                await sink.drain()
                if budget is not None and budget <= 0:
                    return  # the rest of the answer never arrives
        sink.close()

    def _canned(self, fault: Fault) -> bytes:
        body = b'{"type": "about:blank", "title": "injected fault"}'
        extra = f"Retry-After: {self.retry_after}\r\n".encode() if fault is Fault.HTTP_429 else b""
        return (
            _CANNED[fault]
            + b"Content-Type: application/problem+json\r\n"
            + extra
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )


async def _read_request(reader: asyncio.StreamReader) -> bytes | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        head = await reader.read(_MAX_HEAD)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


def _request_path(request: bytes) -> str:
    first = request.split(b"\r\n", 1)[0].decode("latin-1")
    parts = first.split(" ")
    return parts[1] if len(parts) > 1 else first

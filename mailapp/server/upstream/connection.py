"""Connecting to an upstream IMAP server with imapclient, and failures a user understands.

TLS is verified against the system's trust store with the host name checked. Plain IMAP
(`tls="none"`) is accepted only for loopback hosts: a password sent in clear over a network is
a password given away. Every failure is raised as `UpstreamError` with the link state it puts
the account in and one sentence saying what happened and what to do.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import ssl
import threading
import weakref
from collections.abc import Iterator
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import (
    IMAPClientAbortError,
    IMAPClientError,
    IMAPClientReadOnlyError,
    LoginError,
)
from imapclient.util import to_unicode

from mailapp.server.upstream.models import LinkState

TLS_MODES = ("implicit", "starttls", "none")
DEFAULT_PORTS = {"implicit": 993, "starttls": 143, "none": 143}
CONNECT_TIMEOUT = 15.0
READ_TIMEOUT = 120.0


class UpstreamError(Exception):
    """A failure talking to the upstream: `state` for the link, `str()` for the user."""

    def __init__(self, state: LinkState, message: str) -> None:
        super().__init__(message)
        self.state = state


@dataclass(frozen=True)
class Endpoint:
    host: str
    port: int
    tls: str
    username: str

    def describe(self) -> str:
        return f"{self.username} at {self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: Endpoint) -> None:
    """Raise ValueError for settings that must be refused before any connection."""
    if endpoint.tls not in TLS_MODES:
        raise ValueError(f"--tls must be one of {', '.join(TLS_MODES)}, got {endpoint.tls!r}")
    if endpoint.tls == "none" and not is_loopback(endpoint.host):
        raise ValueError(
            f"plain IMAP without TLS is allowed only to this machine (loopback), not to "
            f"{endpoint.host}: use --tls implicit (port 993) or --tls starttls (port 143)"
        )
    if not 0 < endpoint.port < 65536:
        raise ValueError(f"the port must be 1-65535, got {endpoint.port}")
    if not endpoint.host or any(c.isspace() for c in endpoint.host):
        raise ValueError(f"bad host name {endpoint.host!r}")


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _cap_from_env() -> int:
    try:
        return max(1, int(os.environ.get("MAILAPP_UPSTREAM_MAX_CONNECTIONS_PER_HOST", "16")))
    except ValueError:
        return 16


# Connections this process may hold to one upstream host at once (sync and IDLE together):
# providers limit connections per client address, and one server fronts many accounts.
MAX_CONNECTIONS_PER_HOST = _cap_from_env()
SLOT_WAIT_SECONDS = 30.0
_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_lock = threading.Lock()


class _Slot:
    """One of a host's connection slots, given back exactly once (by close() or, for a client
    dropped without close(), when it is garbage-collected)."""

    def __init__(self, semaphore: threading.BoundedSemaphore) -> None:
        self._semaphore = semaphore
        self._held = True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._semaphore.release()


def _take_slot(endpoint: Endpoint) -> _Slot:
    key = endpoint.host.lower()
    with _slots_lock:
        semaphore = _slots.get(key)
        if semaphore is None:
            semaphore = _slots[key] = threading.BoundedSemaphore(MAX_CONNECTIONS_PER_HOST)
    if not semaphore.acquire(timeout=SLOT_WAIT_SECONDS):
        raise UpstreamError(
            LinkState.unreachable,
            f"this server already holds {MAX_CONNECTIONS_PER_HOST} connections to "
            f"{endpoint.host} (MAILAPP_UPSTREAM_MAX_CONNECTIONS_PER_HOST); will try again",
        )
    return _Slot(semaphore)


def connect(
    endpoint: Endpoint,
    password: str,
    *,
    ssl_context: ssl.SSLContext | None = None,
    timeout: float = READ_TIMEOUT,
) -> IMAPClient:
    """A logged-in client; raises UpstreamError (never the password) on any failure."""
    try:
        check_endpoint(endpoint)
    except ValueError as exc:
        raise UpstreamError(LinkState.error, str(exc)) from None
    # Loading the trust store costs ~0.1 s: only when TLS is used.
    context = ssl_context or (tls_context() if endpoint.tls != "none" else None)
    where = f"{endpoint.host}:{endpoint.port}"
    from imapclient.imapclient import SocketTimeout

    slot = _take_slot(endpoint)
    try:
        with _classified(endpoint):
            client = IMAPClient(
                endpoint.host,
                port=endpoint.port,
                ssl=endpoint.tls == "implicit",
                ssl_context=context if endpoint.tls == "implicit" else None,
                timeout=SocketTimeout(connect=CONNECT_TIMEOUT, read=timeout),
            )
    except BaseException:
        slot.release()
        raise
    client._mailapp_slot = slot  # type: ignore[attr-defined]
    weakref.finalize(client, slot.release)
    try:
        with _classified(endpoint):
            if endpoint.tls == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise UpstreamError(
                        LinkState.tls_error,
                        f"{where} does not offer STARTTLS: use --tls implicit (port 993)",
                    )
                client.starttls(context)  # verifies the certificate and the host name
            client.login(endpoint.username, password)
    except BaseException:
        with contextlib.suppress(Exception):
            client.shutdown()
        slot.release()
        raise
    return client


@contextlib.contextmanager
def _classified(endpoint: Endpoint) -> Iterator[None]:
    where = f"{endpoint.host}:{endpoint.port}"
    try:
        yield
    except UpstreamError:
        raise
    except LoginError as exc:
        raise UpstreamError(
            LinkState.auth_failed,
            f"{where} refused the username or password of {endpoint.username} "
            f"({_server_text(exc)}): link the account again with the right password",
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise UpstreamError(
            LinkState.tls_error,
            f"the TLS certificate of {where} is not valid ({exc.verify_message}); "
            "the connection was refused",
        ) from None
    except ssl.SSLError as exc:
        raise UpstreamError(
            LinkState.tls_error,
            f"no TLS connection to {where} ({exc.reason or exc}): check --tls and --port "
            "(implicit TLS is usually port 993, STARTTLS port 143)",
        ) from None
    except socket.gaierror:
        raise UpstreamError(
            LinkState.unreachable, f"the host name {endpoint.host} cannot be resolved"
        ) from None
    except TimeoutError:
        raise UpstreamError(
            LinkState.unreachable, f"{where} did not answer in time; will try again"
        ) from None
    except ConnectionRefusedError:
        raise UpstreamError(
            LinkState.unreachable, f"{where} refused the connection (is it the IMAP port?)"
        ) from None
    except (OSError, EOFError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise UpstreamError(
            LinkState.unreachable, f"the connection to {where} failed: {reason}"
        ) from None
    except IMAPClientReadOnlyError as exc:
        # A subclass of the abort below, but the connection is fine: a folder is read-only.
        raise UpstreamError(
            LinkState.read_only, f"{where}: a folder is read-only ({_server_text(exc)})"
        ) from None
    except IMAPClientAbortError as exc:
        raise UpstreamError(
            LinkState.unreachable,
            f"the connection to {where} was lost ({_server_text(exc)}); will try again",
        ) from None
    except IMAPClientError as exc:
        raise UpstreamError(
            LinkState.error, f"{where} answered with an error: {_server_text(exc)}"
        ) from None


def _server_text(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith(("b'", 'b"')):
        with contextlib.suppress(Exception):
            text = to_unicode(eval_bytes(text))
    return text[:300]


def eval_bytes(text: str) -> bytes:
    """imapclient wraps the server's bytes in str(): "b'[AUTHENTICATIONFAILED] ...'"."""
    import ast

    value = ast.literal_eval(text)
    return value if isinstance(value, bytes) else text.encode()


@contextlib.contextmanager
def session(
    endpoint: Endpoint, password: str, *, ssl_context: ssl.SSLContext | None = None
) -> Iterator[IMAPClient]:
    """A logged-in client, logged out when the block ends; errors inside are classified."""
    client = connect(endpoint, password, ssl_context=ssl_context)
    try:
        with _classified(endpoint):
            yield client
    finally:
        close(client)


def close(client: IMAPClient) -> None:
    """LOGOUT, or when the connection is already broken, just close the socket; either way
    the host's connection slot is given back."""
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()
    finally:
        slot = getattr(client, "_mailapp_slot", None)
        if slot is not None:
            slot.release()

"""Inbound delivery for self-hosters: an LMTP listener (aiosmtpd) that an MTA such as Postfix
hands received mail to (`mailapp-server serve --lmtp 127.0.0.1:2424` or `--lmtp unix:/path`).

- RCPT of an address no user has is refused at once (550 5.1.1), so the MTA bounces it itself.
- After DATA there is one reply per accepted recipient (RFC 2033): one recipient's full
  mailbox (552 5.2.2) does not refuse the others, and a refused DATA (too large, a line too
  long) is answered for each of them.
- Everything is bounded: message size (SIZE is advertised; more gets 552), recipients per
  transaction (more get 452: the MTA sends them again in another), line length (RFC 5321's
  1,000 octets), idle time per command, total time of one connection, open connections.
- Filing is idempotent by content hash (server/inbound.py), so an MTA retrying after a lost
  reply never makes a second copy.

LMTP has no authentication: whoever can connect can deliver to every user. So the listener
only ever binds a loopback address or a unix socket (mode 0660, for the MTA's group).

It runs in the `serve` process on a thread of its own with its own event loop (not in each
uvicorn worker, which could not all bind one address); the database work of each transaction
runs on a worker thread so one slow commit never stalls the other connections. A delivered
message is an ordinary email with a new modseq: the change feed and `/v1/events` carry it to
the clients like any other change (PostgreSQL NOTIFY, or the SQLite poll across processes).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller, UnixSocketController
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy.engine import Engine

from mailapp.mime.parse import parse_message
from mailapp.server.inbound import Filed, file_inbound, find_recipient
from mailapp.server.incoming import content_hash

log = logging.getLogger(__name__)

# Seconds a connection may sit between two commands (or two lines of DATA) before it is closed.
IDLE_TIMEOUT = 120.0
# Seconds one connection may last in all; the MTA reconnects (Postfix reuses one for 300 s).
SESSION_LIMIT = 3600.0
# Connections served at once; more get 421 and are retried by the MTA (Postfix opens ≤ 20).
MAX_CONNECTIONS = 20
SOCKET_MODE = 0o660


class ListenAddressError(ValueError):
    """The --lmtp address cannot be used; the message says why."""


@dataclass(frozen=True)
class ListenAddress:
    host: str = ""
    port: int = 0
    unix_path: Path | None = None

    def __str__(self) -> str:
        if self.unix_path is not None:
            return f"unix:{self.unix_path}"
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen_address(text: str) -> ListenAddress:
    """`127.0.0.1:2424`, `[::1]:2424`, `localhost:2424` or `unix:/run/mailapp/lmtp`."""
    text = text.strip()
    if text.startswith("unix:"):
        path = Path(text[5:]).expanduser()
        if not path.is_absolute():
            raise ListenAddressError(f"the LMTP socket path must be absolute, got {text!r}")
        return ListenAddress(unix_path=path)
    host, sep, port_text = text.rpartition(":")
    if not sep or not host:
        raise ListenAddressError(
            f"LMTP address must look like 127.0.0.1:2424 or unix:/path, got {text!r}"
        )
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        port = int(port_text)
    except ValueError:
        raise ListenAddressError(f"bad LMTP port {port_text!r}") from None
    if not 0 <= port < 65536:  # 0: any free port (the listener's .port tells which)
        raise ListenAddressError(f"the LMTP port must be 0-65535, got {port}")
    if host != "localhost":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            raise ListenAddressError(f"the LMTP host must be an IP address, got {host!r}") from None
        if not loopback:
            raise ListenAddressError(
                f"LMTP has no authentication, so it listens only on loopback or a unix socket; "
                f"{host} is not a loopback address (run the MTA on this machine)"
            )
    return ListenAddress(host=host, port=port)


class MailappLMTP(LMTP):
    """aiosmtpd's LMTP with the bounds above and one reply per recipient for a refused DATA."""

    def __init__(self, handler: InboundHandler, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._handler = handler
        self._refused_connection = False
        self._session_timer: asyncio.TimerHandle | None = None
        self._data_replies = 0  # > 0 between "354" and the end of DATA

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._handler.connections >= MAX_CONNECTIONS:
            self._refused_connection = True
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(b"421 4.3.2 too many connections, try again later\r\n")
            transport.close()
            return
        self._handler.connections += 1
        self._handler.transports.add(transport)
        self._session_timer = self.loop.call_later(SESSION_LIMIT, transport.close)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused_connection:
            return
        self._handler.connections -= 1
        self._handler.transports.discard(self.transport)
        if self._session_timer is not None:
            self._session_timer.cancel()
        super().connection_lost(exc)

    async def smtp_DATA(self, arg: str) -> None:
        try:
            await super().smtp_DATA(arg)
        finally:
            self._data_replies = 0

    async def push(self, status: str) -> None:
        if status.startswith("354") and self.envelope is not None:
            self._data_replies = len(self.envelope.rcpt_tos)
        elif self._data_replies > 1 and "\r\n" not in status:
            # aiosmtpd answers a refused DATA (552 too much data, 500 line too long) once;
            # an LMTP client waits for one reply per accepted recipient.
            status = "\r\n".join([status] * self._data_replies)
        await super().push(status)


class InboundHandler:
    """aiosmtpd hooks: recipients checked at RCPT, the message filed per recipient at DATA."""

    def __init__(self, engine: Engine, *, max_recipients: int, storage_quota_bytes: int) -> None:
        self.engine = engine
        self.max_recipients = max_recipients
        self.storage_quota_bytes = storage_quota_bytes
        self.connections = 0
        self.transports: set[Any] = set()  # open connections, closed when the listener stops

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return "452 4.5.3 too many recipients in one transaction, send the rest in another"
        try:
            account_id = await asyncio.to_thread(find_recipient, self.engine, address)
        except Exception:
            log.exception("LMTP: cannot look up %s", address)
            return "451 4.3.0 temporary server error, try again later"
        if account_id is None:
            return f"550 5.1.1 <{address}>: no such user here"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        accounts: list[str] = envelope.__dict__.setdefault("mailapp_accounts", [])
        accounts.append(account_id)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        accounts: list[str] = envelope.__dict__.get("mailapp_accounts", [])
        recipients = list(zip(envelope.rcpt_tos, accounts, strict=True))
        replies = await asyncio.to_thread(self._file_all, raw, recipients)
        return "\r\n".join(replies)

    def _file_all(self, raw: bytes, recipients: list[tuple[str, str]]) -> list[str]:
        """One reply per recipient, in RCPT order (blocking: runs on a worker thread)."""
        try:
            parsed = parse_message(raw)
        except Exception:
            log.exception("LMTP: a message could not be parsed")
            return ["554 5.6.0 the message could not be read"] * len(recipients)
        sha256 = content_hash(raw)
        replies = []
        for address, account_id in recipients:
            try:
                filed = file_inbound(
                    self.engine,
                    account_id,
                    raw,
                    parsed,
                    sha256=sha256,
                    storage_quota_bytes=self.storage_quota_bytes,
                )
            except Exception:
                # The MTA keeps the message and tries again: nothing is lost.
                log.exception("LMTP: filing for account %s failed", account_id)
                replies.append(f"451 4.3.0 <{address}> temporary server error, try again later")
                continue
            if filed is Filed.FULL:
                replies.append(f"552 5.2.2 <{address}> the mailbox is full")
            elif filed is Filed.DUPLICATE:
                replies.append(f"250 2.0.0 <{address}> already delivered")
            else:
                replies.append(f"250 2.0.0 <{address}> delivered")
        return replies


class LmtpListener:
    """The LMTP listener on its own thread; `start()` binds (or raises), `stop()` closes."""

    def __init__(
        self,
        engine: Engine,
        address: ListenAddress,
        *,
        max_bytes: int,
        max_recipients: int,
        storage_quota_bytes: int,
        hostname: str | None = None,
    ) -> None:
        self.address = address
        self.handler = InboundHandler(
            engine, max_recipients=max_recipients, storage_quota_bytes=storage_quota_bytes
        )
        options: dict[str, Any] = {
            "data_size_limit": max_bytes,
            "enable_SMTPUTF8": True,
            "timeout": IDLE_TIMEOUT,
            "server_hostname": hostname or socket.getfqdn(),
        }
        self._options = options
        self._controller: Any = None

    def _make_controller(self) -> Any:
        handler, address = self.handler, self.address

        def factory(controller: Any) -> MailappLMTP:
            return MailappLMTP(handler, loop=controller.loop, **controller.SMTP_kwargs)

        if address.unix_path is not None:
            controller: Any = _UnixLMTPController(
                handler, unix_socket=address.unix_path, **self._options
            )
        else:
            controller = _InetLMTPController(
                handler, hostname=address.host, port=address.port, **self._options
            )
        controller.make_server = factory
        return controller

    @classmethod
    def from_settings(cls, engine: Engine, settings: Any) -> LmtpListener:
        return cls(
            engine,
            parse_listen_address(settings.lmtp_listen),
            max_bytes=settings.lmtp_max_bytes,
            max_recipients=settings.lmtp_max_recipients,
            storage_quota_bytes=settings.storage_quota_bytes,
        )

    def start(self) -> None:
        path = self.address.unix_path
        if path is not None:
            _clear_stale_socket(path)
        controller = self._make_controller()
        try:
            controller.start()
        except OSError as exc:
            controller.loop.close()
            raise ListenAddressError(f"cannot listen for LMTP on {self.address}: {exc}") from None
        self._controller = controller
        if path is not None:
            os.chmod(path, SOCKET_MODE)
        log.info("LMTP listening on %s", self.address)

    def stop(self) -> None:
        if self._controller is None:
            return

        async def close_connections() -> None:
            # A connection accepted a moment ago gets its protocol on a later turn of the loop.
            for _ in range(3):
                await asyncio.sleep(0.01)
            for transport in list(self.handler.transports):
                transport.close()
            await asyncio.sleep(0)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close_connections(), self._controller.loop).result(
                timeout=5
            )
        self._controller.stop()
        self._controller = None
        path = self.address.unix_path
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    @property
    def port(self) -> int:
        """The TCP port actually bound (useful with port 0)."""
        server = self._controller.server
        return int(server.sockets[0].getsockname()[1])


class _InetLMTPController(Controller):
    make_server: Any

    def factory(self) -> MailappLMTP:
        return self.make_server(self)  # type: ignore[no-any-return]

    def _trigger_server(self) -> None:
        # aiosmtpd opens a test connection to run factory(); that works on port 0 only with
        # the port actually bound.
        if self.port == 0 and self.server is not None:
            self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class _UnixLMTPController(UnixSocketController):
    make_server: Any

    def factory(self) -> MailappLMTP:
        return self.make_server(self)  # type: ignore[no-any-return]


def _clear_stale_socket(path: Path) -> None:
    """Remove a socket file left by a process that died; refuse anything else in the way."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise ListenAddressError(f"{path} exists and is not a socket; remove it or pick another")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(str(path))
    except OSError:
        path.unlink()  # nobody listens: a stale socket
        return
    finally:
        probe.close()
    raise ListenAddressError(f"another process already listens on {path}")

"""Hand one message to an SMTP relay and classify the outcome (blocking; run it in a thread)."""

from __future__ import annotations

import enum
import smtplib
import ssl
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


class RelayUrlError(ValueError):
    """The relay URL cannot be used."""


@dataclass(frozen=True)
class RelayTarget:
    host: str
    port: int
    security: str = "none"  # "none", "starttls" or "tls"
    username: str | None = None
    password: str | None = None


_SCHEMES = {"smtp": ("none", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


def parse_relay_url(url: str) -> RelayTarget:
    """`smtp://host:port`, `smtp+starttls://user:pass@host:587` or `smtps://host:465`."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES or not parts.hostname:
        raise RelayUrlError(
            "relay URL must look like smtp://host:port, smtp+starttls://… or smtps://…, "
            f"got {url!r}"
        )
    security, default_port = _SCHEMES[parts.scheme]
    try:
        port = parts.port or default_port
    except ValueError as exc:
        raise RelayUrlError(f"bad port in relay URL: {exc}") from None
    return RelayTarget(
        host=parts.hostname,
        port=port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class Outcome(enum.Enum):
    ACCEPTED = "accepted"
    TEMPORARY = "temporary"  # try again later: nothing was accepted
    PERMANENT = "permanent"  # 5xx for every recipient: do not try again


@dataclass
class RelayResult:
    outcome: Outcome
    detail: str = ""
    # Recipients the relay refused for good while it accepted others (5xx on RCPT).
    refused: dict[str, str] = field(default_factory=dict)


def relay_message(
    target: RelayTarget,
    mail_from: str,
    recipients: Sequence[str],
    message: bytes,
    *,
    timeout: float = 30.0,
    before_data: Callable[[], None] | None = None,
    local_hostname: str | None = None,
) -> RelayResult:
    """Run one SMTP transaction.

    `before_data` runs once every recipient has been accepted and before DATA: the caller
    commits there that the outcome is about to become uncertain, so a crash after it is never
    retried blindly (see delivery.py).
    """
    try:
        client = _connect(target, timeout, local_hostname)
    except (OSError, smtplib.SMTPException) as exc:
        return RelayResult(
            Outcome.TEMPORARY, f"cannot reach relay {target.host}:{target.port}: {exc}"
        )
    try:
        return _transaction(client, target, mail_from, recipients, message, before_data)
    except smtplib.SMTPResponseException as exc:
        return _classify(exc.smtp_code, exc.smtp_error)
    except (OSError, smtplib.SMTPException) as exc:
        # A connection lost mid-transaction: the relay only owns a message after its reply to
        # the end of DATA, so trying again is what every MTA does here.
        return RelayResult(Outcome.TEMPORARY, f"relay connection failed: {exc}")
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


def _connect(target: RelayTarget, timeout: float, local_hostname: str | None) -> smtplib.SMTP:
    if target.security == "tls":
        return smtplib.SMTP_SSL(
            target.host,
            target.port,
            local_hostname=local_hostname,
            timeout=timeout,
            context=ssl.create_default_context(),
        )
    return smtplib.SMTP(target.host, target.port, local_hostname=local_hostname, timeout=timeout)


def _transaction(
    client: smtplib.SMTP,
    target: RelayTarget,
    mail_from: str,
    recipients: Sequence[str],
    message: bytes,
    before_data: Callable[[], None] | None,
) -> RelayResult:
    client.ehlo_or_helo_if_needed()
    if target.security == "starttls":
        client.starttls(context=ssl.create_default_context())
        client.ehlo()
    if target.username is not None:
        client.login(target.username, target.password or "")
    options: list[str] = []
    if client.does_esmtp:
        if client.has_extn("size"):
            options.append(f"SIZE={len(message)}")
        if client.has_extn("8bitmime") and not message.isascii():
            options.append("BODY=8BITMIME")
    code, reply = client.mail(mail_from, options)
    if code != 250:
        client.rset()
        return _classify(code, reply)
    accepted: list[str] = []
    refused: dict[str, tuple[int, bytes]] = {}
    for rcpt in recipients:
        code, reply = client.rcpt(rcpt)
        if code in (250, 251):
            accepted.append(rcpt)
        else:
            refused[rcpt] = (code, reply)
    temporary = {r: v for r, v in refused.items() if 400 <= v[0] < 500}
    if temporary or not accepted:
        client.rset()
        # Retry the whole batch later: nothing has been accepted yet, so nothing duplicates.
        code, reply = next(iter((temporary or refused).values()))
        return _classify(code, reply, prefix=", ".join(temporary or refused) + ": ")
    if before_data is not None:
        before_data()
    code, reply = _data(client, message)
    if code != 250:
        return _classify(code, reply)
    return RelayResult(
        Outcome.ACCEPTED,
        f"{code} {_text(reply)}",
        refused={r: f"{c} {_text(m)}" for r, (c, m) in refused.items()},
    )


# Bytes handed to the socket at a time while streaming DATA.
DATA_CHUNK = 64 * 1024


def _data(client: smtplib.SMTP, message: bytes) -> tuple[int, bytes]:
    """DATA, streaming the message from the one copy we hold.

    smtplib's `data()` builds a dot-stuffed copy of the whole message (and another with the
    terminator), so a large message would sit in memory two or three times; here only lines
    starting with "." get an extra "." on the way out. The message is CRLF already (built
    with policy.SMTP).
    """
    code, reply = client.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    for chunk in dot_stuffed(message):
        client.send(chunk)  # type: ignore[arg-type]  # socket.sendall takes any buffer
    return client.getreply()


def dot_stuffed(message: bytes, chunk: int = DATA_CHUNK) -> Iterator[bytes | memoryview]:
    """The DATA stream of `message` (RFC 5321 4.5.2), terminator included, as slices of it."""
    view = memoryview(message)
    start = 0
    if message.startswith(b"."):
        yield b"."
    while True:
        hit = message.find(b"\n.", start)
        end = len(message) if hit < 0 else hit + 1
        for offset in range(start, end, chunk):
            yield view[offset : min(end, offset + chunk)]
        if hit < 0:
            break
        yield b"."
        start = end
    yield b".\r\n" if message.endswith(b"\r\n") else b"\r\n.\r\n"


def _classify(code: int, reply: bytes | str, prefix: str = "") -> RelayResult:
    detail = f"{prefix}{code} {_text(reply)}"
    if 500 <= code < 600:
        return RelayResult(Outcome.PERMANENT, detail)
    return RelayResult(Outcome.TEMPORARY, detail)


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply

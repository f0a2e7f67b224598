"""Generated mail for seeding the test Dovecot: varied, deterministic, cheap to make."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

_SENDERS = [
    ("Ada Lovelace", "ada@example.net"),
    ("Grace Hopper", "grace@example.com"),
    ("Émile Zola", "emile@example.fr"),
    ("", "noreply@example.org"),
]
_START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def message(index: int, *, tag: str = "m", attachment: bool | None = None) -> bytes:
    """Message number `index`: every 5th is HTML, every 7th has an attachment."""
    name, address = _SENDERS[index % len(_SENDERS)]
    msg = EmailMessage()
    msg["From"] = f"{name} <{address}>" if name else address
    msg["To"] = "owner@example.org"
    msg["Subject"] = f"{tag} message {index}: status report ✓"
    msg["Date"] = format_datetime(_START + timedelta(minutes=index))
    msg["Message-ID"] = f"<{tag}-{index}@test.mailapp.invalid>"
    text = f"Hello,\n\nthis is {tag} message number {index}.\n" + "Some more words. " * 20
    msg.set_content(text)
    if index % 5 == 0:
        msg.add_alternative(f"<p>Hello, this is <b>{tag} message {index}</b>.</p>", subtype="html")
    if attachment if attachment is not None else index % 7 == 0:
        msg.add_attachment(
            bytes(range(256)) * 8,
            maintype="application",
            subtype="octet-stream",
            filename=f"data-{index}.bin",
        )
    # Fixed boundaries: the same index gives the same bytes (a re-appended copy is identical).
    for depth, part in enumerate(msg.walk()):
        if part.is_multipart():
            part.set_boundary(f"=={tag}-{index}-{depth}==")
    return msg.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def messages(count: int, *, tag: str = "m", start: int = 0) -> Iterator[bytes]:
    for index in range(start, start + count):
        yield message(index, tag=tag)

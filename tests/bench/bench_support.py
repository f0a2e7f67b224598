"""Shared by the sync benchmarks: the real server in a subprocess on loopback, and mail rows.

`fill_messages` inserts header rows straight into the server's database (no raw message, so
their bodies are 404): enough for benchmarks of flags, not for anything that fetches bodies.
`deliver_messages` files real MIME messages the way delivery does.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import insert, update

from mailapp.server.auth import create_user
from mailapp.server.db import bump_modseq, make_engine, migrate, session_scope
from mailapp.server.models import Account, Email, Mailbox

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bench-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def serve(data_dir: Path) -> Iterator[tuple[str, str]]:
    """(base URL, database URL) of `mailapp-server serve` (SQLite) in a subprocess."""
    database_url = f"sqlite:///{data_dir / 'server.sqlite3'}"
    engine = make_engine(database_url)
    migrate(engine)
    engine.dispose()
    port = free_port()
    env = {**os.environ, "MAILAPP_SERVER_DATA": str(data_dir)}
    env["MAILAPP_DATABASE_URL"] = database_url
    cmd = [sys.executable, "-m", "mailapp.server.cli", "serve", "--port", str(port)]
    cmd += ["--workers", "1", "--log-level", "warning", "--grace", "1"]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/v1/session", timeout=2).status_code == 401:
                    break
            if proc.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        yield url, database_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def add_user(database_url: str, name: str) -> str:
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            return create_user(session, name, PASSWORD).id
    finally:
        engine.dispose()


def fill_messages(database_url: str, account_id: str, count: int) -> None:
    """Insert `count` header-only emails straight into the server's database."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            inbox = session.query(Mailbox).filter_by(account_id=account_id, role="inbox").one()
            base = bump_modseq(session, account_id)
            inbox_id = inbox.id
        now = datetime.now(UTC)
        for start in range(0, count, 5000):
            rows = [
                {
                    "id": str(uuid.uuid4()),
                    "account_id": account_id,
                    "mailbox_id": inbox_id,
                    "keywords": ["$seen"] if n % 3 else [],
                    "message_id": f"<bench-{n}@remote.example>",
                    "in_reply_to": [],
                    "references": [],
                    "subject": f"Benchmark message {n}",
                    "from_": [{"name": "Sender", "email": f"sender{n % 50}@remote.example"}],
                    "sender": [],
                    "to": [{"name": None, "email": "reader@example.org"}],
                    "cc": [],
                    "bcc": [],
                    "reply_to": [],
                    "date": now - timedelta(minutes=n),
                    "received_at": now,
                    "size": 2048,
                    "preview": "A short preview of the message body " * 3,
                    "attachments": [],
                    "created_modseq": base + 1 + n,
                    "updated_modseq": base + 1 + n,
                }
                for n in range(start, min(count, start + 5000))
            ]
            with session_scope(engine) as session:
                session.execute(insert(Email), rows)
        with session_scope(engine) as session:
            session.execute(
                update(Account).where(Account.id == account_id).values(modseq=base + count)
            )
    finally:
        engine.dispose()


def deliver_messages(database_url: str, account_id: str, count: int) -> None:
    """File `count` real MIME messages (with bodies) into the inbox, as delivery does.

    They are dated a year back, outside the client's prefetch window, so a synced profile has
    nothing left to download and a second cycle is a true no-change cycle.
    """
    from email.message import EmailMessage
    from email.utils import format_datetime

    from mailapp.server.incoming import store_incoming

    engine = make_engine(database_url)
    try:
        for start in range(0, count, 500):
            with session_scope(engine) as session:
                for n in range(start, min(count, start + 500)):
                    message = EmailMessage()
                    message["From"] = f"Sender {n % 50} <sender{n % 50}@remote.example>"
                    message["To"] = "reader@example.org"
                    message["Subject"] = f"Benchmark message {n}"
                    message["Message-ID"] = f"<bench-{n}@remote.example>"
                    when = datetime.now(UTC) - timedelta(days=365, minutes=n)
                    message["Date"] = format_datetime(when)
                    message.set_content(f"Body of message {n}.\n" * 20)
                    store_incoming(session, account_id, "inbox", message.as_bytes())
    finally:
        engine.dispose()


def new_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def children_cpu_seconds() -> float:
    """User + system CPU time so far of this process's descendants (the server `serve` runs
    in), from Linux /proc; 0 elsewhere. Tick-grained (10 ms): sum it over many cycles."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
    family, frontier = set(), {os.getpid()}
    while frontier:
        frontier = {pid for pid, parent in parents.items() if parent in frontier} - family
        family |= frontier
    total = 0
    for pid in family:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")

"""Upstream IMAP import benchmark; prints figures, asserts nothing about time.

    .venv/bin/python tests/bench/bench_imap_import.py [--messages 10000 50000] [--pg URL]
        [--resync-only]    (no mbsync, no `mailapp-server import`: the resync figures)

For each size: seeds a fresh user of a throwaway Dovecot (tests/support/dovecot.py) with
generated messages (about 1-4 KB, some with attachments), then measures

1. the initial import with full bodies (messages up to 1 MiB fetched whole, newest first; the
   generated ones all are), in messages per second;
2. a second sync with nothing changed (STATUS only), three times;
3. a sync after 1% of the flags changed upstream (CONDSTORE/QRESYNC), then 1 expunge;
   each with its wall and CPU time and the IMAP commands it sent. Goal: flat in the mailbox's
   size (one STATUS per folder and no per-message work when nothing changed; work in the
   changed messages otherwise).

The reference is mbsync (isync) pulling the same Dovecot mailbox into a fresh Maildir, run
before and after the import (the first run also warms Dovecot's caches for both), with its
default FSync and with `FSync no` (mailapp's SQLite runs WAL with synchronous=NORMAL, which does
not sync every commit either). The goal from issue 11 is at least twice mbsync's rate. Without
`mbsync` on the PATH (`apt-get install isync`) the reference is skipped, saying so. The machine
is shared and noisy, so the import's CPU time (this process) is printed beside its wall time.
"""

from __future__ import annotations

import argparse
import imaplib
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mailapp.server.auth import create_user  # noqa: E402
from mailapp.server.db import make_engine, migrate, session_scope  # noqa: E402
from mailapp.server.importer import import_messages  # noqa: E402
from mailapp.server.upstream.run import sync_link  # noqa: E402
from tests.imap.conftest import MailUser  # noqa: E402
from tests.imap.helpers import link_user  # noqa: E402
from tests.imap.messages import messages  # noqa: E402
from tests.support.dovecot import run_dovecot  # noqa: E402

GOAL_FACTOR = 2  # issue 11: every body offline at >= 2x mbsync
SENT: list[bytes] = []  # IMAP command lines sent (imaplib's send), for the resync figures


def _counting_send(self: imaplib.IMAP4, data: bytes) -> None:
    if data.startswith(self.tagpre.encode() if isinstance(self.tagpre, str) else self.tagpre):
        SENT.append(bytes(data).split(b"\r\n", 1)[0].split(b" ", 1)[-1][:60])
    _ORIGINAL_SEND(self, data)


_ORIGINAL_SEND = imaplib.IMAP4.send


MBSYNC_PER_CPU_SECOND: list[float] = []


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def mbsync_rate(user: MailUser, count: int, fsync: bool, keep: Path | None = None) -> float:
    """msg/s of mbsync pulling the user's INBOX, bodies and flags, into a fresh Maildir
    (left at `keep`/mail/INBOX when given)."""
    with tempfile.TemporaryDirectory() as tmp:
        base = keep or Path(tmp)
        config = base / "mbsyncrc"
        config.write_text(
            f"FSync {'yes' if fsync else 'no'}\n\n"
            f"IMAPAccount up\nHost {user.host}\nPort {user.port}\nUser {user.name}\n"
            f"Pass {user.password}\nSSLType None\nAuthMechs LOGIN\n\n"
            "IMAPStore remote\nAccount up\n\n"
            f"MaildirStore local\nPath {base}/mail/\nInbox {base}/mail/INBOX\n\n"
            "Channel pull\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\n"
            "Sync Pull\nSyncState *\n"
        )
        (base / "mail").mkdir()
        start, cpu = time.perf_counter(), _children_cpu()
        subprocess.run(["mbsync", "-q", "-c", str(config), "-a"], check=True, capture_output=True)
        took, cpu = time.perf_counter() - start, _children_cpu() - cpu
        MBSYNC_PER_CPU_SECOND.append(count / cpu)
        inbox = base / "mail" / "INBOX"
        got = sum(1 for sub in ("cur", "new") for _ in (inbox / sub).iterdir())
        assert got == count, (got, count)
    return count / took


def local_import(maildir: Path, count: int, url: str | None) -> None:
    """`mailapp-server import` of the Maildir mbsync wrote (the same messages), in process."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'import.sqlite3'}")
        migrate(engine)
        name = f"i{uuid.uuid4().hex[:10]}"
        with session_scope(engine) as session:
            create_user(session, name, "bench-password-1", email=f"{name}@example.org")
        start, cpu = time.perf_counter(), time.process_time()
        report = import_messages(engine, name, maildir)
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert report.imported == count, report
        print(
            f"  mailapp-server import of the same {count} messages (mbsync's Maildir): "
            f"{took:.1f} s, {count / took:,.0f} msg/s ({count / cpu:,.0f} msg per CPU second)"
        )
        engine.dispose()


def timed_sync(engine: object, linked: object, label: str) -> object:
    """One sync, printed with its wall and CPU time and the IMAP commands it sent."""
    SENT.clear()
    imaplib.IMAP4.send = _counting_send  # type: ignore[method-assign]
    start, cpu = time.perf_counter(), time.process_time()
    try:
        stats = sync_link(engine, linked.key, linked.upstream_id)  # type: ignore[arg-type, attr-defined]
    finally:
        imaplib.IMAP4.send = _ORIGINAL_SEND  # type: ignore[method-assign]
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert stats is not None
    verbs: dict[str, int] = {}
    for line in SENT:
        words = line.decode("ascii", "replace").upper().split()
        verb = " ".join(words[:2]) if words[0] == "UID" else words[0]
        verbs[verb] = verbs.get(verb, 0) + 1
    print(
        f"  {label}: {took * 1000:.0f} ms wall, {cpu * 1000:.0f} ms CPU in this process; "
        f"{len(SENT)} IMAP commands ({', '.join(f'{v} {n}' for v, n in sorted(verbs.items()))})"
    )
    return stats


def bench(dovecot: object, count: int, url: str | None, reference: bool = True) -> None:
    user = MailUser(dovecot, f"b{uuid.uuid4().hex[:10]}", "bench-password")  # type: ignore[arg-type]
    dovecot.add_user(user.name, user.password)  # type: ignore[attr-defined]
    start = time.perf_counter()
    uids = user.append("INBOX", messages(count))
    print(f"  seeded {count} messages by APPEND in {time.perf_counter() - start:.1f} s")
    mbsync: dict[str, list[float]] = {"FSync yes": [], "FSync no": []}
    has_mbsync = reference and shutil.which("mbsync") is not None
    kept = Path(tempfile.mkdtemp(prefix="bench-mbsync-"))
    if has_mbsync:
        for label in mbsync:
            yes = label == "FSync yes"
            mbsync[label].append(mbsync_rate(user, count, fsync=yes, keep=None if yes else kept))
    elif reference:
        print("  mbsync not installed (apt-get install isync): no reference figure")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'server.sqlite3'}")
        migrate(engine)
        linked = link_user(engine, user)
        start = time.perf_counter()
        cpu = time.process_time()
        first_headers: list[float] = []

        def mark(phase: str, _n: int) -> None:
            if phase in ("headers", "messages") and not first_headers:
                first_headers.append(time.perf_counter() - start)

        stats = sync_link(engine, linked.key, linked.upstream_id, after_batch=mark)
        took = time.perf_counter() - start
        cpu = time.process_time() - cpu
        assert stats is not None and stats.bodies == count, stats
        rate = count / took
        print(
            f"  initial import: {took:.1f} s, {rate:,.0f} msg/s with full bodies "
            f"({cpu:.1f} s CPU in this process, {count / cpu:,.0f} msg per CPU second; "
            f"first {min(count, 500)} messages listed after {first_headers[0]:.2f} s)"
        )
        if has_mbsync:
            for label in mbsync:
                mbsync[label].append(mbsync_rate(user, count, fsync=label == "FSync yes"))
            for label, rates in mbsync.items():
                print(
                    f"  mbsync ({label}), before/after the import: "
                    + " / ".join(f"{r:,.0f}" for r in rates)
                    + " msg/s"
                )
            print(
                "  mbsync, messages per CPU second of its own process: "
                + " / ".join(f"{r:,.0f}" for r in MBSYNC_PER_CPU_SECOND)
            )
            MBSYNC_PER_CPU_SECOND.clear()
            best = max(max(rates) for rates in mbsync.values())
            print(
                f"  goal >= {GOAL_FACTOR}x mbsync's best = {GOAL_FACTOR * best:,.0f} msg/s; "
                f"mailapp is {rate / best:.2f}x mbsync"
            )
        print("  resyncs (goal: flat in the mailbox's size; one STATUS per folder when nothing")
        print("  changed, work in the changed messages otherwise):")
        timed_sync(engine, linked, "first resync after the import")
        for run in range(3):
            timed_sync(engine, linked, f"no-change resync {run + 1}")
        with user.connect() as client:
            client.select_folder("INBOX")
            client.add_flags(uids[::100], [b"\\Seen"])
        stats = timed_sync(engine, linked, f"resync after {len(uids[::100])} flag changes (1%)")
        assert stats.flag_changes == len(uids[::100]), stats  # type: ignore[attr-defined]
        with user.connect() as client:
            client.select_folder("INBOX")
            client.delete_messages(uids[1:2])
            client.expunge()
        stats = timed_sync(engine, linked, "resync after 1 expunge")
        assert stats.expunged == 1, stats  # type: ignore[attr-defined]
        timed_sync(engine, linked, "no-change resync after them")
        engine.dispose()
    if has_mbsync:
        local_import(kept / "mail" / "INBOX", count, url)
    shutil.rmtree(kept, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--pg", help="PostgreSQL URL of an empty database (default: SQLite)")
    parser.add_argument(
        "--resync-only", action="store_true", help="no mbsync, no mailapp-server import"
    )
    args = parser.parse_args()
    with run_dovecot() as dovecot:
        for count in args.messages:
            print(f"{count} messages ({'PostgreSQL' if args.pg else 'SQLite'}):")
            bench(dovecot, count, args.pg, reference=not args.resync_only)


if __name__ == "__main__":
    main()

"""Upstream IMAP import benchmark; prints figures, asserts nothing about time.

    .venv/bin/python tests/bench/bench_imap_import.py [--messages 10000 50000] [--pg URL]

For each size: seeds a fresh user of a throwaway Dovecot (tests/support/dovecot.py) with
generated messages (about 1-4 KB, some with attachments), then measures

1. the initial import with full bodies (headers pass + bodies pass), in messages per second;
2. a second sync with nothing changed (STATUS only);
3. a sync after 1% of the flags changed upstream (CONDSTORE/QRESYNC).

The reference is mbsync on the same Dovecot mailbox (about 700-1,200 msg/s on this kind of
machine for full bodies).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mailapp.server.db import make_engine, migrate  # noqa: E402
from mailapp.server.upstream.run import sync_link  # noqa: E402
from tests.imap.conftest import MailUser  # noqa: E402
from tests.imap.helpers import link_user  # noqa: E402
from tests.imap.messages import messages  # noqa: E402
from tests.support.dovecot import run_dovecot  # noqa: E402


def bench(dovecot: object, count: int, url: str | None) -> None:
    user = MailUser(dovecot, f"b{uuid.uuid4().hex[:10]}", "bench-password")  # type: ignore[arg-type]
    dovecot.add_user(user.name, user.password)  # type: ignore[attr-defined]
    start = time.perf_counter()
    uids = user.append("INBOX", messages(count))
    print(f"  seeded {count} messages by APPEND in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(url or f"sqlite:///{Path(tmp) / 'server.sqlite3'}")
        migrate(engine)
        linked = link_user(engine, user)
        start = time.perf_counter()
        first_headers: list[float] = []

        def mark(phase: str, _n: int) -> None:
            if phase == "headers" and not first_headers:
                first_headers.append(time.perf_counter() - start)

        stats = sync_link(engine, linked.key, linked.upstream_id, after_batch=mark)
        took = time.perf_counter() - start
        assert stats is not None and stats.bodies == count, stats
        print(
            f"  initial import: {took:.1f} s, {count / took:,.0f} msg/s with full bodies "
            f"(first {min(count, 500)} headers listed after {first_headers[0]:.2f} s)"
        )
        start = time.perf_counter()
        stats = sync_link(engine, linked.key, linked.upstream_id)
        print(f"  no-change resync: {(time.perf_counter() - start) * 1000:.0f} ms")
        with user.connect() as client:
            client.select_folder("INBOX")
            client.add_flags(uids[::100], [b"\\Seen"])
        start = time.perf_counter()
        stats = sync_link(engine, linked.key, linked.upstream_id)
        assert stats is not None
        print(
            f"  resync after {stats.flag_changes} flag changes: "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, nargs="+", default=[10_000, 50_000])
    parser.add_argument("--pg", help="PostgreSQL URL of an empty database (default: SQLite)")
    args = parser.parse_args()
    with run_dovecot() as dovecot:
        for count in args.messages:
            print(f"{count} messages ({'PostgreSQL' if args.pg else 'SQLite'}):")
            bench(dovecot, count, args.pg)


if __name__ == "__main__":
    main()

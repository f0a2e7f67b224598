"""Pull and push 100 flag changes in a 50,000-message account, in process; prints figures.

    .venv/bin/python tests/bench/bench_flags.py [--messages 50000] [--changes 100] [--runs 5]
        [--profile]

The real server (`mailapp-server serve`, SQLite) runs in a subprocess on 127.0.0.1 with
`--messages` header rows; a store is synced once through the real SyncEngine. Then, `--runs`
times each:
- push: the user flags `--changes` messages (MailStore.set_flagged), and one sync cycle pushes
  them (and pulls the server's answer);
- pull: `--changes` messages change keywords on the server (as another device would), and one
  sync cycle pulls them.
Each figure is the in-process wall time of `SyncEngine.run_cycle(prefetch=False)` (the bodies of
these header rows are not on the server), printed beside the goal, with the CPU time per cycle
of the client and the server. `--profile` adds a cProfile of one push and one pull cycle, in
CPU time (in wall time it showed mostly the wait for the server's answer).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")

from sqlalchemy import select, update  # noqa: E402

from mailapp.server.db import bump_modseq, make_engine, session_scope  # noqa: E402
from mailapp.server.models import Account, Email  # noqa: E402
from mailapp.store import open_store  # noqa: E402
from mailapp.sync.account import add_account, client_for  # noqa: E402
from mailapp.sync.engine import SyncEngine  # noqa: E402
from tests.bench.bench_support import (  # noqa: E402
    PASSWORD,
    add_user,
    children_cpu_seconds,
    fill_messages,
    new_name,
    serve,
)

GOAL_MS = 30


def change_on_server(database_url: str, account_id: str, email_ids: list[str]) -> None:
    """Toggle $flagged on these emails, bumping their modseq as the server's merge does."""
    engine = make_engine(database_url)
    try:
        with session_scope(engine) as session:
            rows = session.execute(
                select(Email.id, Email.keywords).where(
                    Email.account_id == account_id, Email.id.in_(email_ids)
                )
            ).all()
            for email_id, keywords in rows:
                modseq = bump_modseq(session, account_id)
                flipped = sorted(set(keywords) ^ {"$flagged"})
                session.execute(
                    update(Email)
                    .where(Email.id == email_id)
                    .values(keywords=flipped, updated_modseq=modseq)
                )
            session.execute(select(Account.modseq).where(Account.id == account_id))
    finally:
        engine.dispose()


def timed(
    engine: SyncEngine, profile: cProfile.Profile | None, cpu: list[tuple[float, float]]
) -> tuple[float, int, int]:
    """Wall ms of one cycle, and (pushed, pulled); appends (client, server) CPU seconds to
    `cpu`: on a shared machine the wall time is mostly waiting for a core."""
    server = children_cpu_seconds()
    client = time.process_time()
    start = time.perf_counter()
    if profile is not None:
        profile.enable()
    report = engine.run_cycle(prefetch=False)
    if profile is not None:
        profile.disable()
    elapsed = (time.perf_counter() - start) * 1000
    cpu.append((time.process_time() - client, children_cpu_seconds() - server))
    return elapsed, report.pushed, report.pulled


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--changes", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-flags-") as tmp:
        work = Path(tmp)
        (work / "server").mkdir()
        with serve(work / "server") as (url, database_url):
            name = new_name("flags")
            account = add_user(database_url, name)
            fill_messages(database_url, account, args.messages)
            with open_store(work / "profile" / "mail.sqlite3") as store:
                signed = add_account(store, url, name, PASSWORD)
                client = client_for(store, signed.account_id)
                engine = SyncEngine(store, client, signed.account_id)
                start = time.perf_counter()
                engine.run_cycle(prefetch=False)
                print(
                    f"initial sync of {args.messages:,} header rows: "
                    f"{time.perf_counter() - start:.1f} s"
                )
                inbox = store.mailbox_by_role(signed.account_id, "inbox")
                assert inbox is not None
                # Pushed: the newest messages; changed on the server: others (the same message
                # in both would already be flagged here, and flagging it again pushes nothing).
                wanted = args.changes * args.runs
                ids = [m.id for m in store.page(inbox.id, limit=2 * wanted)]
                ids, server_ids = ids[:wanted], ids[wanted:]
                pushes, pulls = [], []
                cpu: dict[str, list[tuple[float, float]]] = {"push": [], "pull": []}
                push_profile = cProfile.Profile(time.process_time) if args.profile else None
                pull_profile = cProfile.Profile(time.process_time) if args.profile else None
                for run in range(args.runs):
                    chunk = ids[run * args.changes : (run + 1) * args.changes]
                    store.set_flagged(chunk)
                    elapsed, pushed, _ = timed(
                        engine, push_profile if run == 1 else None, cpu["push"]
                    )
                    assert pushed == len(chunk), (pushed, len(chunk))
                    pushes.append(elapsed)
                    server_chunk = server_ids[run * args.changes : (run + 1) * args.changes]
                    change_on_server(database_url, account, server_chunk)
                    elapsed, _, pulled = timed(
                        engine, pull_profile if run == 1 else None, cpu["pull"]
                    )
                    assert pulled >= args.changes, pulled
                    pulls.append(elapsed)
                client.close()
    load = os.getloadavg()[0]
    for what, figures in (("push", pushes), ("pull", pulls)):
        print(
            f"{what} {args.changes} flag changes at {args.messages:,} messages, one sync cycle in "
            f"process: median {statistics.median(figures):.0f} ms (min {min(figures):.0f}, max "
            f"{max(figures):.0f}, {args.runs} runs); goal <= {GOAL_MS} ms; CPU per cycle: "
            f"client {1000 * sum(c for c, _ in cpu[what]) / args.runs:.0f} ms, server "
            f"{1000 * sum(s for _, s in cpu[what]) / args.runs:.0f} ms; "
            f"load average {load:.1f} on {os.cpu_count()} CPUs"
        )
    for what, profile in (("push", push_profile), ("pull", pull_profile)):
        if profile is not None:
            print(f"--- profile of one {what} cycle ---")
            pstats.Stats(profile).sort_stats("cumulative").print_stats(35)


if __name__ == "__main__":
    main()

"""The UI thread's cost of one user action on many selected messages (a plain script).

    .venv/bin/python tests/bench/bench_bulk_actions.py [--sizes 100,1000] [--runs 5]

For each size N, a fresh store with 4N demo messages in the inbox; each run flags, marks read,
moves to the archive and deletes (to the trash) N other messages — one MailStore call each, as
the message list's actions call them on the UI thread. Prints the median CPU time
(time.process_time: the machine is shared, wall time is noise) and the SQL statements of each
call (executemany counts as one) beside the goal of one frame, 16 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from sqlalchemy import event

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mailapp.core.demo import generate_demo
from mailapp.store import MailStore, open_store

GOAL_MS = 16.0


def _store(path: Path, count: int) -> tuple[MailStore, list[str], str]:
    store = open_store(path)
    account = store.create_account("me@example.org")
    inbox = store.mailbox_by_role(account, "inbox")
    archive = store.mailbox_by_role(account, "archive")
    assert inbox is not None and archive is not None
    store.import_messages(
        account, [(inbox.id, m.message, frozenset()) for m in generate_demo(count, seed=7)]
    )
    ids = [s.id for s in store.page(inbox.id, limit=count)]
    return store, ids, archive.id


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for size in (int(s) for s in args.sizes.split(",")):
        figures: dict[str, list[float]] = {}
        statements: dict[str, int] = {}
        for _run in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                store, ids, archive = _store(Path(tmp) / "mail.sqlite3", 4 * size)
                actions: dict[str, Callable[[list[str]], None]] = {
                    "set_flagged": store.set_flagged,
                    "mark_read": store.mark_read,
                    "move": partial(store.move, mailbox_id=archive),
                    "delete": store.delete,
                }
                for i, (name, action) in enumerate(actions.items()):
                    chosen = ids[i * size : (i + 1) * size]
                    seen: list[str] = []

                    def count(*a: object, seen: list[str] = seen) -> None:
                        seen.append("")

                    event.listen(store._engine, "before_cursor_execute", count)
                    start = time.process_time()
                    action(chosen)
                    figures.setdefault(name, []).append((time.process_time() - start) * 1e3)
                    event.remove(store._engine, "before_cursor_execute", count)
                    statements[name] = len(seen)
                store.close()
        for name, values in figures.items():
            print(
                f"{size:>6} messages  {name:<12} {statistics.median(values):8.2f} ms CPU"
                f"  {statements[name]:>5} statements   goal ≤ {GOAL_MS:.0f} ms"
            )


if __name__ == "__main__":
    main()

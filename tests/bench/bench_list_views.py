"""Benchmark the message list's orders and conversation grouping on a large mailbox (a plain
script; prints figures). Every order must page by keyset, so a page costs the same at the top
and deep down.

Run from the repository root:
    .venv/bin/python tests/bench/bench_list_views.py [--messages N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mailapp.core.demo import generate_demo
from mailapp.store import PageCursor, open_store, views
from mailapp.store.views import SortOrder

PAGE = 64
REPEATS = 20


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "mail.sqlite3")
        account_id = store.create_account("me@example.org")
        started = time.perf_counter()
        store.import_messages(account_id, generate_demo(args.messages, seed=0))
        print(f"imported {args.messages} demo messages in {time.perf_counter() - started:.1f} s")
        inbox = store.mailbox_by_role(account_id, "inbox")
        assert inbox is not None
        print(f"inbox holds {store.count(inbox.id)} messages; page size {PAGE}")
        for order in SortOrder:
            for conversations in (False, True):
                first: list[float] = []
                deep: list[float] = []
                cursor: PageCursor | None = None
                for _ in range(REPEATS):
                    t = time.perf_counter()
                    page = views.page(store, inbox.id, None, PAGE, order=order,
                                      conversations=conversations)  # fmt: skip
                    first.append(time.perf_counter() - t)
                    cursor = PageCursor.after(page[-1])
                # Walk 50 pages down, then time the page after that.
                for _ in range(50):
                    page = views.page(store, inbox.id, cursor, PAGE, order=order,
                                      conversations=conversations)  # fmt: skip
                    if not page:
                        break
                    cursor = PageCursor.after(page[-1])
                for _ in range(REPEATS):
                    t = time.perf_counter()
                    views.page(store, inbox.id, cursor, PAGE, order=order,
                               conversations=conversations)  # fmt: skip
                    deep.append(time.perf_counter() - t)
                label = f"{order.value}{' by conversation' if conversations else ''}"
                print(f"{label:32s} first page {_ms(first)}; page 51 {_ms(deep)}")
        store.close()


if __name__ == "__main__":
    main()

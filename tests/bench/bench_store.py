"""Benchmark the local store at 100,000 demo messages (a plain script; prints figures).

Run from the repository root:
    .venv/bin/python tests/bench/bench_store.py [--messages N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mailapp.core.demo import (
    COMMON_TERM,
    MEDIUM_TERM,
    RARE_TERM,
    DemoMessage,
    generate_demo,
)
from mailapp.store import PageCursor, open_store


def _timed_source(n: int, spent: list[float]) -> Iterator[DemoMessage]:
    """The demo stream, with the (wall, CPU) time spent generating it kept apart."""
    source = generate_demo(n, seed=0)
    while True:
        started, cpu = time.perf_counter(), time.process_time()
        item = next(source, None)
        spent[0] += time.perf_counter() - started
        spent[1] += time.process_time() - cpu
        if item is None:
            return
        yield item


def _latency(call: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(median ms, p95 ms, last result) over ``runs`` calls after one warm-up call."""
    result = call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", type=Path, help="build the store in this directory and keep it")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "bench.sqlite3"
        path.unlink(missing_ok=True)
        store = open_store(path)
        account = store.create_account("me@example.org")
        generation = [0.0, 0.0]
        started, cpu = time.perf_counter(), time.process_time()
        imported = store.import_messages(account, _timed_source(args.messages, generation))
        total, total_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"messages imported        {imported}")
        print(
            f"import (store only)      {total - generation[0]:.1f} s wall, "
            f"{total_cpu - generation[1]:.1f} s CPU"
        )
        print(f"demo generation          {generation[0]:.1f} s wall")
        store.close()  # checkpoints the WAL into the main file
        size = sum(p.stat().st_size for p in directory.glob("bench.sqlite3*"))
        print(f"file size                {size / 2**20:.1f} MiB")

        median, p95, store = _latency(lambda: open_store(path), 1)
        print(f"open_store (at head)     median {median:.1f} ms")
        inbox = store.mailbox_by_role(account, "inbox")
        assert inbox is not None
        print(f"inbox messages           {store.count(inbox.id)}")
        median, p95, first = _latency(lambda: store.page(inbox.id, limit=200), args.runs)
        print(f"first page (200 rows)    median {median:.2f} ms   p95 {p95:.2f} ms")
        cursor = PageCursor.after(first[-1])
        for _ in range(100):  # walk 20,000 rows deep
            page = store.page(inbox.id, after=cursor, limit=200)
            if not page:
                break
            cursor = PageCursor.after(page[-1])
        median, p95, _ = _latency(lambda: store.page(inbox.id, after=cursor, limit=200), args.runs)
        print(f"deep page (~20k down)    median {median:.2f} ms   p95 {p95:.2f} ms")
        median, p95, _ = _latency(lambda: store.count(inbox.id), args.runs)
        print(f"count()                  median {median:.3f} ms   p95 {p95:.3f} ms")
        median, p95, _ = _latency(store.mailbox_counts, args.runs)
        print(f"mailbox_counts()         median {median:.2f} ms   p95 {p95:.2f} ms")
        median, p95, _ = _latency(lambda: store.message(first[0].id), args.runs)
        print(f"message() detail         median {median:.2f} ms   p95 {p95:.2f} ms")
        for label, term in (("rare", RARE_TERM), ("medium", MEDIUM_TERM), ("common", COMMON_TERM)):
            median, p95, hits = _latency(lambda term=term: store.search(term), args.runs)
            print(
                f"search {label:<7} {term!r:<12} median {median:.2f} ms   p95 {p95:.2f} ms"
                f"   ({len(hits)} shown, limit 200)"
            )
            for prefix in (term[:4], term[:2]):
                median, p95, hits = _latency(lambda p=prefix: store.search(p), args.runs)
                print(f"  prefix {prefix!r:<18} median {median:.2f} ms   p95 {p95:.2f} ms")
        median, p95, _ = _latency(lambda: store.search("telescope meeting"), args.runs)
        print(f"search two words         median {median:.2f} ms   p95 {p95:.2f} ms")
        median, p95, _ = _latency(lambda: store.search(COMMON_TERM, mailbox_id=inbox.id), args.runs)
        print(f"search common in inbox   median {median:.2f} ms   p95 {p95:.2f} ms")
        started = time.perf_counter()
        store.mark_read([s.id for s in first[:50]], False)
        print(f"mark 50 unread (1 tx)    {(time.perf_counter() - started) * 1000:.1f} ms")
        store.close()


if __name__ == "__main__":
    main()

"""Benchmark the message list's orders and conversation grouping on a large mailbox (a plain
script; prints figures). Every order (date, sender, subject; both directions) must page by
keyset, so a page costs the same at the top and deep down; the Drafts list too. Then the real
list model scrolled to the end: the rows it holds, their memory.

Run from the repository root:
    .venv/bin/python tests/bench/bench_list_views.py [--messages N]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from mailapp.core.demo import generate_demo
from mailapp.store import MailStore, PageCursor, open_store, views
from mailapp.store.rows import DraftInput, MessageSummary
from mailapp.store.views import SortOrder

PAGE = 64
REPEATS = 20


def _ms(samples: list[float]) -> str:
    return f"median {statistics.median(samples) * 1000:.2f} ms, max {max(samples) * 1000:.2f} ms"


def _page(
    store: MailStore,
    mailbox_id: str,
    after: MessageSummary | None,
    limit: int,
    order: SortOrder,
    conversations: bool,
) -> list[MessageSummary]:
    """A page as the message list asks for it: the cursor row's sort key travels along."""
    return views.page(
        store,
        mailbox_id,
        None if after is None else PageCursor.after(after),
        limit,
        order=order,
        conversations=conversations,
        after_key=None if after is None else views.list_key(after, order)[0],
    )


def _timed(call: Callable[[], object]) -> list[float]:
    samples = []
    for _ in range(REPEATS):
        t = time.perf_counter()
        call()
        samples.append(time.perf_counter() - t)
    return samples


def _figures(
    store: MailStore, mailbox_id: str, order: SortOrder, conversations: bool, deep_at: int
) -> str:
    first = _timed(lambda: _page(store, mailbox_id, None, PAGE, order, conversations))
    # Walk 50 pages down, then time the page after that.
    last: MessageSummary | None = None
    for _ in range(50):
        page = _page(store, mailbox_id, last, PAGE, order, conversations)
        if not page:
            break
        last = page[-1]
    page_51 = _timed(lambda: _page(store, mailbox_id, last, PAGE, order, conversations))
    # And the page 90 % of the way down (one long read to get there, not timed).
    skipped = _page(store, mailbox_id, None, deep_at, order, conversations)
    bottom = skipped[-1] if skipped else None
    deep = _timed(lambda: _page(store, mailbox_id, bottom, PAGE, order, conversations))
    return f"first page {_ms(first)}; page 51 {_ms(page_51)}; at 90 % {_ms(deep)}"


def _bench_drafts(store: MailStore, account_id: str, count: int) -> None:
    drafts_box = store.mailbox_by_role(account_id, "drafts")
    assert drafts_box is not None
    started = time.perf_counter()
    for n in range(count):
        store.save_draft(DraftInput(draft_id=None, account_id=account_id, subject=f"Draft {n}"))
    print(f"saved {count} drafts in {time.perf_counter() - started:.1f} s")
    first = _timed(lambda: views.draft_page(store, account_id, drafts_box.id, None, PAGE))
    skipped = views.draft_page(store, account_id, drafts_box.id, None, count * 9 // 10)
    cursor = PageCursor.after(skipped[-1])
    deep = _timed(lambda: views.draft_page(store, account_id, drafts_box.id, cursor, PAGE))
    print(f"{'drafts newest first':32s} first page {_ms(first)}; at 90 % {_ms(deep)}")


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        line = next(x for x in status if x.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def _bench_scrolled_to_the_end(store: MailStore, mailbox_id: str) -> None:
    """The real list model (offscreen Qt) fetched to the end of the mailbox, each row read as a
    view paints it: the rows it holds and the Python memory they take (tracemalloc), then the
    CPU time to show the top again (a forgotten page read back)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QModelIndex
    from PySide6.QtWidgets import QApplication

    from mailapp.ui.mailbox.message_list_model import Column, MessageListModel

    _app = QApplication.instance() or QApplication([])
    gc.collect()
    rss = _rss_mb()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    model = MessageListModel(store)
    model.set_mailbox(mailbox_id)
    held = 0
    started = time.process_time()
    while model.canFetchMore(QModelIndex()):
        first = model.rowCount()
        model.fetchMore(QModelIndex())
        for row in range(first, model.rowCount()):
            model.index(row, Column.SUBJECT).data()
        held = max(held, len(model._row_of))  # rows held in memory (before: every row)
    cpu = time.process_time() - started
    gc.collect()
    python_mb = (tracemalloc.get_traced_memory()[0] - base) / 2**20
    tracemalloc.stop()
    print(
        f"scrolled to the end ({model.rowCount():,} rows, {cpu:.1f} s CPU with tracemalloc): "
        f"at most {held:,} rows held, their Python memory {python_mb:.1f} MB, RSS "
        f"+{_rss_mb() - rss:.1f} MB"
    )
    started = time.process_time()
    for row in range(PAGE):
        model.index(row, Column.SUBJECT).data()
    print(f"  back to the top: {(time.process_time() - started) * 1000:.1f} ms CPU for a page")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--drafts", type=int, default=2_000)
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
        deep_at = store.count(inbox.id) * 9 // 10
        for order in SortOrder:
            for conversations in (False, True):
                label = f"{order.value}{' by conversation' if conversations else ''}"
                print(f"{label:32s} {_figures(store, inbox.id, order, conversations, deep_at)}")
        _bench_drafts(store, account_id, args.drafts)
        _bench_scrolled_to_the_end(store, inbox.id)
        store.close()


if __name__ == "__main__":
    main()

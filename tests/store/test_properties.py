"""Random sequences of user actions keep counts, unread badges and pending marks truthful."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailapp.store import MailStore, PageCursor, open_store
from tests.store.conftest import BASE_DATE, make_message

ROLES = ("inbox", "archive", "trash", "junk")

picks = st.lists(st.integers(min_value=0, max_value=50), min_size=1, max_size=4)
actions = st.one_of(
    st.tuples(st.just("read"), picks, st.booleans()),
    st.tuples(st.just("flag"), picks, st.booleans()),
    st.tuples(st.just("move"), picks, st.sampled_from(ROLES)),
    st.tuples(st.just("delete"), picks),
    st.tuples(st.just("import"), st.integers(min_value=1, max_value=4), st.sampled_from(ROLES)),
)


def _everything(store: MailStore, box: str) -> list:
    rows: list = []
    cursor = None
    while page := store.page(box, after=cursor, limit=3):
        rows.extend(page)
        cursor = PageCursor.after(page[-1])
    return rows


def _check(store: MailStore, boxes: dict[str, str], expected_ids: set[str]) -> None:
    counts = store.mailbox_counts()
    pending_ids = {r.args.get("emailId") for r in store.pending_mutations()}
    listed: set[str] = set()
    for box in boxes.values():
        rows = _everything(store, box)
        ids = [r.id for r in rows]
        assert len(ids) == len(set(ids))
        listed.update(ids)
        assert store.count(box) == len(rows) == counts[box].total
        assert counts[box].unread == sum(not r.is_read for r in rows)
        assert counts[box].pending == len(pending_ids & set(ids))
    assert listed == expected_ids


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(actions, min_size=1, max_size=10), st.integers(min_value=0, max_value=2**31))
def test_random_actions_keep_counts_consistent(steps: list[tuple], seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "mail.sqlite3")
        try:
            account = store.create_account("me@example.org")
            boxes = {role: store.mailbox_by_role(account, role).id for role in ROLES}  # type: ignore[union-attr]
            alive: set[str] = set()
            minute = 0

            def add(count: int, role: str) -> None:
                nonlocal minute
                items = []
                for _ in range(count):
                    minute += 1
                    # Every third message shares a timestamp with its neighbour: ties matter.
                    date = BASE_DATE + timedelta(minutes=minute // 3 + seed % 7)
                    items.append((boxes[role], make_message(f"m{minute}", date=date), frozenset()))
                store.import_messages(account, items)

            add(6, "inbox")
            alive = {r.id for box in boxes.values() for r in store.page(box, limit=1000)}
            for step in steps:
                ordered = sorted(alive)
                indices = step[1] if isinstance(step[1], list) else []
                chosen = [ordered[i % len(ordered)] for i in indices] if ordered else []
                match step:
                    case ("read", _, value):
                        store.mark_read(chosen, value)
                    case ("flag", _, value):
                        store.set_flagged(chosen, value)
                    case ("move", _, role):
                        store.move(chosen, boxes[role])
                    case ("delete", _):
                        in_trash = {r.id for r in store.page(boxes["trash"], limit=1000)}
                        store.delete(chosen)
                        alive -= set(chosen) & in_trash
                    case ("import", count, role):
                        add(count, role)
                        alive = {
                            r.id for box in boxes.values() for r in store.page(box, limit=1000)
                        }
                _check(store, boxes, alive)
        finally:
            store.close()

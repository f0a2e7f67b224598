"""Indexing new mail for search, and the store's size; prints figures beside the goals.

    .venv/bin/python tests/bench/bench_index.py [--messages 20000] [--skip-parse] [--small]

One corpus, the demo generator's mail with its raw MIME bytes (threads, HTML, attachments,
non-ASCII) at realistic sizes (about 3.6 KB a message on average, a few large attachments, as
in the issue's 358 MB corpus of 100,000 messages; `--small` for the generator's 1.2 KB
messages), goes into fresh store files three ways, each timed on its own:

1. local import: `MailStore.import_messages` of the parsed messages (raw kept), store and
   search index only; and the same messages parsed from their raw bytes first
   (`mailapp.mime.parse_message`), to show what parsing adds;
2. the sync path: what the sync thread does with what the server sends, without the
   network: change-feed pages of 500 header records, as JSON, read as the client reads them
   (`wire.validate_json`) and applied (`replica.apply_changes`), then every body in batches of
   250 (`replica_bodies.store_bodies`, as POST /v1/bodies delivers them); CPU per message of
   each of the three phases, and rates (the rates leave the wire parse out, as before);
3. the size of each store file (after a checkpoint) against the raw mail's size.

Goals from issue 11: ≥ 3,000 msg/s indexed on both paths (notmuch: 290–315 msg/s), a store of
≤ 1.5× the raw mail (notmuch's index ≈ 1.1×). Rates are given per wall second and per CPU second
of this process: on a shared machine the second is the steadier figure.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mailapp import wire  # noqa: E402
from mailapp.core.demo import DemoMessage, generate_demo  # noqa: E402
from mailapp.store import MailStore, open_store, replica, replica_bodies  # noqa: E402

GOAL_RATE = 3000
GOAL_SIZE = 1.5
PAGE = 500
BODY_BATCH = 250


def size_of(store: MailStore) -> int:
    path = store.path
    store.close()  # checkpoints the WAL into the main file
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def breakdown(path: Path, top: int = 8) -> str:
    with sqlite3.connect(path) as conn:
        try:
            rows = conn.execute(
                "SELECT name, sum(pgsize), sum(payload) FROM dbstat GROUP BY name ORDER BY 2 DESC"
            ).fetchall()
        except sqlite3.OperationalError:
            return "(no dbstat)"
    # With how full their pages are (payload / page bytes): rows that leave most of a page
    # empty show here, not in the payload.
    return ", ".join(
        f"{name} {size / 2**20:.1f} ({payload / size:.0%})" for name, size, payload in rows[:top]
    )


def report_size(label: str, size: int, raw: int, path: Path) -> None:
    print(
        f"  {label} store: {size / 2**20:.1f} MiB = {size / raw:.2f}× the raw mail "
        f"(goal ≤ {GOAL_SIZE}×)"
    )
    print(f"    largest parts (MiB, how full their pages are): {breakdown(path)}")


def local_import(items: list[DemoMessage], work: Path, raw: int) -> None:
    store = open_store(work / "local" / "mail.sqlite3")
    account = store.create_account("me@example.org")
    started, cpu = time.perf_counter(), time.process_time()
    count = store.import_messages(account, items)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(
        f"local import, store and index: {count:,} messages in {elapsed:.1f} s = "
        f"{count / elapsed:,.0f} msg/s, {count / cpu:,.0f} per CPU second "
        f"(goal ≥ {GOAL_RATE:,}; notmuch 290–315)"
    )
    path = store.path
    report_size("locally imported (raw kept)", size_of(store), raw, path)


def local_import_parsed(items: list[DemoMessage], work: Path) -> None:
    from mailapp.mime.parse import parse_message

    store = open_store(work / "parsed" / "mail.sqlite3")
    account = store.create_account("me@example.org")
    inbox = store.mailbox_by_role(account, "inbox")
    assert inbox is not None
    started, cpu = time.perf_counter(), time.process_time()
    parsed = [(inbox.id, parse_message(item.message.raw or b""), item.keywords) for item in items]
    parsing = time.perf_counter() - started
    started, cpu_parse = time.perf_counter(), time.process_time() - cpu
    count = store.import_messages(account, parsed)
    storing = time.perf_counter() - started
    cpu = time.process_time() - cpu - cpu_parse
    total = parsing + storing
    print(
        f"local import from raw bytes: parse {count / parsing:,.0f} msg/s "
        f"({count / cpu_parse:,.0f} per CPU second), store and index {count / storing:,.0f} "
        f"msg/s ({count / cpu:,.0f} per CPU second), together {count / total:,.0f} msg/s"
    )
    store.close()


def _addresses(items: list) -> list[wire.RecordAddress]:  # type: ignore[type-arg]
    return [wire.RecordAddress.model_construct(name=a.name, email=a.email) for a in items]


def _record(item: DemoMessage, mailbox_id: str, modseq: int) -> wire.EmailRecord:
    message = item.message
    date = message.date or datetime.now(UTC)
    return wire.EmailRecord.model_construct(
        id=str(uuid.uuid4()),
        created_modseq=modseq,
        updated_modseq=modseq,
        mailbox_id=mailbox_id,
        keywords=sorted(item.keywords),
        message_id=message.message_id,
        in_reply_to=[message.in_reply_to] if message.in_reply_to else [],
        references=message.references,
        subject=message.subject,
        from_=_addresses([message.sender] if message.sender else []),
        sender=[],
        to=_addresses(message.to),
        cc=_addresses(message.cc),
        bcc=[],
        reply_to=[],
        sent_at=date,
        received_at=date,
        size=len(message.raw or b""),
        preview=message.snippet,
        has_attachment=any(not a.inline for a in message.attachments),
        attachments=[
            wire.EmailAttachment.model_construct(
                part_id=str(n + 2),
                name=a.filename,
                content_type=a.content_type,
                size=a.size,
                inline=a.inline,
            )
            for n, a in enumerate(message.attachments)
        ],
    )


def sync_path(items: list[DemoMessage], work: Path, raw: int) -> None:
    store = open_store(work / "synced" / "mail.sqlite3")
    roles = sorted({item.mailbox_role or "inbox" for item in items})
    boxes = {role: str(uuid.uuid4()) for role in roles}
    session = wire.SessionInfo.model_construct(
        account_id=str(uuid.uuid4()), name="Me", email="me@example.org", state="0"
    )
    account = replica.create_synced_account(
        store,
        session=session,
        server_url="https://mail.example.org",
        username="me",
        mailbox_records=[
            wire.MailboxRecord(
                id=box, created_modseq=1, updated_modseq=1, name=role.title(), role=role
            )
            for role, box in boxes.items()
        ],
    )
    records = [
        _record(item, boxes[item.mailbox_role or "inbox"], 2 + n) for n, item in enumerate(items)
    ]
    # The pages as the server sends them (JSON), each read as the sync client reads it (its
    # CPU counted on its own), then applied.
    pages = [
        wire.Changes(
            old_state=str(start + 1),
            new_state=str(start + 1 + len(records[start : start + PAGE])),
            has_more=start + PAGE < len(records),
            emails=wire.TypeChanges[wire.EmailRecord](created=records[start : start + PAGE]),
        )
        .model_dump_json(by_alias=True)
        .encode()
        for start in range(0, len(records), PAGE)
    ]
    # A page at a time, parsed then applied, as the client does (all pages parsed first would
    # keep them alive, and the collector's full passes over them would land on the apply).
    headers = cpu_headers = cpu_parse = 0.0
    for body in pages:
        cpu = time.process_time()
        changes = wire.validate_json(wire.Changes, body)
        started, parsed = time.perf_counter(), time.process_time()
        cpu_parse += parsed - cpu
        replica.apply_changes(store, account, changes)
        headers += time.perf_counter() - started
        cpu_headers += time.process_time() - parsed
    del pages, changes
    started, cpu = time.perf_counter(), time.process_time()
    for start in range(0, len(records), BODY_BATCH):
        batch = zip(
            records[start : start + BODY_BATCH], items[start : start + BODY_BATCH], strict=True
        )
        replica_bodies.store_bodies(
            store,
            {
                record.id: wire.MessageBody.model_construct(
                    text=item.message.text_body, html=item.message.html_body
                )
                for record, item in batch
            },
        )
    bodies = time.perf_counter() - started
    cpu = time.process_time() - cpu + cpu_headers  # headers and bodies, as before
    count = len(records)
    print(
        f"sync path, CPU per message: wire parse of the feed pages "
        f"{cpu_parse / count * 1e6:,.1f} µs, applying them {cpu_headers / count * 1e6:,.1f} µs, "
        f"storing and indexing the bodies {(cpu - cpu_headers) / count * 1e6:,.1f} µs"
    )
    print(
        f"sync path, without the network: headers {count / headers:,.0f} msg/s "
        f"({count / cpu_headers:,.0f} per CPU second), bodies {count / bodies:,.0f} msg/s "
        f"({count / (cpu - cpu_headers):,.0f} per CPU second), both = every message indexed at "
        f"{count / (headers + bodies):,.0f} msg/s, {count / cpu:,.0f} per CPU second "
        f"(goal ≥ {GOAL_RATE:,})"
    )
    path = store.path
    report_size("synced (all bodies, no raw)", size_of(store), raw, path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--skip-parse", action="store_true")
    parser.add_argument("--small", action="store_true", help="the demo's small messages")
    args = parser.parse_args()
    started = time.perf_counter()
    items = list(generate_demo(args.messages, seed=11, with_raw=True, realistic=not args.small))
    raw = sum(len(item.message.raw or b"") for item in items)
    print(
        f"{len(items):,} demo messages, {raw / 2**20:.1f} MiB of raw mail "
        f"({raw / len(items) / 1024:.1f} KiB each), generated in "
        f"{time.perf_counter() - started:.1f} s"
    )
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        work = Path(tmp)
        local_import(items, work, raw)
        if not args.skip_parse:
            local_import_parsed(items, work)
        sync_path(items, work, raw)
    print(f"  (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: a shared machine)")


if __name__ == "__main__":
    main()

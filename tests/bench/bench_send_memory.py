"""Memory of sending one large message; prints figures, asserts nothing.

    .venv/bin/python tests/bench/bench_send_memory.py [--mib 34] [--local 3] [--time-only]

Builds a draft with one attachment of the given size (the default is just under
`max_message_bytes`), schedules it to one remote recipient (an aiosmtpd relay on loopback) and
`--local` local ones, and runs the delivery worker's steps one at a time under tracemalloc:
building the message (read-only transaction), the relay step (DATA streamed from the one copy)
and the local deliveries. Each figure is the peak of Python allocations during that step, also
as a multiple of the attachment's size, and the step's time (under tracemalloc, which slows
the email package's parsing down a lot; `--time-only` runs untraced).
"""

from __future__ import annotations

import argparse
import socket
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mailapp.server.auth import create_user  # noqa: E402
from mailapp.server.config import Settings  # noqa: E402
from mailapp.server.db import make_engine, migrate, session_scope  # noqa: E402
from mailapp.server.delivery import DeliveryWorker  # noqa: E402
from mailapp.server.delivery_prepare import prepare_next  # noqa: E402
from mailapp.server.models import Blob, Draft, Submission  # noqa: E402
from tests.server.test_send_memory import relay_process  # noqa: E402

TRACE = "--time-only" not in sys.argv


def measured(label: str, size: int, step: Callable[[], Any]) -> Any:
    """Peak traced memory of one step (tracemalloc slows it down a lot: with --time-only the
    step runs untraced and only its time is printed)."""
    if TRACE:
        tracemalloc.start()
    started = time.perf_counter()
    value = step()
    elapsed = time.perf_counter() - started
    if not TRACE:
        print(f"{label:<34} {elapsed:6.2f} s")
        return value
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<34} {peak / 2**20:8.1f} MiB peak ({peak / size:4.1f}x)  {elapsed:6.2f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=float, default=34.0)
    parser.add_argument("--local", type=int, default=3)
    parser.add_argument("--time-only", action="store_true", help="no tracemalloc")
    args = parser.parse_args()
    size = int(args.mib * 2**20)
    data_dir = Path(tempfile.mkdtemp(prefix="bench-send-"))
    settings = Settings(data_dir=data_dir)
    engine = make_engine(settings.database_url)
    migrate(engine)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The relay (an aiosmtpd sink) runs in its own process: tracemalloc counts every thread.
    with relay_process(port) as relay:
        with session_scope(engine) as session:
            sender = create_user(session, "sender", "pw")
            local = [create_user(session, f"local{n}", "pw").email for n in range(args.local)]
            blob = Blob(account_id=sender.id, content_type="application/pdf", size=size)
            blob.data = bytes(range(256)) * (size // 256)
            session.add(blob)
            session.flush()
            to = [{"name": None, "email": e} for e in ["far@remote.example", *local]]
            draft = Draft(id="d1", account_id=sender.id, subject="Big", to=to, body="See it.")
            draft.attachments = [
                {
                    "name": "big.pdf",
                    "contentType": "application/pdf",
                    "size": size,
                    "blobId": blob.id,
                }
            ]
            draft.created_modseq = draft.updated_modseq = 1
            session.add(draft)
            sub = Submission(account_id=sender.id, draft_id="d1", send_at=datetime.now(UTC))
            sub.created_modseq = sub.updated_modseq = 2
            session.add(sub)
            del blob
        worker = DeliveryWorker(engine, local_domain="example.org", relay_url=relay)
        print(f"attachment {size / 2**20:.1f} MiB, 1 remote and {args.local} local recipients")
        prepared = measured(
            "build (read-only transaction)",
            size,
            lambda: prepare_next(engine, worker.clock(), settings),
        )
        print(f"{'message as sent':<34} {len(prepared.mime) / 2**20:8.1f} MiB")
        del prepared
        measured("dispatch (build + short write)", size, worker.dispatch_next)
        # One job per step: the relay's (DATA streamed to the sink) and the local inboxes'.
        for n in range(1, 3):
            measured(f"job {n} (relay or local inboxes)", size, worker.relay_next)
    engine.dispose()


if __name__ == "__main__":
    main()
